import { z } from "zod";
import { parseProbeOutput } from "./_probe_output.ts";
import type { RunProbe } from "./run_probe.ts";

const Output = z.object({
  probe: z.literal("sysbench"),
  version: z.string(),
  ok: z.literal(true),
  threads: z.number().int().positive(),
  seconds: z.number().positive(),
  eventsPerSecond: z.number().nonnegative(),
  events: z.number().int().nonnegative(),
  sysbench: z.string(),
});

/** Options of {@linkcode probeCpuSysbench}. */
export type ProbeCpuSysbenchOptions = {
  /** Run on every thread (`cpuCount` of them) or on one. */
  threads: "all" | "one";
  /** Threads of the multi-thread run. */
  cpuCount: number;
  /**
   * Run time in seconds.
   * @default {3}
   */
  seconds?: number | undefined;
  signal?: AbortSignal | undefined;
};

/** Return type of {@linkcode probeCpuSysbench}. */
export type ProbeCpuSysbenchReturnType = {
  /** sysbench cpu events per second, rounded. */
  value: bigint;
  where: "native" | "container";
  details: z.infer<typeof Output>;
};

/**
 * Runs `sysbench cpu` (prime numbers up to 10000) through the probe runner
 * and reports events per second.
 *
 * @throws {ProbeError} when the probe fails or prints something unexpected
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createNativeProbeRunner } from "./native_probe_runner.ts";
 * import { probeCpuSysbench } from "./probe_cpu_sysbench.ts";
 * const r = await probeCpuSysbench({ runProbe: createNativeProbeRunner() }, {
 *   threads: "one", cpuCount: 1, seconds: 1,
 * });
 * assert.ok(r.value > 0n);
 * ```
 */
export async function probeCpuSysbench(
  components: { runProbe: RunProbe },
  options: ProbeCpuSysbenchOptions,
): Promise<ProbeCpuSysbenchReturnType> {
  const { threads, cpuCount, seconds = 3, signal } = options;
  if (!Number.isInteger(cpuCount) || cpuCount < 1) {
    throw new RangeError(
      `Cannot run sysbench: cpuCount must be a positive integer: current value is ${cpuCount}`,
    );
  }
  const run = await components.runProbe({
    probe: "sysbench",
    args: [],
    env: {
      // The probe's environment (sysbench_probe.sh): 0 runs all threads, 1 one.
      SONM_BENCHMARK_ID: threads === "all" ? "0" : "1",
      SONM_CPU_COUNT: String(cpuCount),
      SONM_GPU_TYPE: "none",
      SONM_BENCH_SECONDS: String(seconds),
    },
    timeoutMs: (seconds + 30) * 1000,
    signal,
  });
  const details = parseProbeOutput("sysbench", run, Output);
  return { value: BigInt(Math.round(details.eventsPerSecond)), where: run.where, details };
}
