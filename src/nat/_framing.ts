/**
 * Length-prefixed frames over a libp2p stream: a 4-byte big-endian length,
 * then that many bytes. The reader refuses a frame over its limit before
 * buffering it, so a peer cannot make the host hold more than the limit.
 *
 * @module
 */
import type { Stream } from "@libp2p/interface";

/** A frame longer than the reader's limit. */
export class FrameTooLargeError extends Error {
  override name = "FrameTooLargeError";
  constructor(readonly length: number, readonly limit: number) {
    super(`frame of ${length} bytes is over the limit of ${limit}`);
  }
}

/** Encodes one frame. */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.byteLength);
  new DataView(out.buffer).setUint32(0, payload.byteLength);
  out.set(payload, 4);
  return out;
}

/** Bytes of a stream as an iterator of Uint8Array (libp2p may yield Uint8ArrayList). */
export async function* streamBytes(
  source: AsyncIterable<Uint8Array | { subarray(): Uint8Array }>,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    yield chunk instanceof Uint8Array ? chunk : chunk.subarray();
  }
}

/**
 * Pulls frames (and afterwards raw bytes) from a byte iterator. Chunks are
 * kept in a list and joined once a frame is complete: the transports deliver
 * a few KiB at a time, and re-joining per chunk would copy a 256 KiB frame
 * dozens of times.
 */
export class FrameReader {
  #chunks: Uint8Array[] = [];
  #length = 0;
  #done = false;
  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  async #fill(wanted: number): Promise<boolean> {
    while (this.#length < wanted) {
      if (this.#done) return false;
      const next = await this.source.next();
      if (next.done) {
        this.#done = true;
        return false;
      }
      this.#chunks.push(next.value);
      this.#length += next.value.byteLength;
    }
    return true;
  }

  /** Removes and returns the first `n` buffered bytes (n <= buffered). */
  #take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const chunk = this.#chunks[0]!;
      const part = Math.min(chunk.byteLength, n - at);
      out.set(chunk.subarray(0, part), at);
      at += part;
      if (part === chunk.byteLength) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(part);
    }
    this.#length -= n;
    return out;
  }

  /** The next frame, or `undefined` at a clean end of stream. */
  async next(limit: number): Promise<Uint8Array | undefined> {
    if (!(await this.#fill(4))) {
      if (this.#length === 0) return undefined;
      throw new Error(`stream ended inside a frame header`);
    }
    const header = this.#take(4);
    const length = new DataView(header.buffer).getUint32(0);
    if (length > limit) throw new FrameTooLargeError(length, limit);
    if (!(await this.#fill(length))) throw new Error(`stream ended inside a frame`);
    return this.#take(length);
  }

  /** Whatever is left: the buffered bytes first, then the rest of the source. */
  async *rest(): AsyncGenerator<Uint8Array> {
    const buffered = this.#chunks;
    this.#chunks = [];
    this.#length = 0;
    yield* buffered;
    while (!this.#done) {
      const next = await this.source.next();
      if (next.done) return;
      yield next.value;
    }
  }
}

/** Sends bytes on a stream, waiting for it to drain when its buffer is full. */
export async function sendBytes(stream: Stream, bytes: Uint8Array): Promise<void> {
  if (!stream.send(bytes)) await stream.onDrain();
}

/**
 * Sends one binary frame: the length, then the bytes as they are (no copy
 * into a joined buffer). An empty one is only sent on purpose (it ends a run).
 */
export async function sendBinaryFrame(stream: Stream, payload: Uint8Array): Promise<void> {
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, payload.byteLength);
  stream.send(header);
  if (payload.byteLength > 0) await sendBytes(stream, payload);
  else if (stream.writableNeedsDrain) await stream.onDrain();
}

const encoder = new TextEncoder();

/** Sends one JSON value as a frame. */
export async function sendJsonFrame(stream: Stream, value: unknown): Promise<void> {
  await sendBytes(stream, encodeFrame(encoder.encode(JSON.stringify(value))));
}
