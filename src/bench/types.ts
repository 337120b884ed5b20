/**
 * What hardware discovery reports and what the suite measures. Sizes are
 * plain numbers of bytes (exact up to 8 PiB); benchmark values are bigint
 * (the market's uint64, each < 2^63).
 *
 * @module
 */

/** The CPU, from /proc/cpuinfo. */
export type CpuInfo = {
  /** `model name` (x86) or the best the kernel reports (`Hardware`, `cpu model`, ...). */
  model: string;
  /** `vendor_id`, `CPU implementer`, or "" when the kernel does not say. */
  vendor: string;
  /** Sockets (distinct `physical id`), 1 when not reported. */
  sockets: number;
  /** Physical cores (distinct socket/core pairs); equals threads when not reported. */
  cores: number;
  /** Logical processors the kernel lists. */
  threads: number;
  /** Feature flags (`flags` on x86, `Features` on ARM), sorted. */
  flags: string[];
};

/** Main memory, from /proc/meminfo. */
export type MemoryInfo = { totalBytes: number; availableBytes: number };

/** The filesystem holding the agent's data directory. */
export type StorageInfo = { path: string; totalBytes: number; freeBytes: number };

/** One network interface, from the OS and /sys/class/net. */
export type NetworkInterfaceInfo = {
  name: string;
  mac: string;
  /** Link speed in Mbit/s when the driver reports one. */
  speedMbps: number | undefined;
  addresses: string[];
};

/** One GPU, as its own tools report it; never looked up in a table of models. */
export type GpuInfo = {
  vendor: "nvidia" | "amd";
  /** Index as the vendor tool numbers it. */
  index: number;
  name: string;
  /** NVIDIA `GPU-...` UUID, AMD unique id, or "" when unknown. */
  uuid: string;
  /** PCI address, `0000:01:00.0` form (lower case, 4-digit domain). */
  pciBusId: string;
  /** PCI vendor:device, `10de:2330` form, when known. */
  pciDeviceId: string;
  /** PCI subsystem vendor:device, `10de:16c1` form, when known. */
  pciSubsystemId: string;
  memBytes: number;
  /** NVIDIA compute capability (`9.0`) or AMD gfx target (`gfx90a`), when known. */
  computeCapability: string;
  driverVersion: string;
  /** CUDA version the driver supports (NVIDIA only). */
  cudaVersion: string;
  /** Power limit in watts, when known. */
  powerLimitW: number | undefined;
  /** Which tool reported it. */
  source: "nvidia-smi" | "rocm-smi" | "sysfs";
};

/** One OpenCL device, from `clinfo --raw`. */
export type OpenClDevice = {
  platform: string;
  name: string;
  vendor: string;
  /** `gpu`, `cpu`, `accelerator`, ... */
  type: string;
  driverVersion: string;
  memBytes: number;
  computeUnits: number;
};

/** Everything discovery found, plus notes on what it could not find. */
export type Hardware = {
  cpu: CpuInfo;
  memory: MemoryInfo;
  storage: StorageInfo;
  network: NetworkInterfaceInfo[];
  gpus: GpuInfo[];
  opencl: OpenClDevice[];
  /** Lines for people: tools missing, sources unreadable, ... */
  notes: string[];
};

/** How a benchmark's value came about. */
export type BenchResultStatus = "measured" | "cached" | "absent" | "failed";

/** One benchmark's value. */
export type BenchResult = {
  id: number;
  key: string;
  /** The int64 value offered on the market (0 when absent or failed). */
  value: bigint;
  unit: string;
  status: BenchResultStatus;
  /** Why it is 0, how it was measured, ... */
  note: string;
  /** The probe and its version, for probe benchmarks (`gpu-opencl@2`). */
  probe: string;
  /** When it was measured (unix ms). */
  measuredAt: number;
  /** Probe output worth keeping (vectors checked, device, ...). */
  details: Record<string, unknown>;
};
