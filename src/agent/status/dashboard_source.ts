import type { DatabaseSync } from "node:sqlite";
import type { Hardware } from "../../bench/mod.ts";
import type {
  ConnectivityStatus,
  DashboardAction,
  DashboardSource,
  GpuReading,
  StatusSnapshot,
  TaskStatus,
} from "../../dashboard/mod.ts";
import type { ChainHealthState } from "../market/mod.ts";
import { type ErrorLog, writeStatusMeta } from "../state/mod.ts";
import type { PlanConfig } from "../config/mod.ts";
import { planSharesOf } from "./plan_shares.ts";
import { openStatusDatabase, readStatusSnapshot } from "./status_snapshot.ts";

/** What the dashboard source reads from the running agent. */
export type DashboardSourceComponents = {
  /** The agent's state file (opened again read-only for the snapshots). */
  statePath: string;
  /** The agent's own connection: the rate it learns is kept in `meta` for `status`. */
  db: DatabaseSync;
  /**
   * The agent's link to the chain as its indexer knows it (local state, never
   * a call): the last block, when it last heard the chain, since when not.
   */
  chain?: (() => ChainHealthState) | undefined;
  /** Reads the oracle rate, token wei per USD (in the background: a snapshot never waits for it). */
  readRate?: ((signal: AbortSignal) => Promise<bigint>) | undefined;
  errorLog?: ErrorLog | undefined;
  /** Duration of the last reconcile step, seconds (null before the first). */
  reconcileSeconds?: (() => number | null) | undefined;
  /** Races for a BID lost to another supplier since start. */
  dealRacesLost?: (() => number) | undefined;
  /** The NAT host's connectivity class and relay state, when it runs. */
  connectivity?: (() => ConnectivityStatus | undefined) | undefined;
  /** Live GPU readings (nvidia-smi; in the background), empty where the rig reports none. */
  gpuReadings?: (() => Promise<GpuReading[]>) | undefined;
  /** Live resource use of the running tasks, by task id. */
  taskUsage?: (() => Promise<ReadonlyMap<string, NonNullable<TaskStatus["usage"]>>>) | undefined;
  /** Performs a state change asked from the dashboard (pause a plan, stop a task). */
  act?: ((action: DashboardAction) => Promise<unknown>) | undefined;
  /** Wall-clock ms. @default {the system clock} */
  now?: (() => number) | undefined;
};

/** Options of {@linkcode createDashboardSource}. */
export type DashboardSourceOptions = {
  address: string;
  power: { idleWatts: number; loadWatts: number; pricePerKwh: string };
  hardware?: Hardware | undefined;
  /** How often the rate and the GPU readings are read again in the background, ms. @default {60000} */
  refreshMs?: number | undefined;
  /** The longest a background read may take before it is given up, ms. @default {10000} */
  readTimeoutMs?: number | undefined;
  /** The plans, for the part of the rig (and of its load power) each deal bought. */
  plans?: readonly Pick<PlanConfig, "name" | "resources">[] | undefined;
};

/** The dashboard's source over the running agent, plus `close()` for its connection. */
export type AgentDashboardSource = DashboardSource & { close(): void };

/**
 * The {@linkcode DashboardSource} of a running agent, served from local
 * state only, so it answers at once whatever the chain or Docker do: each
 * snapshot is read from the state database over its own read-only
 * connection ({@linkcode readStatusSnapshot}), completed with what only the
 * process knows (the chain's head, when the agent last heard it and since
 * when not, from the indexer; the error counters; the last reconcile's
 * duration; connectivity; task usage). The oracle rate and GPU readings are
 * read in the background, at most every `refreshMs` and never awaited: a
 * snapshot shows the last value read (the rate is also recorded in `meta`
 * for `sonm-agent status`). A failing reader leaves its part as it was.
 *
 * @example
 * ```ts ignore
 * const source = createDashboardSource({ statePath, db: state.db, chain: health.current }, {
 *   address, power,
 * });
 * const snapshot = await source.snapshot();
 * source.close();
 * ```
 */
export function createDashboardSource(
  components: DashboardSourceComponents,
  options: DashboardSourceOptions,
): AgentDashboardSource {
  const { refreshMs = 60_000, readTimeoutMs = 10_000 } = options;
  const now = components.now ?? (() => Date.now());
  const closing = new AbortController();
  const planShares = options.plans === undefined ? undefined : planSharesOf(options.plans, {
    threads: options.hardware?.cpu.threads ?? navigator.hardwareConcurrency,
    gpuCount: options.hardware?.gpus.length ?? 0,
  });
  let readDb: DatabaseSync | undefined;
  let rate: bigint | undefined;
  let gpus: GpuReading[] = [];
  /** Last start of each background read, and whether one runs. */
  const reads = new Map<string, { at: number; running: boolean }>();

  /** Starts `read` in the background when it is due and not running; never waits for it. */
  function refresh(name: string, read: (signal: AbortSignal) => Promise<void>): void {
    const last = reads.get(name);
    if (last?.running || (last !== undefined && now() - last.at < refreshMs)) return;
    const entry = { at: now(), running: true };
    reads.set(name, entry);
    const signal = AbortSignal.any([closing.signal, AbortSignal.timeout(readTimeoutMs)]);
    read(signal).catch(() => {}).finally(() => (entry.running = false));
  }

  return {
    async snapshot(): Promise<StatusSnapshot> {
      const readRate = components.readRate;
      if (readRate !== undefined) {
        refresh("rate", async (signal) => {
          rate = await readRate(signal);
          try {
            writeStatusMeta(components.db, { rate, address: options.address });
          } catch {
            // the agent's connection is busy or closing: the next read records it
          }
        });
      }
      const gpuReadings = components.gpuReadings;
      if (gpuReadings !== undefined) refresh("gpus", async () => void (gpus = await gpuReadings()));
      const usage = await components.taskUsage?.().catch(() => undefined);
      readDb ??= openStatusDatabase(components.statePath);
      const counters = components.errorLog?.counters();
      const chain = components.chain?.();
      return readStatusSnapshot(readDb, {
        now,
        power: options.power,
        planShares,
        address: options.address,
        hardware: options.hardware,
        ...(rate === undefined ? {} : { rate }),
        ...(chain?.head === undefined || chain.seenAt === undefined
          ? {}
          : { head: { number: chain.head, seenAt: chain.seenAt } }),
        ...(chain === undefined ? {} : {
          unreachable: chain.unreachableSince === undefined
            ? null
            : { since: chain.unreachableSince, error: chain.lastError ?? "" },
          changed: chain.changed === undefined
            ? null
            : { since: chain.changed.since, error: chain.changed.detail },
        }),
        connectivity: components.connectivity?.(),
        gpus,
        taskUsage: usage,
        counters: counters === undefined ? undefined : {
          rpcErrors: counters.rpc,
          dockerErrors: counters.docker,
          warnings: counters.warn,
          errors: counters.error,
          refusedRequests: counters.refused,
          reconcileSeconds: components.reconcileSeconds?.() ?? null,
          dealRacesLost: components.dealRacesLost?.() ?? 0,
        },
      });
    },
    ...(components.act === undefined ? {} : { act: components.act }),
    close() {
      closing.abort();
      if (readDb?.isOpen) readDb.close();
      readDb = undefined;
    },
  };
}
