/** Options of {@linkcode readBody}. */
export type ReadBodyOptions = {
  /** A body with more bytes than this is refused (413) as soon as it shows. */
  maxBytes: number;
  /** A body that has not arrived in full after this long is refused (400), ms. */
  timeoutMs: number;
};

/** The body's text, or the answer that refuses it. */
export type ReadBodyReturnType =
  | { ok: true; text: string }
  | { ok: false; status: 400 | 413; message: string };

/**
 * Reads a request body with bounded work: a `Content-Length` over the limit
 * is refused before a byte is read, a body that runs past the limit is
 * refused at the first byte over it (the rest is never read), and a body
 * shorter than its `Content-Length` (a client that half-closed, or one that
 * keeps the connection open and sends nothing) is refused after `timeoutMs`,
 * never left hanging or answered with a 500.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readBody } from "./_read_body.ts";
 * const post = (body: string) => new Request("http://127.0.0.1/", { method: "POST", body });
 * assert.deepEqual(await readBody(post("{}"), { maxBytes: 8, timeoutMs: 1000 }), { ok: true, text: "{}" });
 * const big = await readBody(post("x".repeat(9)), { maxBytes: 8, timeoutMs: 1000 });
 * assert.equal(big.ok ? 200 : big.status, 413);
 * ```
 */
export async function readBody(
  request: Request,
  { maxBytes, timeoutMs }: ReadBodyOptions,
): Promise<ReadBodyReturnType> {
  const tooLarge = {
    ok: false,
    status: 413,
    message: `the body is over ${maxBytes} bytes`,
  } as const;
  const declared = request.headers.get("content-length");
  if (declared !== null && (!/^\d{1,15}$/.test(declared) || Number(declared) > maxBytes)) {
    await request.body?.cancel().catch(() => {});
    return /^\d+$/.test(declared)
      ? tooLarge
      : { ok: false, status: 400, message: `the Content-Length "${declared}" is not a number` };
  }
  if (request.body === null) return { ok: true, text: "" };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), timeoutMs);
  });
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), late]);
      if (next === "late") {
        return {
          ok: false,
          status: 400,
          message: `the body did not arrive within ${timeoutMs} ms`,
        };
      }
      if (next.done) break;
      size += next.value.byteLength;
      if (size > maxBytes) return tooLarge;
      chunks.push(next.value);
    }
  } catch {
    // the client closed its side before the whole body came (Deno says BadResource)
    return { ok: false, status: 400, message: "the body ended before its Content-Length" };
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return { ok: true, text: new TextDecoder().decode(bytes) };
}
