/**
 * The frames of an exec or shell session (`/sonm/exec/1.0.0`), after the
 * signed request and the rig's `ok`: each is one length-prefixed frame of the
 * task protocol (4-byte big-endian length, then the bytes) whose first byte
 * names its type. Both sides refuse a frame over
 * {@linkcode MAX_EXEC_FRAME_BYTES} before buffering it.
 *
 * | type | name   | direction     | payload                                   |
 * | ---- | ------ | ------------- | ----------------------------------------- |
 * | 1    | stdin  | consumer->rig | bytes (1 to {@linkcode MAX_EXEC_DATA_BYTES}) |
 * | 2    | stdout | rig->consumer | bytes                                     |
 * | 3    | stderr | rig->consumer | bytes                                     |
 * | 4    | resize | consumer->rig | uint16 columns, uint16 rows (1 to 10000)  |
 * | 5    | eof    | consumer->rig | none: the consumer's stdin ended          |
 * | 6    | exit   | rig->consumer | int32 exit code; the last frame           |
 * | 7    | window | both          | uint32 bytes the sender took out          |
 * | 8    | error  | rig->consumer | UTF-8 text (at most 4096 bytes); the last |
 *
 * Back-pressure is by credit: each side may have at most
 * {@linkcode EXEC_WINDOW_BYTES} of data (stdin, or stdout plus stderr) sent
 * and not yet granted back with a `window` frame; the receiver grants bytes
 * once it has written them out (to the process, to the terminal). A peer that
 * sends past its credit breaks the protocol and the session ends.
 *
 * @module
 */
import { AgentError } from "../errors.ts";
import { FrameReader } from "./_framing.ts";

/** The largest data payload of one frame. */
export const MAX_EXEC_DATA_BYTES = 64 * 1024;
/** The largest exec frame (type byte and payload), in bytes. */
export const MAX_EXEC_FRAME_BYTES = MAX_EXEC_DATA_BYTES + 1;
/** Data a side may send ahead of the other's grants. */
export const EXEC_WINDOW_BYTES = 1024 * 1024;
/** The largest `error` text, in bytes. */
export const MAX_EXEC_ERROR_BYTES = 4096;
/** The largest terminal side accepted in a `resize`. */
export const MAX_TERMINAL_CELLS = 10_000;

/** One frame of an exec session. */
export type ExecFrame =
  | { type: "stdin" | "stdout" | "stderr"; data: Uint8Array }
  | { type: "resize"; cols: number; rows: number }
  | { type: "eof" }
  | { type: "exit"; code: number }
  | { type: "window"; bytes: number }
  | { type: "error"; message: string };

const TYPES = ["stdin", "stdout", "stderr", "resize", "eof", "exit", "window", "error"] as const;

/** A frame that is not one of {@linkcode ExecFrame}'s (bad type, size or payload). */
export class ExecFrameError extends AgentError {
  override name = "ExecFrameError";
}

/**
 * Encodes a frame's bytes (without the 4-byte length of the transport).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeExecFrame, encodeExecFrame } from "./exec_frames.ts";
 * const bytes = encodeExecFrame({ type: "resize", cols: 120, rows: 40 });
 * assert.deepEqual(decodeExecFrame(bytes), { type: "resize", cols: 120, rows: 40 });
 * assert.deepEqual(decodeExecFrame(encodeExecFrame({ type: "exit", code: -1 })), {
 *   type: "exit",
 *   code: -1,
 * });
 * ```
 */
export function encodeExecFrame(frame: ExecFrame): Uint8Array {
  const type = TYPES.indexOf(frame.type) + 1;
  switch (frame.type) {
    case "stdin":
    case "stdout":
    case "stderr": {
      if (frame.data.byteLength > MAX_EXEC_DATA_BYTES) {
        throw new RangeError(`${frame.type} frame of ${frame.data.byteLength} bytes is too large`);
      }
      const out = new Uint8Array(1 + frame.data.byteLength);
      out[0] = type;
      out.set(frame.data, 1);
      return out;
    }
    case "resize": {
      const out = new Uint8Array(5);
      out[0] = type;
      const view = new DataView(out.buffer);
      view.setUint16(1, frame.cols);
      view.setUint16(3, frame.rows);
      return out;
    }
    case "eof":
      return new Uint8Array([type]);
    case "exit":
    case "window": {
      const out = new Uint8Array(5);
      out[0] = type;
      const view = new DataView(out.buffer);
      if (frame.type === "exit") view.setInt32(1, frame.code);
      else view.setUint32(1, frame.bytes);
      return out;
    }
    case "error": {
      const text = new TextEncoder().encode(frame.message).subarray(0, MAX_EXEC_ERROR_BYTES);
      const out = new Uint8Array(1 + text.byteLength);
      out[0] = type;
      out.set(text, 1);
      return out;
    }
  }
}

/**
 * Decodes one frame's bytes; anything else than a well-formed frame throws
 * {@linkcode ExecFrameError} naming what is wrong. Data is a view into `bytes`.
 *
 * @throws {ExecFrameError} for an empty frame, an unknown type, a wrong payload size or value
 */
