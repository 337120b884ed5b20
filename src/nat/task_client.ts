/**
 * The consumer's side of the task protocol: send one signed request on a
 * fresh stream and read the answer; follow logs; forward a local TCP port to
 * the task's published port. Works the same over a relayed or a direct
 * connection.
 *
 * @module
 */
import type { Connection, Stream } from "@libp2p/interface";
import { FrameReader, sendJsonFrame, streamBytes } from "./_framing.ts";
import { pipeStreamAndConn } from "./_pipe.ts";
import { NatError } from "./errors.ts";
import {
  FORWARD_PROTOCOL_ID,
  MAX_LOG_FRAME_BYTES,
  MAX_RESPONSE_BYTES,
  type ProtocolResponse,
  type RefusalCode,
  type RequestEnvelope,
  RequestRefusedError,
  responseSchema,
  TASK_PROTOCOL_ID,
} from "./task_protocol.ts";

const STREAM_OPTIONS = { runOnLimitedConnection: true } as const;

async function readResponse(reader: FrameReader): Promise<ProtocolResponse> {
  const frame = await reader.next(MAX_RESPONSE_BYTES + 1024);
  if (frame === undefined) throw new NatError("the rig closed the stream without an answer");
  const parsed = responseSchema.safeParse(JSON.parse(new TextDecoder().decode(frame)));
  if (!parsed.success) throw new NatError("the rig sent a malformed response");
  return parsed.data;
}

function refusedError(response: ProtocolResponse & { kind: "refused" }): RequestRefusedError {
  return new RequestRefusedError(response.code as RefusalCode, response.message);
}

async function open(
  connection: Connection,
  protocol: string,
  envelope: unknown,
): Promise<{ stream: Stream; reader: FrameReader }> {
  const stream = await connection.newStream(protocol, STREAM_OPTIONS);
  await sendJsonFrame(stream, envelope);
  return { stream, reader: new FrameReader(streamBytes(stream)[Symbol.asyncIterator]()) };
}

/**
 * Sends one request (any action but `logs` and `forward`) and returns the
 * `ok` result.
 *
 * @throws {RequestRefusedError} when the rig refused it (with the rig's code)
 */
export async function sendTaskRequest(
  connection: Connection,
  envelope: RequestEnvelope,
): Promise<unknown> {
  const { stream, reader } = await open(connection, TASK_PROTOCOL_ID, envelope);
  try {
    const response = await readResponse(reader);
    if (response.kind === "refused") throw refusedError(response);
    if (response.kind !== "ok") throw new NatError(`unexpected ${response.kind} response`);
    return response.result;
  } finally {
    await stream.close().catch(() => {});
  }
}

/**
 * Writes raw bytes on a fresh stream of `protocol` (the fuzz tests), closes
 * the write side and returns the first answer frame as JSON, or undefined
 * when the rig sent none.
 */
export async function sendRawFrame(
  connection: Connection,
  protocol: string,
  bytes: Uint8Array,
): Promise<unknown> {
  const stream = await connection.newStream(protocol, STREAM_OPTIONS);
  try {
    if (!stream.send(bytes)) await stream.onDrain();
    await stream.close();
    // one frame, then abort: reading the QUIC stream on to its end can spin after a reset
    const reader = new FrameReader(streamBytes(stream)[Symbol.asyncIterator]());
    const frame = await reader.next(MAX_RESPONSE_BYTES + 1024);
    return frame === undefined ? undefined : JSON.parse(new TextDecoder().decode(frame));
  } catch {
    return undefined;
  } finally {
    stream.abort(new Error("done"));
  }
}

/** {@linkcode sendRawFrame} on the task protocol (or another), the answer schema-checked. */
export async function sendRawRequest(
  connection: Connection,
  frameBytes: Uint8Array,
  protocol: string = TASK_PROTOCOL_ID,
): Promise<ProtocolResponse | undefined> {
  const answer = responseSchema.safeParse(await sendRawFrame(connection, protocol, frameBytes));
  return answer.success ? answer.data : undefined;
}

/**
 * Follows a task's logs: yields each binary frame of output until the rig
 * ends the run and sends `end`.
 *
 * @throws {RequestRefusedError} when the rig refused the request (or the output broke off)
 */
export async function* followTaskLogs(
  connection: Connection,
  envelope: RequestEnvelope,
): AsyncGenerator<Uint8Array> {
  const { stream, reader } = await open(connection, TASK_PROTOCOL_ID, envelope);
  try {
    const answer = await readResponse(reader);
    if (answer.kind === "refused") throw refusedError(answer);
    if (answer.kind !== "stream") throw new NatError(`unexpected ${answer.kind} for logs`);
    while (true) {
      const frame = await reader.next(MAX_LOG_FRAME_BYTES);
      if (frame === undefined) throw new NatError("the rig closed the log stream early");
      if (frame.byteLength === 0) break;
      yield frame;
    }
    const last = await readResponse(reader);
    if (last.kind === "refused") throw refusedError(last);
    if (last.kind !== "end") throw new NatError(`unexpected ${last.kind} after the logs`);
  } finally {
    await stream.close().catch(() => {});
  }
}

/** A local port forwarded to a task. */
export type PortForward = { port: number; close(): void; closed: Promise<void> };

/**
 * Listens on `127.0.0.1:localPort` (0: any) and forwards each accepted TCP
 * connection to the task's published port through `connection()`, signing a
 * fresh `forward` request (new nonce) per connection.
 */
export function forwardPort(options: {
  localPort: number;
  hostname?: string;
  connection: () => Connection | Promise<Connection>;
  sign: () => Promise<RequestEnvelope>;
  onError?: (error: Error) => void;
}): PortForward {
  const listener = Deno.listen({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.localPort,
  });
  const closed = (async () => {
    for await (const conn of listener) {
      void forwardOne(conn, options).catch((error: Error) => {
        options.onError?.(error);
        try {
          conn.close();
        } catch { /* closed */ }
      });
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    close: () => listener.close(),
    closed,
  };
}

async function forwardOne(
  conn: Deno.Conn,
  options: {
    connection: () => Connection | Promise<Connection>;
    sign: () => Promise<RequestEnvelope>;
  },
): Promise<void> {
  const { stream, reader } = await open(
    await options.connection(),
    FORWARD_PROTOCOL_ID,
    await options.sign(),
  );
  const response = await readResponse(reader);
  if (response.kind === "refused") {
    stream.abort(new Error("refused"));
    throw refusedError(response);
  }
  await pipeStreamAndConn(stream, reader.rest(), conn);
}
