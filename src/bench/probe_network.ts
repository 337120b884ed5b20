import { ProbeError } from "./errors.ts";

/** Options of {@linkcode probeNetwork}. */
export type ProbeNetworkOptions = {
  /** Base URL of a server speaking {@linkcode createNetProbeHandler}'s protocol. */
  endpoint: string;
  direction: "download" | "upload";
  /** Bytes to move. @default {33554432} (32 MiB) */
  bytes?: number | undefined;
  /** Time limit, in milliseconds. @default {60000} */
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
};

/** Return type of {@linkcode probeNetwork}. */
export type ProbeNetworkReturnType = {
  /** Bits per second, rounded. */
  value: bigint;
  bytes: number;
  seconds: number;
};

/**
 * Measures download (`GET <endpoint>/download?bytes=N`) or upload
 * (`POST <endpoint>/upload`, the server answers the byte count it read)
 * throughput against a configurable endpoint.
 *
 * @throws {ProbeError} when the endpoint fails or moves fewer bytes than asked
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createNetProbeHandler } from "./net_probe_handler.ts";
 * import { probeNetwork } from "./probe_network.ts";
 * const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, createNetProbeHandler());
 * const r = await probeNetwork({}, {
 *   endpoint: `http://127.0.0.1:${server.addr.port}`, direction: "download", bytes: 1 << 20,
 * });
 * assert.ok(r.value > 0n);
 * await server.shutdown();
 * ```
 */
export async function probeNetwork(
  components: { fetch?: typeof fetch | undefined },
  options: ProbeNetworkOptions,
): Promise<ProbeNetworkReturnType> {
  const { endpoint, direction, bytes = 32 * 2 ** 20, timeoutMs = 60_000, signal } = options;
  const doFetch = components.fetch ?? fetch;
  const probe = `net-${direction}`;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new RangeError(
      `Cannot measure ${direction}: bytes must be a positive integer: current value is ${bytes}`,
    );
  }
  let base: URL;
  try {
    base = new URL(endpoint.endsWith("/") ? endpoint : endpoint + "/");
  } catch (cause) {
    throw new ProbeError({ probe, reason: `endpoint is not a URL: "${endpoint}"` }, { cause });
  }
  const timeout = AbortSignal.timeout(timeoutMs);
  const all = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
  const started = performance.now();
  let moved = 0;
  try {
    if (direction === "download") {
      const res = await doFetch(new URL(`download?bytes=${bytes}`, base), { signal: all });
      if (!res.ok || res.body === null) {
        await res.body?.cancel();
        throw new ProbeError({ probe, reason: `endpoint answered ${res.status}` });
      }
      for await (const chunk of res.body) moved += chunk.byteLength;
    } else {
      const chunk = new Uint8Array(256 * 1024).map((_, i) => (i * 2654435761) >>> 24);
      let left = bytes;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (left <= 0) return controller.close();
          const n = Math.min(left, chunk.length);
          controller.enqueue(n === chunk.length ? chunk : chunk.subarray(0, n));
          left -= n;
        },
      });
      const res = await doFetch(new URL("upload", base), { method: "POST", body, signal: all });
      const text = await res.text();
      if (!res.ok) throw new ProbeError({ probe, reason: `endpoint answered ${res.status}` });
      moved = Number(text.trim());
    }
  } catch (cause) {
    if (cause instanceof ProbeError) throw cause;
    if (signal?.aborted) throw cause;
    throw new ProbeError({ probe, reason: `cannot reach "${endpoint}": ${String(cause)}` }, {
      cause,
    });
  }
  const seconds = (performance.now() - started) / 1000;
  if (moved !== bytes) {
    throw new ProbeError({ probe, reason: `moved ${moved} of ${bytes} bytes` });
  }
  return {
    value: BigInt(Math.round((moved * 8) / Math.max(seconds, 1e-6))),
    bytes: moved,
    seconds,
  };
}
