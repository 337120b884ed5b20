/**
 * The agent's side of the task protocol over libp2p streams: one signed
 * request per stream (a length-prefixed JSON frame), verified here and
 * passed to the {@linkcode TaskRequestHandler}; the answer is one `ok` or
 * `refused` frame, or for `logs` a `stream` frame, the output as binary
 * frames (no base64, no JSON), an empty frame and an `end`.
 * Anything malformed is answered with `refused` and the stream closed; no
 * input can throw out of the handler.
 *
 * @module
 */
import type { Connection, Stream } from "@libp2p/interface";
import {
  FrameReader,
  FrameTooLargeError,
  sendBinaryFrame,
  sendJsonFrame,
  streamBytes,
} from "./_framing.ts";
import { pipeStreamAndConn } from "./_pipe.ts";
import { pumpExec } from "./_exec_server.ts";
import {
  ADMIN_ACTIONS,
  type AdminAction,
  EXEC_PROTOCOL_ID,
  FORWARD_PROTOCOL_ID,
  MAX_LOG_FRAME_BYTES,
  MAX_REQUEST_BYTES,
  type ProtocolDomain,
  type ProtocolResponse,
  type RefusalCode,
  RequestRefusedError,
  TASK_PROTOCOL_ID,
  type TaskRequestHandler,
  type VerifiedRequest,
  verifyRequest,
} from "./task_protocol.ts";

/** Raw log bytes per binary frame: a bigger write is split. */
export const LOG_FRAME_BYTES = MAX_LOG_FRAME_BYTES;
/** How long a peer has to send its request after opening the stream. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** Options of {@linkcode serveTaskProtocol}. */
export type ServeTaskProtocolOptions = {
  handler: TaskRequestHandler;
  domain: ProtocolDomain;
  nowSeconds?: () => bigint;
  /** Called for each request answered, for logs and counters (never with the signature). */
  onRequest?: (event: {
    protocol: string;
    action?: string;
    outcome: "ok" | RefusalCode;
    peer: string;
  }) => void;
  /**
   * How long an exec or shell may pass with no frame either way before the rig ends it, ms.
   * @default {30 minutes}
   */
  execIdleTimeoutMs?: number | undefined;
};

/** The part of a libp2p node the server needs. */
export type StreamHost = {
  handle(
    protocol: string,
    handler: (stream: Stream, connection: Connection) => void | Promise<void>,
    options?: { runOnLimitedConnection?: boolean; maxInboundStreams?: number },
  ): Promise<void>;
  unhandle(protocol: string): Promise<void>;
};

/**
 * Registers the task, forward and exec protocols on a host; returns a function
 * that unregisters them.
 */
export async function serveTaskProtocol(
  node: StreamHost,
  options: ServeTaskProtocolOptions,
): Promise<() => Promise<void>> {
  const streamOptions = { runOnLimitedConnection: true, maxInboundStreams: 1024 };
  await node.handle(
    TASK_PROTOCOL_ID,
    (stream, connection) => void answer(TASK_PROTOCOL_ID, stream, connection, options),
    streamOptions,
  );
  await node.handle(
    FORWARD_PROTOCOL_ID,
    (stream, connection) => void answer(FORWARD_PROTOCOL_ID, stream, connection, options),
    streamOptions,
  );
  await node.handle(
    EXEC_PROTOCOL_ID,
    (stream, connection) => void answer(EXEC_PROTOCOL_ID, stream, connection, options),
    streamOptions,
  );
  return async () => {
    await node.unhandle(TASK_PROTOCOL_ID);
    await node.unhandle(FORWARD_PROTOCOL_ID);
    await node.unhandle(EXEC_PROTOCOL_ID);
  };
}

