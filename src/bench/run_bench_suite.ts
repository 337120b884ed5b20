import {
  type BenchmarkDefinition,
  type BenchmarkMeasure,
  BENCHMARKS,
  PROBE_VERSIONS,
} from "./benchmarks.ts";
import { ProbeError } from "./errors.ts";
import { ETHASH_VECTORS, type EthashVector } from "./ethash_vectors.ts";
import { hardwareFingerprint, type HardwareIdentity } from "./hardware_fingerprint.ts";
import { probeCpuSysbench } from "./probe_cpu_sysbench.ts";
import { probeGpuEthash } from "./probe_gpu_ethash.ts";
import { probeGpuFp32 } from "./probe_gpu_fp32.ts";
import { probeNetwork } from "./probe_network.ts";
import type { ResultCache } from "./result_cache.ts";
import type { RunProbe } from "./run_probe.ts";
import type { BenchResult, Hardware } from "./types.ts";

/** Progress of the suite, for a bar per benchmark or plain lines. */
export type BenchProgressEvent =
  | { type: "start"; benchmark: BenchmarkDefinition; index: number; total: number }
  /** While a probe runs: `fraction` of its expected time gone (at most 0.99). */
  | { type: "tick"; benchmark: BenchmarkDefinition; fraction: number }
  | { type: "done"; benchmark: BenchmarkDefinition; result: BenchResult };

/** What the suite needs from the agent. */
export type BenchSuiteComponents = {
  /** Starts probes (in containers, or natively). */
  runProbe: RunProbe;
  /** Keeps measured results; none: measure every time. */
  cache?: ResultCache | undefined;
  /** For the network probe. @default {globalThis.fetch} */
  fetch?: typeof fetch | undefined;
  /** Unix ms. @default {Date.now} */
  now?: (() => number) | undefined;
  onProgress?: ((event: BenchProgressEvent) => void) | undefined;
};

/** Options of {@linkcode runBenchSuite}. */
export type BenchSuiteOptions = {
  hardware: Hardware;
  /** Benchmark ids to run; all when absent. */
  only?: readonly number[] | undefined;
  /** The benchmark list. @default {BENCHMARKS} */
  benchmarks?: readonly BenchmarkDefinition[] | undefined;
  /** Measure again even when a cached result fits. @default {false} */
  force?: boolean | undefined;
  /** Base URL of the network probe's server; none: net benchmarks are absent. */
  netEndpoint?: string | undefined;
  /** Bytes per network transfer. @default {33554432} */
  netBytes?: number | undefined;
  /** Seconds per sysbench run. @default {3} */
  sysbenchSeconds?: number | undefined;
  /** Timed seconds per GPU probe. @default {10} */
  gpuSeconds?: number | undefined;
  signal?: AbortSignal | undefined;
};

/** Return type of {@linkcode runBenchSuite}. */
export type BenchSuiteResult = {
  results: BenchResult[];
  hardwareHash: string;
  identity: HardwareIdentity;
  /** Version of each measuring method used. */
  probes: Record<string, string>;
};

type Measured = { value: bigint; note: string; probe: string; details: Record<string, unknown> };

/**
 * Runs the benchmark list (or the `only` ids) on the discovered hardware:
 * host values from discovery, probes through `runProbe`, the network against
 * `netEndpoint`. Probe results are cached by hardware hash and probe version;
 * a failing probe gives a `failed` result (value 0) and the suite goes on.
 * Benchmarks without an honest probe, or without the device they need, are
 * `absent` (value 0) with a note: nothing is faked.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createNativeProbeRunner } from "./native_probe_runner.ts";
 * import { discoverHardware } from "./discover_hardware.ts";
 * import { runBenchSuite } from "./run_bench_suite.ts";
 * const hardware = await discoverHardware({ dataDir: "." });
 * const { results } = await runBenchSuite({ runProbe: createNativeProbeRunner() }, {
 *   hardware, only: [2, 3],
 * });
 * assert.equal(results.length, 2);
 * ```
 */
