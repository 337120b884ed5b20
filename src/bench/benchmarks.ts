/**
 * The benchmark list, as data. Ids are fixed by the market (DESIGN.md
 * "Benchmark IDs"); a market that adds a benchmark adds a row here. Id 15
 * (FP32 GFLOPS) is ours; 10, 11 and 12 have no honest probe yet and are
 * reported absent (0 with a note), never faked.
 *
 * @module
 */

/** How a benchmark's value is obtained. */
export type BenchmarkMeasure =
  /** Read from the discovered hardware (cores, RAM, ...). */
  | "host"
  /** Run a probe (in a container, or natively as a fallback). */
  | "probe"
  /** Measured against a network endpoint. */
  | "network"
  /** No honest probe exists yet: always reported absent (0, with a note). */
  | "absent";

/** The probe a `probe` benchmark runs. */
export type BenchmarkProbe = "sysbench" | "gpu-ethash" | "gpu-fp32";

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
  /** For `probe` benchmarks: which probe. */
  readonly probe?: BenchmarkProbe | undefined;
};

/** Every benchmark the market knows, by id. */
export const BENCHMARKS: readonly BenchmarkDefinition[] = [
  {
    id: 0,
    key: "cpu-sysbench-multi",
    name: "CPU sysbench, all threads",
    unit: "events/s",
    device: "cpu",
    measure: "probe",
    probe: "sysbench",
  },
  {
    id: 1,
    key: "cpu-sysbench-single",
    name: "CPU sysbench, one thread",
    unit: "events/s",
    device: "cpu",
    measure: "probe",
    probe: "sysbench",
  },
  { id: 2, key: "cpu-cores", name: "CPU threads", unit: "count", device: "cpu", measure: "host" },
  { id: 3, key: "ram-size", name: "RAM size", unit: "bytes", device: "ram", measure: "host" },
  {
    id: 4,
    key: "storage-size",
    name: "Storage size (data directory)",
    unit: "bytes",
    device: "storage",
    measure: "host",
  },
  {
    id: 5,
    key: "net-download",
    name: "Network download",
    unit: "bit/s",
    device: "network",
    measure: "network",
  },
  {
    id: 6,
    key: "net-upload",
    name: "Network upload",
    unit: "bit/s",
    device: "network",
    measure: "network",
  },
  { id: 7, key: "gpu-count", name: "GPU count", unit: "count", device: "gpu", measure: "host" },
  {
    id: 8,
    key: "gpu-mem",
    name: "GPU memory (smallest GPU)",
    unit: "bytes",
    device: "gpu",
    measure: "host",
  },
  {
    id: 9,
    key: "gpu-eth-hashrate",
    name: "GPU Ethash hashrate",
    unit: "H/s",
    device: "gpu",
    measure: "probe",
    probe: "gpu-ethash",
  },
  {
    id: 10,
    key: "gpu-cash-hashrate",
    name: "GPU Equihash (Zcash) hashrate",
    unit: "H/s",
    device: "gpu",
    measure: "absent",
  },
  {
    id: 11,
    key: "gpu-redshift",
    name: "GPU Redshift render score",
    unit: "score",
    device: "gpu",
    measure: "absent",
  },
  {
    id: 12,
    key: "cpu-cryptonight",
    name: "CPU CryptoNight hashrate",
    unit: "H/s",
    device: "cpu",
    measure: "absent",
  },
  {
    id: 13,
    key: "gpu-nvidia",
    name: "GPU vendor flag: NVIDIA",
    unit: "flag",
    device: "gpu",
    measure: "host",
  },
  {
    id: 14,
    key: "gpu-radeon",
    name: "GPU vendor flag: AMD Radeon",
    unit: "flag",
    device: "gpu",
    measure: "host",
  },
  // Added by this agent (not in the original market's list): FP32 FMA throughput.
  {
    id: 15,
    key: "gpu-fp32-gflops",
    name: "GPU FP32 FMA throughput",
    unit: "GFLOPS",
    device: "gpu",
    measure: "probe",
    probe: "gpu-fp32",
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
