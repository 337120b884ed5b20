/**
 * Hardware discovery and the benchmark suite: what the rig has (CPU, RAM,
 * storage, network, NVIDIA/AMD GPUs, OpenCL devices), what it measures (the
 * market's benchmark list, as data), the probes (sysbench, network, Ethash
 * and FP32 in CUDA/OpenCL from one device-code header), the results cache
 * and the signed benchmark report.
 *
 * Probes run through a `runProbe` component: the agent's runs containers and
 * falls back to {@linkcode createNativeProbeRunner}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createNativeProbeRunner, discoverHardware, runBenchSuite } from "./mod.ts";
 * const hardware = await discoverHardware({ dataDir: "." });
 * const suite = await runBenchSuite({ runProbe: createNativeProbeRunner() }, {
 *   hardware, only: [2, 3, 7],
 * });
 * assert.ok(suite.results.every((r) => r.value >= 0n));
 * ```
 *
 * @module
 */
export {
  type BenchmarkDefinition,
  type BenchmarkMeasure,
  type BenchmarkProbe,
  BENCHMARKS,
  type BenchmarkScale,
  type HostReading,
  isCachedMeasurement,
  type PlanShare,
  planValue,
  PROBE_VERSIONS,
} from "./benchmarks.ts";
export {
  type BenchReport,
  type SignedBenchReport,
  SignedBenchReportSchema,
} from "./bench_report.ts";
export {
  discoverGpus,
  type DiscoverGpusOptions,
  discoverHardware,
  type DiscoverHardwareOptions,
} from "./discover_hardware.ts";
export { BenchError, BenchReportError, ProbeError, UnknownBenchmarkError } from "./errors.ts";
export { ETHASH_VECTORS, type EthashVector } from "./ethash_vectors.ts";
export {
  type HardwareFingerprint,
  hardwareFingerprint,
  type HardwareIdentity,
} from "./hardware_fingerprint.ts";
export {
  createSystemSources,
  type HardwareSources,
  type SystemSourcesOptions,
  type ToolOutput,
} from "./hardware_sources.ts";
export { createNativeProbeRunner, type NativeProbeRunnerOptions } from "./native_probe_runner.ts";
export { createNetProbeHandler, type NetProbeHandlerOptions } from "./net_probe_handler.ts";
export {
  probeCpuSysbench,
  type ProbeCpuSysbenchOptions,
  type ProbeCpuSysbenchReturnType,
} from "./probe_cpu_sysbench.ts";
export {
  probeGpuEthash,
  type ProbeGpuEthashOptions,
  type ProbeGpuEthashReturnType,
} from "./probe_gpu_ethash.ts";
export {
  probeGpuFp32,
  type ProbeGpuFp32Options,
  type ProbeGpuFp32ReturnType,
} from "./probe_gpu_fp32.ts";
export {
  probeNetwork,
  type ProbeNetworkOptions,
  type ProbeNetworkReturnType,
} from "./probe_network.ts";
export { createSqliteResultCache, latestResults, type ResultCache } from "./result_cache.ts";
export {
  type BenchProgressEvent,
  type BenchSuiteComponents,
  type BenchSuiteOptions,
  type BenchSuiteResult,
  runBenchSuite,
} from "./run_bench_suite.ts";
export type { ProbeName, ProbeRequest, ProbeRun, RunProbe } from "./run_probe.ts";
export { selectBenchmarks } from "./select_benchmarks.ts";
export {
  type BenchSigner,
  signBenchReport,
  type SignBenchReportOptions,
} from "./sign_bench_report.ts";
export type {
  BenchResult,
  BenchResultStatus,
  CpuInfo,
  GpuInfo,
  Hardware,
  MemoryInfo,
  NetworkInterfaceInfo,
  OpenClDevice,
  StorageInfo,
} from "./types.ts";
export { verifyBenchReport, type VerifyBenchReportReturnType } from "./verify_bench_report.ts";
export { type GpuReading, parseNvidiaSmiReadings, readNvidiaGpus } from "./gpu_readings.ts";
