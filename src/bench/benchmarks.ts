/**
 * The benchmark list, as data. Ids are fixed by the market (DESIGN.md
 * "Benchmark IDs"); a market that adds a benchmark adds a row here. Each row
 * says how its value is measured (`measure`), which way is better
 * (`better`: the market compares `ask >= bid`, so every id is "higher"), and
 * how a rig's value becomes a plan's (`scale`). The suite and the pricing of
 * plans read the rows; neither switches on an id. Id 15 (FP32 GFLOPS) is
 * ours; 10, 11 and 12 have no honest probe yet and are reported absent (0
 * with a note), never faked.
 *
 * @module
 */
import type { Hardware } from "./types.ts";

/** A value read from discovered hardware, with a note for people. */
export type HostReading = { value: bigint; note: string };

/** The probe a `probe` benchmark runs. */
export type BenchmarkProbe = "sysbench" | "gpu-ethash" | "gpu-fp32";

/** How a benchmark's value is obtained. */
export type BenchmarkMeasure =
  /** Read from the discovered hardware (cores, RAM, ...). */
  | { readonly kind: "host"; read(hardware: Hardware): HostReading }
  /** sysbench's CPU test on every thread of the rig, or on one. */
  | { readonly kind: "probe"; readonly probe: "sysbench"; readonly threads: "all" | "one" }
  /** A GPU probe, run on each GPU of the rig; the value is their sum. */
  | { readonly kind: "probe"; readonly probe: "gpu-ethash" | "gpu-fp32" }
  /** A transfer against the network probe's endpoint. */
  | { readonly kind: "network"; readonly direction: "download" | "upload" }
  /** No honest probe exists yet: always reported absent (0, with a note). */
  | { readonly kind: "absent" };

/** What a plan takes of the rig, for {@linkcode BenchmarkScale}. */
export type PlanShare = {
  /** The plan's CPU share, possibly fractional. */
  cpuCores: number;
  ramBytes: number;
  storageBytes: number;
  /** The rig's GPUs the plan takes. */
  gpus: readonly { memBytes: number; vendor: string }[];
  /** The whole rig: its CPU threads and GPU count. */
  rig: { threads: number; gpuCount: number };
};

/** How a rig's value becomes a plan's (what its ASK offers). */
export type BenchmarkScale =
  /** From the plan's own resources (cores, RAM, its GPUs), not from a measurement. */
  | { readonly kind: "plan"; value(plan: PlanShare): bigint }
  /** The measurement as is (per-thread speed, the network link). */
  | { readonly kind: "as-measured" }
  /** Measured on all the rig's threads: times the plan's share of them. */
  | { readonly kind: "cpu-share" }
  /** Summed over the rig's GPUs: times the plan's share of them; left out without GPUs. */
  | { readonly kind: "gpu-share" }
  /** Never offered (absent benchmarks). */
  | { readonly kind: "none" };

/** One row of the benchmark list. */
export type BenchmarkDefinition = {
  /** The market's id: the index in an order's benchmarks array. */
  readonly id: number;
  /** Stable short key, used on the command line (`--only cpu-cores`). */
  readonly key: string;
  /** What people read. */
  readonly name: string;
  /** Unit of the int64 value. */
  readonly unit: string;
  /** What it measures. */
  readonly device: "cpu" | "ram" | "storage" | "network" | "gpu";
  readonly measure: BenchmarkMeasure;
  /** Which way is better; the market's rule 7 is `ask >= bid`. */
  readonly better: "higher";
  readonly scale: BenchmarkScale;
};

const noGpuNote = (hw: Hardware) => hw.gpus.length === 0 ? "no GPU found" : "";
const hasVendor = (gpus: readonly { vendor: string }[], vendor: string) =>
  gpus.some((g) => g.vendor === vendor) ? 1n : 0n;

const ABSENT = { measure: { kind: "absent" }, better: "higher", scale: { kind: "none" } } as const;

