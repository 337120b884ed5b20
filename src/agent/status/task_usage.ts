import { containerStats, type DockerClient, findTasks } from "../../docker/mod.ts";
import type { TaskStatus } from "../../dashboard/mod.ts";

type Usage = NonNullable<TaskStatus["usage"]>;

/** Options of {@linkcode createTaskUsageReader}. */
export type TaskUsageReaderOptions = {
  /** The `sonm.agent` label of this agent's containers. */
  agentId: string;
  /** Readings older than this are refreshed (in the background). @default {5000} */
  maxAgeMs?: number | undefined;
};

/** Live CPU and memory use of the agent's running task containers. */
export type TaskUsageReader = {
  /**
   * The last readings by `DEAL/TASK`, at once; starts a refresh in the
   * background when they are older than `maxAgeMs` (a dashboard request never
   * waits for Docker's stats).
   */
  current(): ReadonlyMap<string, Usage>;
  /** Reads every running task's use now (two stats samples, about a second apart). */
  refresh(options?: { signal?: AbortSignal | undefined }): Promise<ReadonlyMap<string, Usage>>;
};

/**
 * The key of a task in the usage map: its deal and task ids.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { taskUsageKey } from "./task_usage.ts";
 * assert.equal(taskUsageKey("7", "1"), "7/1");
 * ```
 */
export function taskUsageKey(dealId: string, taskId: string): string {
  return `${dealId}/${taskId}`;
}

/**
 * Reads the resource use of the agent's task containers (found by their
 * `sonm.*` labels) from Docker's stats: CPU as a percentage of one core
 * (the difference of two samples, as `docker stats` computes it) and
 * memory in bytes.
 *
 * @example
 * ```ts ignore
 * const usage = createTaskUsageReader(docker, { agentId: "rig1" });
 * await usage.refresh();
 * console.log(usage.current().get("7/1")?.cpuPercent);
 * ```
 */
export function createTaskUsageReader(
  docker: DockerClient,
  options: TaskUsageReaderOptions,
): TaskUsageReader {
  const { agentId, maxAgeMs = 5000 } = options;
  let readings: ReadonlyMap<string, Usage> = new Map();
  let readAt = 0;
  let running: Promise<ReadonlyMap<string, Usage>> | undefined;

  async function sample(containerId: string, signal?: AbortSignal): Promise<Usage | undefined> {
    const controller = new AbortController();
    const both = signal === undefined
      ? controller.signal
      : AbortSignal.any([signal, controller.signal]);
    const samples = [];
    try {
      for await (
        const s of containerStats(docker, { id: containerId, stream: true, signal: both })
      ) {
        samples.push(s);
        if (samples.length === 2) break;
      }
    } catch {
      return undefined; // the container went away between the list and its stats
    } finally {
      controller.abort();
    }
    const [a, b] = samples;
    if (a === undefined || b === undefined) return undefined;
    const cpu = b.cpuTotalNs - a.cpuTotalNs;
    const system = b.systemCpuNs - a.systemCpuNs;
    const cpus = b.onlineCpus || 1;
    return {
      cpuPercent: system > 0 && cpu >= 0 ? cpu / system * cpus * 100 : 0,
      memBytes: b.memoryUsageBytes,
    };
  }

  function refresh(opts: { signal?: AbortSignal | undefined } = {}) {
    running ??= (async () => {
      try {
        const tasks = (await findTasks(docker, { agentId, signal: opts.signal }))
          .filter((t) => t.running);
        const read = await Promise.all(tasks.map(async (t) => {
          const use = await sample(t.containerId, opts.signal);
          return use === undefined ? [] : [[taskUsageKey(t.dealId, t.taskId), use] as const];
        }));
        readings = new Map(read.flat());
        readAt = Date.now();
        return readings;
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  return {
    current() {
      if (Date.now() - readAt > maxAgeMs && running === undefined) {
        refresh().catch(() => {}); // Docker down: keep the last readings
      }
      return readings;
    },
    refresh,
  };
}
