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
import { type ErrorLog, writeStatusMeta } from "../state/mod.ts";
import { openStatusDatabase, readStatusSnapshot } from "./status_snapshot.ts";

/** What the dashboard source reads from the running agent. */
export type DashboardSourceComponents = {
  /** The agent's state file (opened again read-only for the snapshots). */
  statePath: string;
  /** The agent's own connection: the head and rate it learns are kept in `meta` for `status`. */
  db: DatabaseSync;
  /** The chain's latest block number. */
  readHead?: (() => Promise<bigint>) | undefined;
  /** The oracle rate, token wei per USD. */
  readRate?: (() => Promise<bigint>) | undefined;
  errorLog?: ErrorLog | undefined;
  /** Duration of the last reconcile step, seconds (null before the first). */
  reconcileSeconds?: (() => number | null) | undefined;
  /** Races for a BID lost to another supplier since start. */
  dealRacesLost?: (() => number) | undefined;
  /** The NAT host's connectivity class and relay state, when it runs. */
  connectivity?: (() => ConnectivityStatus | undefined) | undefined;
  /** Live GPU readings (nvidia-smi), empty where the rig reports none. */
  gpuReadings?: (() => Promise<GpuReading[]>) | undefined;
  /** Live resource use of the running tasks, by task id. */
  taskUsage?: (() => Promise<ReadonlyMap<string, NonNullable<TaskStatus["usage"]>>>) | undefined;
  /** Performs a state change asked from the dashboard (pause a plan, stop a task). */
  act?: ((action: DashboardAction) => Promise<unknown>) | undefined;
};

/** Options of {@linkcode createDashboardSource}. */
export type DashboardSourceOptions = {
  address: string;
  power: { idleWatts: number; loadWatts: number; pricePerKwh: string };
  hardware?: Hardware | undefined;
  /** How long the head and rate are reused, ms. @default {2000} */
  chainRefreshMs?: number | undefined;
};

/** The dashboard's source over the running agent, plus `close()` for its connection. */
export type AgentDashboardSource = DashboardSource & { close(): void };

/**
 * The {@linkcode DashboardSource} of a running agent: each snapshot is read
 * from the state database over its own read-only connection
 * ({@linkcode readStatusSnapshot}), completed with what only the process
 * knows (chain head and oracle rate, read at most every `chainRefreshMs` and
 * recorded in `meta` for `sonm-agent status`; the error counters; the last
 * reconcile's duration; connectivity; GPU readings; task usage). A failing
 * optional reader leaves its part out; it never fails the snapshot.
 *
 * @example
 * ```ts ignore
 * const source = createDashboardSource({ statePath, db: state.db }, { address, power });
 * const snapshot = await source.snapshot();
 * source.close();
 * ```
 */
export function createDashboardSource(
  components: DashboardSourceComponents,
  options: DashboardSourceOptions,
): AgentDashboardSource {
  const { chainRefreshMs = 2000 } = options;
  let readDb: DatabaseSync | undefined;
  let chain: { at: number; head?: bigint; rate?: bigint } = { at: 0 };

  async function refreshChain(): Promise<void> {
    const now = Date.now();
    if (now - chain.at < chainRefreshMs) return;
    const [head, rate] = await Promise.all([
      components.readHead?.().catch(() => undefined),
      components.readRate?.().catch(() => undefined),
    ]);
    chain = {
      at: now,
      ...(head === undefined ? {} : { head }),
      ...(rate === undefined ? {} : { rate }),
    };
    try {
      writeStatusMeta(components.db, {
        ...(head === undefined ? {} : { head: { number: head, seenAt: now } }),
        ...(rate === undefined ? {} : { rate }),
        address: options.address,
      });
    } catch {
      // the agent's connection is busy or closing: the next snapshot records it
    }
  }

  return {
    async snapshot(): Promise<StatusSnapshot> {
      await refreshChain();
      const [gpus, usage] = await Promise.all([
        components.gpuReadings?.().catch(() => []) ?? [],
        components.taskUsage?.().catch(() => undefined),
      ]);
      readDb ??= openStatusDatabase(components.statePath);
      const counters = components.errorLog?.counters();
      return readStatusSnapshot(readDb, {
        power: options.power,
        address: options.address,
        hardware: options.hardware,
        ...(chain.rate === undefined ? {} : { rate: chain.rate }),
        ...(chain.head === undefined ? {} : { head: { number: chain.head, seenAt: chain.at } }),
        connectivity: components.connectivity?.(),
        gpus,
        taskUsage: usage,
        counters: counters === undefined ? undefined : {
          rpcErrors: counters.rpc,
          warnings: counters.warn,
          errors: counters.error,
          reconcileSeconds: components.reconcileSeconds?.() ?? null,
          dealRacesLost: components.dealRacesLost?.() ?? 0,
        },
      });
    },
    ...(components.act === undefined ? {} : { act: components.act }),
    close() {
      if (readDb?.isOpen) readDb.close();
      readDb = undefined;
    },
  };
}