/** Every benchmark the market knows, by id. */
export const BENCHMARKS: readonly BenchmarkDefinition[] = [
  {
    id: 0,
    key: "cpu-sysbench-multi",
    name: "CPU sysbench, all threads",
    unit: "events/s",
    device: "cpu",
    measure: { kind: "probe", probe: "sysbench", threads: "all" },
    better: "higher",
    scale: { kind: "cpu-share" },
  },
  {
    id: 1,
    key: "cpu-sysbench-single",
    name: "CPU sysbench, one thread",
    unit: "events/s",
    device: "cpu",
    measure: { kind: "probe", probe: "sysbench", threads: "one" },
    better: "higher",
    scale: { kind: "as-measured" },
  },
  {
    id: 2,
    key: "cpu-cores",
    name: "CPU threads",
    unit: "count",
    device: "cpu",
    measure: {
      kind: "host",
      read: (hw) => ({
        value: BigInt(hw.cpu.threads),
        note: `${hw.cpu.cores} cores, ${hw.cpu.threads} threads`,
      }),
    },
    better: "higher",
    // A fractional share never promises a whole core it does not give.
    scale: { kind: "plan", value: (p) => BigInt(Math.floor(p.cpuCores)) },
  },
  {
    id: 3,
    key: "ram-size",
    name: "RAM size",
    unit: "bytes",
    device: "ram",
    measure: { kind: "host", read: (hw) => ({ value: BigInt(hw.memory.totalBytes), note: "" }) },
    better: "higher",
    scale: { kind: "plan", value: (p) => BigInt(p.ramBytes) },
  },
  {
    id: 4,
    key: "storage-size",
    name: "Storage size (data directory)",
    unit: "bytes",
    device: "storage",
    measure: {
      kind: "host",
      read: (hw) => ({
        value: BigInt(hw.storage.totalBytes),
        note: `filesystem of ${hw.storage.path}`,
      }),
    },
    better: "higher",
    scale: { kind: "plan", value: (p) => BigInt(p.storageBytes) },
  },
  {
    id: 5,
    key: "net-download",
    name: "Network download",
    unit: "bit/s",
    device: "network",
    measure: { kind: "network", direction: "download" },
    better: "higher",
    scale: { kind: "as-measured" },
  },
  {
    id: 6,
    key: "net-upload",
    name: "Network upload",
    unit: "bit/s",
    device: "network",
    measure: { kind: "network", direction: "upload" },
    better: "higher",
    scale: { kind: "as-measured" },
  },
  {
    id: 7,
    key: "gpu-count",
    name: "GPU count",
    unit: "count",
    device: "gpu",
    measure: {
      kind: "host",
      read: (hw) => ({ value: BigInt(hw.gpus.length), note: noGpuNote(hw) }),
    },
    better: "higher",
    scale: { kind: "plan", value: (p) => BigInt(p.gpus.length) },
  },
  {
    id: 8,
    key: "gpu-mem",
    name: "GPU memory (smallest GPU)",
    unit: "bytes",
    device: "gpu",
    measure: {
      kind: "host",
      read: (hw) => ({
        value: hw.gpus.length === 0 ? 0n : BigInt(Math.min(...hw.gpus.map((g) => g.memBytes))),
        note: noGpuNote(hw) || "smallest GPU",
      }),
    },
    better: "higher",
    // A plan offers the memory of the GPUs it takes, together.
    scale: { kind: "plan", value: (p) => p.gpus.reduce((sum, g) => sum + BigInt(g.memBytes), 0n) },
  },
  {
    id: 9,
    key: "gpu-eth-hashrate",
    name: "GPU Ethash hashrate",
    unit: "H/s",
    device: "gpu",
    measure: { kind: "probe", probe: "gpu-ethash" },
    better: "higher",
    scale: { kind: "gpu-share" },
  },
  {
    id: 10,
    key: "gpu-cash-hashrate",
    name: "GPU Equihash (Zcash) hashrate",
    unit: "H/s",
    device: "gpu",
    ...ABSENT,
  },
  {
    id: 11,
    key: "gpu-redshift",
    name: "GPU Redshift render score",
    unit: "score",
    device: "gpu",
    ...ABSENT,
  },
  {
    id: 12,
    key: "cpu-cryptonight",
    name: "CPU CryptoNight hashrate",
    unit: "H/s",
    device: "cpu",
    ...ABSENT,
  },
  {
    id: 13,
    key: "gpu-nvidia",
    name: "GPU vendor flag: NVIDIA",
    unit: "flag",
    device: "gpu",
    measure: {
      kind: "host",
      read: (hw) => ({ value: hasVendor(hw.gpus, "nvidia"), note: noGpuNote(hw) }),
    },
    better: "higher",
    scale: { kind: "plan", value: (p) => hasVendor(p.gpus, "nvidia") },
  },
  {
    id: 14,
    key: "gpu-radeon",
    name: "GPU vendor flag: AMD Radeon",
    unit: "flag",
    device: "gpu",
    measure: {
      kind: "host",
      read: (hw) => ({ value: hasVendor(hw.gpus, "amd"), note: noGpuNote(hw) }),
    },
    better: "higher",
    scale: { kind: "plan", value: (p) => hasVendor(p.gpus, "amd") },
  },
  // Added by this agent (not in the original market's list): FP32 FMA throughput.
  {
    id: 15,
    key: "gpu-fp32-gflops",
    name: "GPU FP32 FMA throughput",
    unit: "GFLOPS",
    device: "gpu",
    measure: { kind: "probe", probe: "gpu-fp32" },
    better: "higher",
    scale: { kind: "gpu-share" },
  },
];

