/**
 * The consumer's side of an exec or shell session: one signed `exec` request
 * on a fresh stream of `/sonm/exec/1.0.0`, then exec frames both ways. The
 * rig's output is granted back (credit) only after the caller took it, so a
 * slow terminal slows the remote process down instead of filling memory.
 *
 * @module
 */
import type { Connection, Stream } from "@libp2p/interface";
import { FrameReader, sendJsonFrame, streamBytes } from "./_framing.ts";
import { sendExecFrame } from "./_exec_server.ts";
import { NatError } from "./errors.ts";
import {
  decodeExecFrame,
  ExecCredit,
  type ExecFrameError,
  ExecInbox,
  MAX_EXEC_DATA_BYTES,
  MAX_EXEC_FRAME_BYTES,
} from "./exec_frames.ts";
import {
  EXEC_PROTOCOL_ID,
  MAX_RESPONSE_BYTES,
  type RefusalCode,
  type RequestEnvelope,
  RequestRefusedError,
  responseSchema,
} from "./task_protocol.ts";

/** An open exec session, seen from the consumer. */
export type ExecChannel = {
  /** Whether the rig runs it with a pseudo-terminal. */
  readonly tty: boolean;
  /**
   * The process's output as it arrives; ends at its `exit` frame (then
   * {@linkcode ExecChannel.exitCode} resolves).
   *
   * @throws {NatError} when the rig ended the session (its message) or the connection broke
   */
  output(): AsyncGenerator<{ stream: "stdout" | "stderr"; data: Uint8Array }>;
  /** The remote exit code; resolves once `output()` reached the `exit` frame. */
  readonly exitCode: Promise<number>;
  /** Sends stdin (waits for credit: back-pressure from the remote process). */
  write(data: Uint8Array): Promise<void>;
  /** Ends stdin (the remote process reads EOF). */
  end(): Promise<void>;
  /** Sends the terminal's size. */
  resize(size: { cols: number; rows: number }): Promise<void>;
  /** Ends the session from this side (the rig kills a process still running). */
  close(): void;
};

/**
 * Opens an exec session: sends the signed `exec` request and waits for the
 * rig's answer.
 *
 * @throws {RequestRefusedError} when the rig refused it (with the rig's code); nothing ran
 */
export async function openExec(
  connection: Connection,
  envelope: RequestEnvelope,
): Promise<ExecChannel> {
  const stream = await connection.newStream(EXEC_PROTOCOL_ID, { runOnLimitedConnection: true });
  stream.inactivityTimeout = 0; // a shell may sit idle: the rig's idle timeout decides
  await sendJsonFrame(stream, envelope);
  const reader = new FrameReader(streamBytes(stream)[Symbol.asyncIterator]());
  let answer;
  try {
    const frame = await reader.next(MAX_RESPONSE_BYTES + 1024);
    if (frame === undefined) throw new NatError("the rig closed the stream without an answer");
    answer = responseSchema.safeParse(JSON.parse(new TextDecoder().decode(frame)));
  } catch (error) {
    stream.abort(new Error("no answer"));
    if (error instanceof NatError) throw error;
    throw new NatError("the rig sent a malformed answer to exec", { cause: error });
  }
  if (!answer.success) {
    stream.abort(new Error("malformed"));
    throw new NatError("the rig sent a malformed answer to exec");
  }
  if (answer.data.kind === "refused") {
    await stream.close().catch(() => {});
    throw new RequestRefusedError(answer.data.code as RefusalCode, answer.data.message);
  }
  if (answer.data.kind !== "ok") {
    stream.abort(new Error("unexpected"));
    throw new NatError(`unexpected ${answer.data.kind} answer to exec`);
  }
  const result = answer.data.result as { tty?: unknown } | undefined;
  return channel(stream, reader, result?.tty === true);
}

function channel(stream: Stream, reader: FrameReader, tty: boolean): ExecChannel {
  const credit = new ExecCredit();
  const inbox = new ExecInbox();
  let resolveExit!: (code: number) => void;
  let rejectExit!: (error: Error) => void;
  const exitCode = new Promise<number>((resolve, reject) => {
    resolveExit = resolve;
    rejectExit = reject;
  });
  exitCode.catch(() => {});
  let finished = false;
  const fail = (error: Error): never => {
    finished = true;
    credit.close(error);
    rejectExit(error);
    stream.abort(error);
    throw error;
  };
  const send = async (frame: Parameters<typeof sendExecFrame>[1]) => {
    if (finished || stream.writeStatus !== "writable") return;
    await sendExecFrame(stream, frame);
  };
  return {
    tty,
    exitCode,
    async *output() {
      while (true) {
        let bytes: Uint8Array | undefined;
        try {
          bytes = await reader.next(MAX_EXEC_FRAME_BYTES);
        } catch (cause) {
          if (finished) return;
          fail(new NatError("the connection to the rig broke", { cause }));
        }
        if (bytes === undefined) {
          if (finished) return;
          fail(new NatError("the rig closed the session without an exit code"));
        }
        let frame;
        try {
          frame = decodeExecFrame(bytes!);
        } catch (error) {
          fail(new NatError(`the rig broke the exec protocol: ${(error as Error).message}`));
        }
        switch (frame!.type) {
          case "stdout":
          case "stderr":
            try {
              inbox.received(frame!.data.byteLength);
            } catch (error) {
              fail(
                new NatError(
                  `the rig broke the exec protocol: ${(error as ExecFrameError).message}`,
                ),
              );
            }
            yield { stream: frame!.type, data: frame!.data };
            // taken by the caller: the rig may send that much more
            await send({ type: "window", bytes: inbox.consumed(frame!.data.byteLength) });
            break;
          case "window":
            try {
              credit.grant(frame!.bytes);
            } catch (error) {
              fail(new NatError(`the rig broke the exec protocol: ${(error as Error).message}`));
            }
            break;
          case "exit":
            finished = true;
            credit.close(new NatError("the remote process exited"));
            resolveExit(frame!.code);
            await stream.close().catch(() => {});
            return;
          case "error":
            fail(new NatError(`the rig ended the session: ${frame!.message}`));
            break;
          default:
            fail(
              new NatError(`the rig broke the exec protocol: ${frame!.type} frame from the rig`),
            );
        }
      }
    },
    async write(data) {
      for (let at = 0; at < data.byteLength; at += MAX_EXEC_DATA_BYTES) {
        const piece = data.subarray(at, at + MAX_EXEC_DATA_BYTES);
        try {
          await credit.take(piece.byteLength);
        } catch {
          return; // the session is over: what is left of stdin has nowhere to go
        }
        await send({ type: "stdin", data: piece });
      }
    },
    end: () => send({ type: "eof" }),
    resize: (size) => send({ type: "resize", cols: size.cols, rows: size.rows }),
    close() {
      if (finished) return;
      finished = true;
      const error = new NatError("the session was closed here");
      credit.close(error);
      rejectExit(error);
      stream.abort(error);
    },
  };
}
