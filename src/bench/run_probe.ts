/** The probes a {@linkcode RunProbe} knows how to start. */
export type ProbeName = "sysbench" | "gpu-opencl" | "gpu-cuda";

/** One probe run: which probe, its arguments and its SONM environment. */
export type ProbeRequest = {
  probe: ProbeName;
  args: readonly string[];
  /** `SONM_BENCHMARK_ID`, `SONM_CPU_COUNT`, `SONM_GPU_TYPE`, ... */
  env: Readonly<Record<string, string>>;
  /** Time limit, in milliseconds. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
};

/** What a probe run gave: exit code, output, and where it ran. */
export type ProbeRun = {
  code: number;
  stdout: string;
  stderr: string;
  where: "native" | "container";
};

/**
 * Starts a probe and waits for it. The suite gets one in its components: the
 * agent's runs the probe's container and falls back to
 * {@linkcode createNativeProbeRunner} when containers cannot reach the GPU.
 */
export type RunProbe = (request: ProbeRequest) => Promise<ProbeRun>;