async function readRequest(reader: FrameReader): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RequestRefusedError("malformed", "no request within 10 s")),
      REQUEST_TIMEOUT_MS,
    );
  });
  let frame: Uint8Array | undefined;
  try {
    frame = await Promise.race([reader.next(MAX_REQUEST_BYTES), timeout]);
  } catch (cause) {
    if (cause instanceof RequestRefusedError) throw cause;
    if (cause instanceof FrameTooLargeError) {
      throw new RequestRefusedError("too-large", `request is over ${MAX_REQUEST_BYTES} bytes`);
    }
    throw new RequestRefusedError("malformed", `request frame: ${(cause as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  if (frame === undefined) {
    throw new RequestRefusedError("malformed", "stream ended before a request");
  }
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(frame));
  } catch {
    throw new RequestRefusedError("malformed", "request is not UTF-8 JSON");
  }
}

async function answer(
  protocol: string,
  stream: Stream,
  connection: Connection,
  options: ServeTaskProtocolOptions,
): Promise<void> {
  const controller = new AbortController();
  stream.addEventListener("close", () => controller.abort(new Error("stream closed")));
  const reader = new FrameReader(streamBytes(stream)[Symbol.asyncIterator]());
  const report = (action: string | undefined, outcome: "ok" | RefusalCode) =>
    options.onRequest?.({
      protocol,
      ...(action === undefined ? {} : { action }),
      outcome,
      peer: connection.remotePeer.toString(),
    });
  let action: string | undefined;
  try {
    const request = await verifyRequest(await readRequest(reader), options.domain, {
      nowSeconds: options.nowSeconds?.() ?? BigInt(Math.floor(Date.now() / 1000)),
    });
    action = request.action;
    if (protocol === FORWARD_PROTOCOL_ID) {
      await serveForward(stream, reader, request, options.handler, controller.signal);
    } else if (protocol === EXEC_PROTOCOL_ID) {
      if (request.action !== "exec") {
        throw new RequestRefusedError("malformed", `only exec goes over ${EXEC_PROTOCOL_ID}`);
      }
      const session = await options.handler.exec(
        request as VerifiedRequest<"exec">,
        controller.signal,
      );
      await pumpExec(stream, reader, session, {
        signal: controller.signal,
        idleTimeoutMs: options.execIdleTimeoutMs,
      });
    } else {
      await serveAction(stream, request, options.handler, controller.signal);
      await stream.close();
    }
    report(action, "ok");
  } catch (cause) {
    const refusal = cause instanceof RequestRefusedError
      ? cause
      : new RequestRefusedError("internal", "the request failed on the rig");
    report(action, refusal.code);
    await refuse(stream, refusal);
  }
}

async function refuse(stream: Stream, refusal: RequestRefusedError): Promise<void> {
  try {
    if (stream.writeStatus === "writable") {
      const response: ProtocolResponse = {
        kind: "refused",
        code: refusal.code,
        message: refusal.message.slice(0, 4096),
      };
      await sendJsonFrame(stream, response);
      await stream.close({ signal: AbortSignal.timeout(2_000) });
    }
  } catch {
    stream.abort(new Error("refused"));
  }
}

async function serveAction(
  stream: Stream,
  request: VerifiedRequest,
  handler: TaskRequestHandler,
  signal: AbortSignal,
): Promise<void> {
  const ok = (result: unknown) => sendJsonFrame(stream, { kind: "ok", result });
  switch (request.action) {
    case "submit":
      return await ok(await handler.submit(request as VerifiedRequest<"submit">, signal));
    case "status":
      return await ok(await handler.status(request as VerifiedRequest<"status">, signal));
    case "stop":
      return await ok(await handler.stop(request as VerifiedRequest<"stop">, signal));
    case "logs":
      return await serveLogs(stream, handler.logs(request as VerifiedRequest<"logs">, signal));
    case "forward":
      throw new RequestRefusedError("malformed", `forward goes over ${FORWARD_PROTOCOL_ID}`);
    case "report":
      return await ok(await handler.report(request as VerifiedRequest<"report">, signal));
    case "exec":
      throw new RequestRefusedError("malformed", `exec goes over ${EXEC_PROTOCOL_ID}`);
    default:
      if ((ADMIN_ACTIONS as readonly string[]).includes(request.action)) {
        return await ok(await handler.admin(request as VerifiedRequest<AdminAction>, signal));
      }
      throw new RequestRefusedError("malformed", `unknown action ${request.action}`);
  }
}

/** How long small pieces of output wait to be sent together, ms (a chatty task writes lines). */
export const LOG_COALESCE_MS = 2;

/**
 * A `stream` answer once the handler accepted (its first step did not
 * throw), the output as binary frames, an empty frame, `end`. A failure
 * after `stream` closes the data with the empty frame before the refusal.
 * Docker hands a chatty task's output over a line at a time: pieces that
 * arrive within {@linkcode LOG_COALESCE_MS} of each other go out as one
 * frame (up to {@linkcode LOG_FRAME_BYTES}), not one frame per line.
 */
async function serveLogs(stream: Stream, output: AsyncIterable<Uint8Array>): Promise<void> {
  const chunks = output[Symbol.asyncIterator]();
  let next: Promise<IteratorResult<Uint8Array>> = Promise.resolve(await chunks.next());
  await sendJsonFrame(stream, { kind: "stream" }); // the first step did not refuse
  const held: Uint8Array[] = [];
  let heldBytes = 0;
  const flush = async () => {
    if (heldBytes === 0) return;
    const frame = held.length === 1 ? held[0]! : new Uint8Array(heldBytes);
    if (held.length > 1) {
      held.reduce((at, piece) => (frame.set(piece, at), at + piece.byteLength), 0);
    }
    held.length = 0;
    heldBytes = 0;
    await sendBinaryFrame(stream, frame);
  };
  const waitAWhile = () =>
    new Promise<"later">((resolve) => setTimeout(() => resolve("later"), LOG_COALESCE_MS));
  try {
    while (true) {
      const result = heldBytes === 0 ? await next : await Promise.race([next, waitAWhile()]);
      if (result === "later") { // nothing more for now: what is held goes out
        await flush();
        continue;
      }
      if (result.done === true) break;
      next = chunks.next();
      const bytes = result.value;
      for (let at = 0; at < bytes.byteLength;) {
        const piece = bytes.subarray(at, at + (LOG_FRAME_BYTES - heldBytes));
        held.push(piece);
        heldBytes += piece.byteLength;
        at += piece.byteLength;
        if (heldBytes === LOG_FRAME_BYTES) await flush();
      }
    }
  } finally {
    // what was read before an end, or a failure, still goes out first
    if (stream.writeStatus === "writable") {
      await flush();
      await sendBinaryFrame(stream, new Uint8Array(0));
    }
  }
  await sendJsonFrame(stream, { kind: "end" });
}

async function serveForward(
  stream: Stream,
  reader: FrameReader,
  request: VerifiedRequest,
  handler: TaskRequestHandler,
  signal: AbortSignal,
): Promise<void> {
  if (request.action !== "forward") {
    throw new RequestRefusedError("malformed", `only forward goes over ${FORWARD_PROTOCOL_ID}`);
  }
  const target = await handler.forward(request as VerifiedRequest<"forward">, signal);
  let conn: Deno.Conn;
  try {
    conn = await Deno.connect({ hostname: target.hostname, port: target.port });
  } catch {
    throw new RequestRefusedError("unavailable", "the task's port does not accept connections");
  }
  await sendJsonFrame(stream, {
    kind: "ok",
    result: { containerPort: (request as VerifiedRequest<"forward">).args.containerPort },
  });
  stream.inactivityTimeout = 0; // a forwarded connection may sit idle
  await pipeStreamAndConn(stream, reader.rest(), conn);
}
