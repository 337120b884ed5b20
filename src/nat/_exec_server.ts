/**
 * Private: the rig's side of an exec session once the handler accepted it:
 * `ok`, then exec frames both ways between the stream and the session, with
 * credit-based back-pressure, the frame size limit and an idle timeout. The
 * session is closed exactly once, whatever ends it.
 *
 * @module
 */
import type { Stream } from "@libp2p/interface";
import {
  encodeFrame,
  type FrameReader,
  FrameTooLargeError,
  sendBytes,
  sendJsonFrame,
} from "./_framing.ts";
import {
  decodeExecFrame,
  encodeExecFrame,
  ExecCredit,
  type ExecFrame,
  ExecFrameError,
  ExecInbox,
  MAX_EXEC_DATA_BYTES,
  MAX_EXEC_FRAME_BYTES,
} from "./exec_frames.ts";
import type { ExecSession } from "./task_protocol.ts";

/** How long a session may pass with no frame either way before the rig ends it. */
export const EXEC_IDLE_TIMEOUT_MS = 30 * 60 * 1000;

/** Sends one exec frame as one write (frames from two loops never interleave). */
export function sendExecFrame(stream: Stream, frame: ExecFrame): Promise<void> {
  return sendBytes(stream, encodeFrame(encodeExecFrame(frame)));
}

/**
 * Stdin frames waiting for the process (their bytes are bounded by the window;
 * this bounds a flood of tiny ones).
 */
const MAX_QUEUED_STDIN_FRAMES = 16_384;

/** Why a session ended early (not by its process exiting). */
class SessionEnd extends Error {
  override name = "SessionEnd";
}

/**
 * Pumps frames between `stream` and `session` until the process exits (an
 * `exit` frame is sent), the consumer's connection breaks or misbehaves, or
 * the session idles for `idleTimeoutMs`; then closes the session (killing a
 * process still running) and the stream.
 */
export async function pumpExec(
  stream: Stream,
  reader: FrameReader,
  session: ExecSession,
  options: { signal: AbortSignal; idleTimeoutMs?: number | undefined },
): Promise<void> {
  const idleMs = options.idleTimeoutMs ?? EXEC_IDLE_TIMEOUT_MS;
  const credit = new ExecCredit();
  const inbox = new ExecInbox();
  let stop!: (reason: Error) => void;
  const stopped = new Promise<never>((_, reject) => (stop = reject));
  stopped.catch(() => {});
  let idle: ReturnType<typeof setTimeout> | undefined;
  const touch = () => {
    clearTimeout(idle);
    idle = setTimeout(
      () => stop(new SessionEnd(`idle for ${Math.round(idleMs / 1000)} s`)),
      idleMs,
    );
  };
  const onAbort = () => stop(new SessionEnd("the consumer's connection closed"));
  options.signal.addEventListener("abort", onAbort, { once: true });
  if (options.signal.aborted) onAbort();

  let exitCode: number | undefined;
  let reason = "exited";
  try {
    await sendJsonFrame(stream, { kind: "ok", result: { tty: session.tty } });
    stream.inactivityTimeout = 0; // a shell may sit idle: the idle timeout here decides
    touch();
    // stdin is written in order by a chain of its own: the frame loop goes on reading (the
    // consumer's `window` grants among them) while the process is slow to take its input,
    // else a process blocked on its output would block the grants that unblock it
    let stdinChain = Promise.resolve();
    let queued = 0;
    const toStdin = (step: () => Promise<void>) => {
      if (++queued > MAX_QUEUED_STDIN_FRAMES) {
        throw new ExecFrameError(`more than ${MAX_QUEUED_STDIN_FRAMES} stdin frames queued`);
      }
      stdinChain = stdinChain.then(step).then(() => void queued--);
      stdinChain.catch((error) =>
        stop(new SessionEnd(`the process's stdin failed: ${(error as Error).message}`))
      );
    };
    const inbound = (async () => {
      while (true) {
        const bytes = await reader.next(MAX_EXEC_FRAME_BYTES);
        if (bytes === undefined) return; // the consumer closed its side: the output goes on
        touch();
        const frame = decodeExecFrame(bytes);
        switch (frame.type) {
          case "stdin": {
            inbox.received(frame.data.byteLength);
            const data = frame.data;
            toStdin(async () => {
              await session.write(data);
              await sendExecFrame(stream, {
                type: "window",
                bytes: inbox.consumed(data.byteLength),
              });
            });
            break;
          }
          case "resize":
            await session.resize(frame).catch(() => {}); // a resize racing the exit is harmless
            break;
          case "eof":
            toStdin(() => session.closeStdin());
            break;
          case "window":
            credit.grant(frame.bytes);
            break;
          default:
            throw new ExecFrameError(`exec ${frame.type} frame from the consumer`);
        }
      }
    })();
    const outbound = (async () => {
      for await (const chunk of session.output) {
        for (let at = 0; at < chunk.data.byteLength; at += MAX_EXEC_DATA_BYTES) {
          const data = chunk.data.subarray(at, at + MAX_EXEC_DATA_BYTES);
          await credit.take(data.byteLength);
          touch();
          await sendExecFrame(stream, { type: chunk.stream, data });
        }
      }
      return await session.exitCode();
    })();
    inbound.catch(() => {});
    outbound.catch(() => {});
    exitCode = await Promise.race([
      outbound,
      stopped,
      inbound.then(() => new Promise<never>(() => {}), (error) => {
        throw new SessionEnd(
          error instanceof ExecFrameError || error instanceof FrameTooLargeError
            ? `protocol error: ${error.message}`
            : "the consumer's connection broke",
        );
      }),
    ]);
    await sendExecFrame(stream, { type: "exit", code: exitCode });
    await stream.close({ signal: AbortSignal.timeout(2_000) }).catch(() =>
      stream.abort(new Error("closed"))
    );
  } catch (error) {
    reason = error instanceof SessionEnd ? error.message : `failed: ${(error as Error).message}`;
    credit.close(error as Error);
    if (stream.writeStatus === "writable") {
      try {
        await sendExecFrame(stream, { type: "error", message: `session ended: ${reason}` });
        await stream.close({ signal: AbortSignal.timeout(2_000) });
      } catch {
        stream.abort(new Error(reason));
      }
    } else stream.abort(new Error(reason));
  } finally {
    clearTimeout(idle);
    options.signal.removeEventListener("abort", onAbort);
    await session.close({ exitCode, reason });
  }
}
