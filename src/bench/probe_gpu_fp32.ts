import { z } from "zod";
import { parseProbeOutput } from "./_probe_output.ts";
import { ProbeError } from "./errors.ts";
import type { RunProbe } from "./run_probe.ts";

const Output = z.object({
  probe: z.literal("gpu-fp32"),
  version: z.string(),
  device: z.object({ api: z.string(), name: z.string(), uuid: z.string(), memBytes: z.number() })
    .passthrough(),
  threads: z.number().int().positive(),
  iters: z.number().int().positive(),
  launches: z.number().int().nonnegative(),
  checked: z.number().int().nonnegative(),
  seconds: z.number().nonnegative(),
  gflops: z.number().nonnegative(),
  ok: z.boolean(),
});

/** Options of {@linkcode probeGpuFp32}. */
export type ProbeGpuFp32Options = {
  api: "cuda" | "opencl";
  /** Timed seconds (0: only the correctness check). @default {5} */
  seconds?: number | undefined;
  /** Threads per launch (0: 2048 per compute unit). @default {0} */
  threads?: number | undefined;
  /** Device index within the API. @default {0} */
  device?: number | undefined;
  signal?: AbortSignal | undefined;
};

/** Return type of {@linkcode probeGpuFp32}. */
export type ProbeGpuFp32ReturnType = {
  /** GFLOPS (2 per fused multiply-add), rounded. */
  value: bigint;
  where: "native" | "container";
  details: z.infer<typeof Output>;
};

/**
 * Runs the FP32 FMA throughput probe: 16 independent FMA chains per thread,
 * launched for `seconds`; a spread of threads is recomputed on the host with
 * fmaf() and must match bit for bit.
 *
 * @throws {ProbeError} when the probe fails or its results do not match the host's
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createNativeProbeRunner } from "./native_probe_runner.ts";
 * import { probeGpuFp32 } from "./probe_gpu_fp32.ts";
 * const r = await probeGpuFp32({ runProbe: createNativeProbeRunner() }, {
 *   api: "opencl", seconds: 0.5,
 * });
 * assert.ok(r.details.ok);
 * ```
 */
export async function probeGpuFp32(
  components: { runProbe: RunProbe },
  options: ProbeGpuFp32Options,
): Promise<ProbeGpuFp32ReturnType> {
  const { api, seconds = 5, threads = 0, device = 0, signal } = options;
  const probe = api === "cuda" ? "gpu-cuda" : "gpu-opencl";
  const run = await components.runProbe({
    probe,
    args: [
      "fp32",
      "--seconds",
      String(seconds),
      "--threads",
      String(threads),
      "--device",
      String(device),
    ],
    env: {
      SONM_BENCHMARK_ID: "15",
      SONM_CPU_COUNT: "1",
      SONM_GPU_TYPE: api === "cuda" ? "nvidia" : "opencl",
    },
    timeoutMs: (seconds + 120) * 1000,
    signal,
  });
  const details = parseProbeOutput(probe, run, Output);
  if (!details.ok || details.checked === 0) {
    throw new ProbeError({
      probe,
      reason: `FP32 results differ from the host's on ${details.device.name}`,
    });
  }
  return { value: BigInt(Math.round(details.gflops)), where: run.where, details };
}
