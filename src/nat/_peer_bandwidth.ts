/**
 * A per-peer bandwidth cap for the relay: a token bucket per remote peer,
 * charged with every byte the peer sends into a relayed stream. When the
 * bucket runs dry the stream is paused (the muxer's flow control then holds
 * the sender back) and resumed once the bucket has refilled.
 *
 * @module
 */
import type { Connection, Stream, StreamMiddleware } from "@libp2p/interface";

/** A token bucket: `rate` bytes per second, at most `burst` bytes at once. */
export class TokenBucket {
  #level: number;
  #at: number;
  constructor(
    readonly rate: number,
    readonly burst: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.#level = burst;
    this.#at = now();
  }

  /**
   * Takes `bytes` when the bucket holds them (or is full, for a chunk larger
   * than the burst: the bucket then goes into debt) and returns 0; otherwise
   * takes nothing and returns the ms to wait before asking again.
   *
   * @example
   * ```ts
   * import assert from "node:assert";
   * import { TokenBucket } from "./_peer_bandwidth.ts";
   * let now = 0;
   * const bucket = new TokenBucket(1000, 1000, () => now);
   * assert.equal(bucket.take(1000), 0);
   * assert.equal(bucket.take(500), 500);
   * now = 500;
   * assert.equal(bucket.take(500), 0);
   * assert.equal(bucket.take(3000), 1000); // larger than the burst: waits for a full bucket
   * now = 1500;
   * assert.equal(bucket.take(3000), 0);
   * assert.equal(bucket.take(1), 2001); // then pays the debt off
   * ```
   */
  take(bytes: number): number {
    const now = this.now();
    this.#level = Math.min(this.burst, this.#level + ((now - this.#at) / 1000) * this.rate);
    this.#at = now;
    const need = Math.min(bytes, this.burst);
    if (this.#level >= need) {
      this.#level -= bytes;
      return 0;
    }
    return Math.ceil(((need - this.#level) / this.rate) * 1000);
  }
}

/** Bytes a stream may hold back for a peer over its cap before the stream is reset. */
export const MAX_HELD_BYTES = 32 * 1024 * 1024; // above the inner muxers' 16 MiB windows

type Chunk = { byteLength: number };
type DataSink = { onData(data: Chunk): void; onRemoteCloseWrite(): void };

/**
 * A stream middleware that caps what each remote peer sends through the relay
 * at `bytesPerSecond` (one bucket shared by all of that peer's relayed
 * streams, burst of one second). Over the cap, the relay holds the peer's
 * data back and delivers it as the bucket refills; a peer that keeps sending
 * far over its cap (more than {@linkcode MAX_HELD_BYTES} held) is reset.
 * It wraps the stream's `onData` (what the muxer calls) rather than adding a
 * `message` listener, which would take bytes meant for the relay's pipe.
 */
export function peerBandwidthCap(
  bytesPerSecond: number,
): (stream: Stream, connection: Connection) => void {
  const buckets = new Map<string, { bucket: TokenBucket; streams: number }>();
  return (stream: Stream, connection: Connection) => {
    const key = connection.remotePeer.toString();
    const entry = buckets.get(key) ??
      { bucket: new TokenBucket(bytesPerSecond, bytesPerSecond), streams: 0 };
    buckets.set(key, entry);
    entry.streams += 1;
    const sink = stream as unknown as DataSink;
    const deliver = sink.onData.bind(stream);
    const closeWrite = sink.onRemoteCloseWrite.bind(stream);
    let closeWriteHeld = false; // the peer's end of data must come after the data held back
    const held: Chunk[] = [];
    let heldBytes = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      while (held.length > 0) {
        const chunk = held[0]!;
        const wait = entry.bucket.take(chunk.byteLength);
        if (wait > 0) {
          timer = setTimeout(flush, wait);
          return;
        }
        held.shift();
        heldBytes -= chunk.byteLength;
        deliver(chunk);
      }
      if (closeWriteHeld) {
        closeWriteHeld = false;
        closeWrite();
      }
    };
    sink.onRemoteCloseWrite = () => {
      if (held.length === 0) return closeWrite();
      closeWriteHeld = true;
    };
    sink.onData = (data: Chunk) => {
      if (held.length === 0 && entry.bucket.take(data.byteLength) === 0) return deliver(data);
      held.push(data);
      heldBytes += data.byteLength;
      if (heldBytes > MAX_HELD_BYTES) {
        stream.abort(new Error(`peer ${key} is over its relay bandwidth cap`));
        return;
      }
      timer ??= setTimeout(flush, 10);
    };
    stream.addEventListener("close", () => {
      clearTimeout(timer);
      entry.streams -= 1;
      if (entry.streams === 0) buckets.delete(key);
    });
  };
}

/**
 * The cap as middleware, for streams the relay opens (STOP). Inbound streams
 * (HOP) get it through {@linkcode wrapHandler} instead: libp2p 3.3 appends
 * the handler to the stored middleware array on every inbound stream, so
 * inbound middleware runs the handler again and again.
 */
export function asMiddleware(
  cap: (stream: Stream, connection: Connection) => void,
): StreamMiddleware {
  return (stream, connection, next) => {
    cap(stream, connection);
    next(stream, connection);
  };
}