export function decodeExecFrame(bytes: Uint8Array): ExecFrame {
  if (bytes.byteLength === 0) throw new ExecFrameError("exec frame is empty");
  if (bytes.byteLength > MAX_EXEC_FRAME_BYTES) {
    throw new ExecFrameError(`exec frame of ${bytes.byteLength} bytes is over the limit`);
  }
  const type = TYPES[bytes[0]! - 1];
  const payload = bytes.subarray(1);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const size = (n: number) => {
    if (payload.byteLength !== n) {
      throw new ExecFrameError(
        `exec ${type} frame has ${payload.byteLength} payload bytes, want ${n}`,
      );
    }
  };
  switch (type) {
    case undefined:
      throw new ExecFrameError(`exec frame type ${bytes[0]} is unknown`);
    case "stdin":
    case "stdout":
    case "stderr":
      if (payload.byteLength === 0) throw new ExecFrameError(`exec ${type} frame is empty`);
      return { type, data: payload };
    case "resize": {
      size(4);
      const cols = view.getUint16(0);
      const rows = view.getUint16(2);
      for (const [name, value] of [["columns", cols], ["rows", rows]] as const) {
        if (value < 1 || value > MAX_TERMINAL_CELLS) {
          throw new ExecFrameError(
            `exec resize ${name} ${value} is out of 1..${MAX_TERMINAL_CELLS}`,
          );
        }
      }
      return { type, cols, rows };
    }
    case "eof":
      size(0);
      return { type };
    case "exit":
      size(4);
      return { type, code: view.getInt32(0) };
    case "window": {
      size(4);
      const granted = view.getUint32(0);
      if (granted === 0 || granted > EXEC_WINDOW_BYTES) {
        throw new ExecFrameError(
          `exec window of ${granted} bytes is out of 1..${EXEC_WINDOW_BYTES}`,
        );
      }
      return { type, bytes: granted };
    }
    case "error": {
      if (payload.byteLength > MAX_EXEC_ERROR_BYTES) {
        throw new ExecFrameError(`exec error text of ${payload.byteLength} bytes is too long`);
      }
      let message: string;
      try {
        message = new TextDecoder("utf-8", { fatal: true }).decode(payload);
      } catch {
        throw new ExecFrameError("exec error text is not UTF-8");
      }
      return { type, message };
    }
  }
  throw new ExecFrameError(`exec frame type ${bytes[0]} is unknown`);
}

/**
 * The credit one side holds for the data it sends: `take` waits while the
 * window is spent, `grant` adds what the other side granted back (more than
 * was sent is a protocol error). `close` wakes waiters with an error.
 */
export class ExecCredit {
  #available = EXEC_WINDOW_BYTES;
  #waiters: (() => void)[] = [];
  #closed: Error | undefined;

  /** Waits until `n` (at most the window) bytes may be sent, and takes them. */
  async take(n: number): Promise<void> {
    while (this.#available < n) {
      if (this.#closed) throw this.#closed;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    if (this.#closed) throw this.#closed;
    this.#available -= n;
  }

  /**
   * Takes back `n` bytes granted by the other side.
   *
   * @throws {ExecFrameError} when more was granted than is outstanding
   */
  grant(n: number): void {
    if (this.#available + n > EXEC_WINDOW_BYTES) {
      throw new ExecFrameError(`exec window grants ${n} bytes more than were sent`);
    }
    this.#available += n;
    this.#wake();
  }

  /** Fails every waiter and later `take`. */
  close(reason: Error): void {
    this.#closed = reason;
    this.#wake();
  }

  #wake() {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

/**
 * What the receiving side may still take: data past the credit it granted is
 * a protocol error.
 */
export class ExecInbox {
  #outstanding = 0;

  /**
   * Counts `n` received bytes.
   *
   * @throws {ExecFrameError} when the sender went past its window
   */
  received(n: number): void {
    this.#outstanding += n;
    if (this.#outstanding > EXEC_WINDOW_BYTES) {
      throw new ExecFrameError(`peer sent ${this.#outstanding} bytes past the window`);
    }
  }

  /** Marks `n` bytes as written out; returns the grant to send. */
  consumed(n: number): number {
    this.#outstanding -= n;
    return n;
  }
}

/**
 * Reads exec frames from a byte stream (4-byte length, then the frame), as
 * both ends of a session do: a frame over {@linkcode MAX_EXEC_FRAME_BYTES} is
 * refused before it is buffered, and anything malformed (a bad frame, a
 * stream cut inside one) throws {@linkcode ExecFrameError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeExecFrame, readExecFrames } from "./exec_frames.ts";
 * const frame = encodeExecFrame({ type: "eof" });
 * const wire = new Uint8Array([0, 0, 0, frame.length, ...frame]);
 * const frames = [];
 * for await (const f of readExecFrames((async function* () { yield wire; })())) frames.push(f);
 * assert.deepEqual(frames, [{ type: "eof" }]);
 * ```
 */
export async function* readExecFrames(
  source: AsyncIterable<Uint8Array>,
): AsyncGenerator<ExecFrame> {
  const reader = new FrameReader(source[Symbol.asyncIterator]());
  while (true) {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await reader.next(MAX_EXEC_FRAME_BYTES);
    } catch (error) {
      throw new ExecFrameError(`exec frames: ${(error as Error).message}`, { cause: error });
    }
    if (bytes === undefined) return;
    yield decodeExecFrame(bytes);
  }
}
