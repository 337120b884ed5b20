/**
 * Private stream decoders: JSON lines (pull progress, stats, events) and the
 * multiplexed stdout/stderr frames of logs and exec without a TTY.
 *
 * @module
 */

/** Yields each JSON value of a newline-delimited JSON body; stops on abort. */
export async function* jsonLines<T>(
  body: ReadableStream<Uint8Array> | null,
  signal?: AbortSignal,
): AsyncGenerator<T> {
  if (!body) return;
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const onAbort = () => reader.cancel().catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  let buf = "";
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) yield JSON.parse(line) as T;
      }
    }
    if (buf.trim()) yield JSON.parse(buf) as T;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/** One decoded frame of a multiplexed stream. */
export type StreamFrame = { stream: "stdin" | "stdout" | "stderr"; data: Uint8Array };

const STREAMS = ["stdin", "stdout", "stderr"] as const;

/**
 * Decodes Docker's multiplexed stream: frames of an 8-byte header
 * (stream type, 3 zero bytes, big-endian uint32 length) and the payload.
 * Frames may span chunks; a chunk may hold many frames. Consecutive frames
 * of one stream within a chunk are yielded together (one copy, one yield).
 */
export async function* demultiplex(
  body: ReadableStream<Uint8Array> | null,
  signal?: AbortSignal,
): AsyncGenerator<StreamFrame> {
  if (!body) return;
  const reader = body.getReader();
  const onAbort = () => reader.cancel().catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  let buf: Uint8Array = new Uint8Array(0);
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      buf = concat(buf, value);
      let off = 0;
      let runType = -1;
      const run: Uint8Array[] = [];
      const out: StreamFrame[] = [];
      const flush = () => {
        if (run.length) out.push({ stream: STREAMS[runType] ?? "stdout", data: join(run) });
        run.length = 0;
      };
      while (buf.length - off >= 8) {
        const type = buf[off] ?? 0;
        const len = (((buf[off + 4] ?? 0) << 24) | ((buf[off + 5] ?? 0) << 16) |
          ((buf[off + 6] ?? 0) << 8) | (buf[off + 7] ?? 0)) >>> 0;
        if (buf.length - off - 8 < len) break;
        if (type !== runType) {
          flush();
          runType = type;
        }
        run.push(buf.subarray(off + 8, off + 8 + len));
        off += 8 + len;
      }
      flush();
      buf = off === buf.length ? new Uint8Array(0) : buf.slice(off);
      for (const f of out) yield f;
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

function join(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
