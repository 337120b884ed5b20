import { z } from "zod";
import { parseProbeOutput } from "./_probe_output.ts";
import { ProbeError } from "./errors.ts";
import type { EthashVector } from "./ethash_vectors.ts";
import type { RunProbe } from "./run_probe.ts";

const Device = z.object({
  api: z.string(),
  name: z.string(),
  vendor: z.string(),
  driver: z.string(),
  uuid: z.string(),
  pciBusId: z.string(),
  computeCapability: z.string(),
  memBytes: z.number(),
  computeUnits: z.number(),
});

const Output = z.object({
  probe: z.literal("gpu-ethash"),
  version: z.string(),
  device: Device,
  mode: z.enum(["light", "full"]),
  epoch: z.number().int(),
  cacheBytes: z.number(),
  datasetBytes: z.number(),
  vectors: z.array(z.object({
    block: z.number().int(),
    ok: z.boolean(),
    mix: z.string(),
    final: z.string(),
    hostFinal: z.string(),
  })),
  dagCheck: z.object({ pages: z.number(), hashes: z.number(), ok: z.boolean() }).nullable(),
  cacheSeconds: z.number(),
  dagSeconds: z.number(),
  hashSeconds: z.number(),
  hashes: z.number(),
  found: z.number(),
  searchSeconds: z.number(),
  hashrate: z.number().nonnegative(),
  ok: z.boolean(),
});

/** Options of {@linkcode probeGpuEthash}. */
export type ProbeGpuEthashOptions = {
  /** `cuda` for NVIDIA, `opencl` for everything else (PoCL on a CPU included). */
  api: "cuda" | "opencl";
  /** The known-answer vectors to check; in full mode all from one epoch. */
  vectors: readonly EthashVector[];
  /**
   * `full`: build the epoch's DAG on the device, check the vectors, then hash
   * for `seconds`. `light`: check the vectors from the light cache only (for
   * CPUs and CI: no DAG, no timing).
   * @default {"full"}
   */
  mode?: "full" | "light" | undefined;
  /**
   * Hashing time in full mode.
   * @default {10}
   */
  seconds?: number | undefined;
  /**
   * Also check the full-DAG path on a small DAG of this many 128-byte pages (0: off).
   * @default {0}
   */
  dagCheckPages?: number | undefined;
  /** Device index within the API. @default {0} */
  device?: number | undefined;
  /** Time limit of the probe, in milliseconds. @default {600000} */
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
};

/** Return type of {@linkcode probeGpuEthash}. */
export type ProbeGpuEthashReturnType = {
  /** Hashes per second (0 in light mode). */
  value: bigint;
  where: "native" | "container";
  details: z.infer<typeof Output>;
};

/**
 * Runs the Ethash probe (src/bench/probes): builds the epoch's light cache,
 * checks the known-answer vectors on the device (and on the host), and in
 * full mode builds the DAG and measures hashes per second.
 *
 * @throws {ProbeError} when a vector or the DAG check fails: a wrong hash is never timed
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createNativeProbeRunner } from "./native_probe_runner.ts";
 * import { ETHASH_VECTORS } from "./ethash_vectors.ts";
 * import { probeGpuEthash } from "./probe_gpu_ethash.ts";
 * const r = await probeGpuEthash({ runProbe: createNativeProbeRunner() }, {
 *   api: "opencl", mode: "light", vectors: ETHASH_VECTORS.slice(0, 1),
 * });
 * assert.ok(r.details.vectors.every((v) => v.ok));
 * ```
 */
export async function probeGpuEthash(
  components: { runProbe: RunProbe },
  options: ProbeGpuEthashOptions,
): Promise<ProbeGpuEthashReturnType> {
  const {
    api,
    vectors,
    mode = "full",
    seconds = 10,
    dagCheckPages = 0,
    device = 0,
    timeoutMs = 600_000,
    signal,
  } = options;
  const probe = api === "cuda" ? "gpu-cuda" : "gpu-opencl";
  if (vectors.length === 0) {
    throw new RangeError("Cannot run the Ethash probe: vectors must not be empty");
  }
  const args = ["ethash", "--mode", mode, "--seconds", String(seconds), "--device", String(device)];
  if (dagCheckPages > 0) args.push("--dag-check", String(dagCheckPages));
  for (const v of vectors) {
    args.push(
      "--vector",
      `${v.blockNumber}:${v.headerHash}:${v.nonce}:${v.mixHash}:${v.finalHash}`,
    );
  }
  const run = await components.runProbe({
    probe,
    args,
    env: {
      SONM_BENCHMARK_ID: "9",
      SONM_CPU_COUNT: "1",
      SONM_GPU_TYPE: api === "cuda" ? "nvidia" : "opencl",
    },
    timeoutMs,
    signal,
  });
  const details = parseProbeOutput(probe, run, Output);
  const bad = details.vectors.filter((v) => !v.ok).map((v) => v.block);
  if (details.vectors.length !== vectors.length || bad.length > 0) {
    throw new ProbeError({
      probe,
      reason: `Ethash vectors failed on ${details.device.name}: blocks ${bad.join(", ")}`,
    });
  }
  if (details.dagCheck !== null && !details.dagCheck.ok) {
    throw new ProbeError({ probe, reason: `the DAG check failed on ${details.device.name}` });
  }
  if (!details.ok) throw new ProbeError({ probe, reason: "the probe reported a failed check" });
  return { value: BigInt(Math.round(details.hashrate)), where: run.where, details };
}
