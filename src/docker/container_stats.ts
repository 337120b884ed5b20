import type { DockerClient } from "./client.ts";
import { jsonLines } from "./_streams.ts";

/** Parameters of {@linkcode containerStats}. */
export type ContainerStatsParameters = {
  id: string;
  /** Keep streaming (about one sample a second) until `signal` aborts. @default {true} */
  stream?: boolean | undefined;
  signal?: AbortSignal | undefined;
};

/** One resource sample of a container. */
export type ContainerStatsSample = {
  /** Time of the sample (ISO). */
  read: string;
  /** CPU time the container used, nanoseconds, cumulative. */
  cpuTotalNs: number;
  /** CPU time of the host, nanoseconds, cumulative. */
  systemCpuNs: number;
  onlineCpus: number;
  /** Periods in which the CPU quota throttled the container, cumulative. */
  throttledPeriods: number;
  memoryUsageBytes: number;
  memoryLimitBytes: number;
  pids: number;
};

/**
 * Streams resource samples of a container (`GET /containers/{id}/stats`).
 *
 * @example
 * ```ts ignore
 * for await (const s of containerStats(docker, { id, signal })) log(s.memoryUsageBytes);
 * ```
 */
export async function* containerStats(
  client: DockerClient,
  { id, stream = true, signal }: ContainerStatsParameters,
): AsyncGenerator<ContainerStatsSample> {
  const res = await client.stream({
    method: "GET",
    path: `/containers/${encodeURIComponent(id)}/stats`,
    query: { stream },
    signal,
  });
  // deno-lint-ignore no-explicit-any
  for await (const s of jsonLines<Record<string, any>>(res.body, signal)) {
    yield {
      read: String(s.read ?? ""),
      cpuTotalNs: Number(s.cpu_stats?.cpu_usage?.total_usage ?? 0),
      systemCpuNs: Number(s.cpu_stats?.system_cpu_usage ?? 0),
      onlineCpus: Number(s.cpu_stats?.online_cpus ?? 0),
      throttledPeriods: Number(s.cpu_stats?.throttling_data?.throttled_periods ?? 0),
      memoryUsageBytes: Number(s.memory_stats?.usage ?? 0),
      memoryLimitBytes: Number(s.memory_stats?.limit ?? 0),
      pids: Number(s.pids_stats?.current ?? 0),
    };
  }
}