/**
 * Version of each measuring method; a cached result measured by another
 * version is measured again. Bump when a probe's output could change.
 */
export const PROBE_VERSIONS: Readonly<Record<BenchmarkProbe | "network", string>> = {
  "sysbench": "1",
  "gpu-ethash": "2",
  "gpu-fp32": "2",
  "network": "1",
};

/**
 * Whether a benchmark is measured by `sonm-agent bench` and kept in the
 * result cache (probes and network), rather than read from the hardware or
 * the plan.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BENCHMARKS, isCachedMeasurement } from "./benchmarks.ts";
 * assert.deepEqual(BENCHMARKS.filter(isCachedMeasurement).map((b) => b.id), [0, 1, 5, 6, 9, 15]);
 * ```
 */
export function isCachedMeasurement(benchmark: BenchmarkDefinition): boolean {
  return benchmark.measure.kind === "probe" || benchmark.measure.kind === "network";
}

/**
 * A plan's value of one benchmark, as its ASK offers it: from the plan's
 * resources, or the rig's cached measurement scaled by the plan's share.
 * Undefined when the plan offers nothing for it (no measurement, a GPU
 * benchmark on a plan without GPUs, an absent benchmark).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BENCHMARKS, planValue } from "./benchmarks.ts";
 * const share = { cpuCores: 1.5, ramBytes: 0, storageBytes: 0, gpus: [], rig: { threads: 4, gpuCount: 0 } };
 * // all-threads sysbench measured at 4000 events/s: 1.5 of 4 threads offer 1500
 * assert.equal(planValue(BENCHMARKS[0]!, share, 4000n), 1500n);
 * assert.equal(planValue(BENCHMARKS[2]!, share, undefined), 1n);
 * ```
 */
export function planValue(
  benchmark: BenchmarkDefinition,
  share: PlanShare,
  measured: bigint | undefined,
): bigint | undefined {
  const scale = benchmark.scale;
  if (scale.kind === "plan") return scale.value(share);
  if (scale.kind === "none" || measured === undefined) return undefined;
  if (scale.kind === "as-measured") return measured;
  if (scale.kind === "cpu-share") {
    // Shares in thousandths, so that fractional cores scale exactly.
    const threads = Math.max(1, share.rig.threads);
    const thousandths = BigInt(Math.round(Math.min(share.cpuCores, threads) * 1000));
    return measured * thousandths / BigInt(threads * 1000);
  }
  if (share.gpus.length === 0 || share.rig.gpuCount === 0) return undefined;
  return measured * BigInt(share.gpus.length) / BigInt(share.rig.gpuCount);
}
