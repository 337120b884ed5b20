import { fileURLToPath } from "node:url";
import { ProbeError } from "./errors.ts";
import type { ProbeName, RunProbe } from "./run_probe.ts";

/** Options of {@linkcode createNativeProbeRunner}. */
export type NativeProbeRunnerOptions = {
  /**
   * Folder of the built GPU probes (`scripts/build_probes.sh`).
   * @default {"<checkout>/build/probes"}
   */
  buildDir?: string | undefined;
};

/**
 * A {@linkcode RunProbe} that runs probes as host processes: the sysbench
 * script and the GPU probe binaries built by `scripts/build_probes.sh`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createNativeProbeRunner } from "./native_probe_runner.ts";
 * const runProbe = createNativeProbeRunner();
 * const run = await runProbe({
 *   probe: "sysbench", args: [], timeoutMs: 30_000,
 *   env: { SONM_BENCHMARK_ID: "1", SONM_BENCH_SECONDS: "1" },
 * });
 * assert.equal(run.where, "native");
 * ```
 */
export function createNativeProbeRunner(options: NativeProbeRunnerOptions = {}): RunProbe {
  const buildDir = options.buildDir ??
    fileURLToPath(new URL("../../build/probes", import.meta.url));
  const commands: Record<ProbeName, { command: string; args: string[] }> = {
    "sysbench": {
      command: "sh",
      args: [fileURLToPath(new URL("./probes/sysbench_probe.sh", import.meta.url))],
    },
    "gpu-opencl": { command: `${buildDir}/gpu_probe_cl`, args: [] },
    "gpu-cuda": { command: `${buildDir}/gpu_probe_cuda`, args: [] },
  };
  return async function runNativeProbe({ probe, args, env, timeoutMs, signal }) {
    const { command, args: base } = commands[probe];
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const out = await new Deno.Command(command, {
        args: [...base, ...args],
        env: { ...env },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      }).output();
      const decoder = new TextDecoder();
      return {
        code: out.code,
        stdout: decoder.decode(out.stdout),
        stderr: decoder.decode(out.stderr),
        where: "native",
      };
    } catch (cause) {
      if (cause instanceof Deno.errors.NotFound) {
        throw new ProbeError({
          probe,
          reason: `"${command}" not found`,
          hints: probe === "sysbench"
            ? ["Install sysbench (Debian: apt-get install sysbench)"]
            : ["Build the GPU probes: scripts/build_probes.sh"],
        }, { cause });
      }
      if (signal?.aborted) throw cause;
      if (timeout.aborted) {
        throw new ProbeError({ probe, reason: `timed out after ${timeoutMs} ms` }, { cause });
      }
      throw new ProbeError({ probe, reason: String(cause) }, { cause });
    }
  };
}