export async function runBenchSuite(
  components: BenchSuiteComponents,
  options: BenchSuiteOptions,
): Promise<BenchSuiteResult> {
  const { runProbe, cache, now = Date.now, onProgress } = components;
  const {
    hardware,
    only,
    force = false,
    netEndpoint,
    netBytes,
    sysbenchSeconds = 3,
    gpuSeconds = 10,
    signal,
  } = options;
  const list = options.benchmarks ?? BENCHMARKS;
  const selected = only === undefined ? list : list.filter((b) => only.includes(b.id));
  const { hash, identity } = hardwareFingerprint(hardware);
  const gpu = gpuTarget(hardware);
  const probes: Record<string, string> = {};
  const results: BenchResult[] = [];

  for (const [index, b] of selected.entries()) {
    signal?.throwIfAborted();
    onProgress?.({ type: "start", benchmark: b, index, total: selected.length });
    const base = { id: b.id, key: b.key, unit: b.unit, measuredAt: now(), details: {} };
    const { measure } = b;
    let result: BenchResult;
    if (measure.kind === "host") {
      result = { ...base, ...measure.read(hardware), probe: "host", status: "measured" };
    } else if (measure.kind === "absent") {
      result = {
        ...base,
        value: 0n,
        status: "absent",
        probe: "",
        note: "no honest probe yet: reported absent, not estimated",
      };
    } else {
      const missing = b.device === "gpu" && gpu === undefined
        ? gpuMissingNote(hardware)
        : measure.kind === "network" && netEndpoint === undefined
        ? "no network endpoint configured"
        : undefined;
      const method = measure.kind === "network" ? "network" : measure.probe;
      const probeId = `${b.device === "gpu" ? gpu?.probe ?? "gpu" : method}@${
        PROBE_VERSIONS[method]
      }`;
      const cached = missing === undefined && !force ? cache?.get(b.id, hash) : undefined;
      if (missing !== undefined) {
        result = { ...base, value: 0n, status: "absent", probe: "", note: missing };
      } else if (cached !== undefined && cached.probe === probeId) {
        result = { ...cached, key: b.key, status: "cached" };
        probes[method] = PROBE_VERSIONS[method];
      } else {
        const expected = b.device === "gpu"
          ? gpuSeconds + 20
          : b.device === "cpu"
          ? sysbenchSeconds + 0.5
          : 3;
        const started = performance.now();
        const timer = onProgress === undefined ? undefined : setInterval(() => {
          const fraction = Math.min(0.99, (performance.now() - started) / 1000 / expected);
          onProgress({ type: "tick", benchmark: b, fraction });
        }, 250);
        try {
          const m = await measureOne(measure, {
            runProbe,
            fetch: components.fetch,
            hardware,
            gpu,
            netEndpoint: netEndpoint ?? "",
            netBytes,
            sysbenchSeconds,
            gpuSeconds,
            signal,
          });
          result = { ...base, ...m, probe: probeId, status: "measured", measuredAt: now() };
          probes[method] = PROBE_VERSIONS[method];
          cache?.put(result, hash);
        } catch (error) {
          if (!(error instanceof ProbeError)) throw error;
          result = { ...base, value: 0n, status: "failed", probe: probeId, note: error.message };
        } finally {
          clearInterval(timer);
        }
      }
    }
    results.push(result);
    onProgress?.({ type: "done", benchmark: b, result });
  }
  return { results, hardwareHash: hash, identity, probes };
}

type GpuTarget = {
  api: "cuda" | "opencl";
  probe: "gpu-cuda" | "gpu-opencl";
  devices: { index: number; memBytes: number }[];
};

/** NVIDIA GPUs run the CUDA probe; other GPUs that OpenCL lists run the OpenCL one. */
function gpuTarget(hw: Hardware): GpuTarget | undefined {
  const nvidia = hw.gpus.filter((g) => g.vendor === "nvidia");
  if (nvidia.length > 0) {
    return {
      api: "cuda",
      probe: "gpu-cuda",
      devices: nvidia.map((g, i) => ({ index: i, memBytes: g.memBytes })),
    };
  }
  const cl = hw.opencl.map((d, i) => ({ d, i })).filter(({ d }) => d.type === "gpu");
  if (cl.length > 0) {
    return {
      api: "opencl",
      probe: "gpu-opencl",
      devices: cl.map(({ d, i }) => ({ index: i, memBytes: d.memBytes })),
    };
  }
  return undefined;
}

