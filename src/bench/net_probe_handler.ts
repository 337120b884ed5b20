/** Options of {@linkcode createNetProbeHandler}. */
export type NetProbeHandlerOptions = {
  /** Largest download served, in bytes. @default {1073741824} (1 GiB) */
  maxBytes?: number | undefined;
};

/**
 * The server side of the network probe, as a `fetch` handler: `GET
 * /download?bytes=N` streams N bytes, `POST /upload` reads the body and
 * answers its length. Serve it on a rig or a test's loopback.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createNetProbeHandler } from "./net_probe_handler.ts";
 * const handler = createNetProbeHandler();
 * const res = await handler(new Request("http://x/download?bytes=10"));
 * assert.equal((await res.arrayBuffer()).byteLength, 10);
 * ```
 */
export function createNetProbeHandler(
  options: NetProbeHandlerOptions = {},
): (request: Request) => Promise<Response> {
  const { maxBytes = 2 ** 30 } = options;
  const chunk = new Uint8Array(256 * 1024).map((_, i) => (i * 2246822519) >>> 24);
  return async function netProbeHandler(request) {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/download") {
      const bytes = Number(url.searchParams.get("bytes"));
      if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes > maxBytes) {
        return new Response(`Cannot serve download: bytes must be 1..${maxBytes}\n`, {
          status: 400,
        });
      }
      let left = bytes;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (left <= 0) return controller.close();
          const n = Math.min(left, chunk.length);
          controller.enqueue(chunk.slice(0, n));
          left -= n;
        },
      });
      return new Response(body, {
        headers: { "content-type": "application/octet-stream", "content-length": String(bytes) },
      });
    }
    if (request.method === "POST" && url.pathname === "/upload") {
      let n = 0;
      if (request.body !== null) { for await (const c of request.body) n += c.byteLength; }
      return new Response(`${n}\n`);
    }
    await request.body?.cancel();
    return new Response("Not found\n", { status: 404 });
  };
}