function gpuMissingNote(hw: Hardware): string {
  const cpuCl = hw.opencl.filter((d) => d.type !== "gpu").length;
  return `no GPU found (nvidia-smi, sysfs, OpenCL)${
    cpuCl > 0 ? `; ${cpuCl} OpenCL CPU device(s) are not offered as GPUs` : ""
  }`;
}

/** Picks the vectors of the largest listed epoch whose DAG (and cache) fits the device. */
function vectorsFor(memBytes: number): EthashVector[] {
  const epochs = [...new Set(ETHASH_VECTORS.map((v) => Math.floor(v.blockNumber / 30000)))].sort((
    a,
    b,
  ) => b - a);
  for (const epoch of epochs) {
    const dag = 2 ** 30 + 2 ** 23 * epoch;
    if (dag + 2 ** 29 <= memBytes) {
      return ETHASH_VECTORS.filter((v) => Math.floor(v.blockNumber / 30000) === epoch);
    }
  }
  return ETHASH_VECTORS.filter((v) => v.blockNumber < 30000);
}

type MeasureContext = {
  runProbe: RunProbe;
  fetch: typeof fetch | undefined;
  hardware: Hardware;
  gpu: GpuTarget | undefined;
  netEndpoint: string;
  netBytes: number | undefined;
  sysbenchSeconds: number;
  gpuSeconds: number;
  signal: AbortSignal | undefined;
};

type Measurable = Extract<BenchmarkMeasure, { kind: "probe" | "network" }>;

/** Runs what a row's `measure` says; GPU probes run once per GPU and are summed. */
async function measureOne(measure: Measurable, c: MeasureContext): Promise<Measured> {
  if (measure.kind === "network") {
    const r = await probeNetwork({ fetch: c.fetch }, {
      endpoint: c.netEndpoint,
      direction: measure.direction,
      bytes: c.netBytes,
      signal: c.signal,
    });
    return {
      value: r.value,
      note: `${r.bytes} bytes in ${r.seconds.toFixed(2)} s`,
      probe: "network",
      details: { bytes: r.bytes, seconds: r.seconds },
    };
  }
  if (measure.probe === "sysbench") {
    const r = await probeCpuSysbench({ runProbe: c.runProbe }, {
      threads: measure.threads,
      cpuCount: c.hardware.cpu.threads,
      seconds: c.sysbenchSeconds,
      signal: c.signal,
    });
    return {
      value: r.value,
      note: `${r.details.threads} thread(s), ${r.details.seconds} s, ${r.where}`,
      probe: "sysbench",
      details: { ...r.details, where: r.where },
    };
  }
  const gpu = c.gpu!;
  const runOnDevice = GPU_PROBES[measure.probe];
  let total = 0n;
  const devices: Record<string, unknown>[] = [];
  for (const d of gpu.devices) {
    const r = await runOnDevice(c, gpu.api, d);
    total += r.value;
    devices.push({ ...r.details, where: r.where });
  }
  return {
    value: total,
    note: `${devices.length} device(s), ${gpu.api}, vectors and checks passed`,
    probe: gpu.probe,
    details: { devices },
  };
}

type DeviceRun = { value: bigint; where: string; details: Record<string, unknown> };

/** Each GPU probe, run on one device: a new GPU probe is a new entry here. */
const GPU_PROBES: Record<
  "gpu-ethash" | "gpu-fp32",
  (c: MeasureContext, api: GpuTarget["api"], d: GpuTarget["devices"][number]) => Promise<DeviceRun>
> = {
  "gpu-ethash": (c, api, d) =>
    probeGpuEthash({ runProbe: c.runProbe }, {
      api,
      vectors: vectorsFor(d.memBytes),
      mode: "full",
      seconds: c.gpuSeconds,
      device: d.index,
      signal: c.signal,
    }),
  "gpu-fp32": (c, api, d) =>
    probeGpuFp32({ runProbe: c.runProbe }, {
      api,
      seconds: c.gpuSeconds,
      device: d.index,
      signal: c.signal,
    }),
};
