import { existsSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { BENCHMARKS, type Hardware, hardwareFingerprint, latestResults } from "../../bench/mod.ts";
import { formatTokenAmount, formatUsdPerHour, type OrderState } from "../../chain/mod.ts";
import type {
  AgentCounters,
  BenchmarkEntry,
  ConnectivityStatus,
  DealStatus,
  ErrorEntry,
  GpuReading,
  MatchVerdict,
  PlanStatus,
  StatusSnapshot,
  TaskStatus,
} from "../../dashboard/mod.ts";
import { explainMatch, type MarketViews } from "../../matcher/mod.ts";
import { AgentError } from "../../errors.ts";
import { computeEarnings, type EarningsBill, tokensToUsd } from "./_earnings.ts";
import {
  billsWithTimes,
  createChainStore,
  firstRunStart,
  hasTable,
  lastRun,
  latestBlockTime,
  planOrdersTable,
  planOverridesTable,
  readStatusMeta,
  recentErrorRows,
  recentTasks,
} from "../state/mod.ts";
import { VERSION } from "../base/mod.ts";
import { isDealOf } from "../market/mod.ts";

/** Options of {@linkcode readStatusSnapshot}: what the database alone cannot tell. */
export type ReadStatusSnapshotOptions = {
  /** The clock (unix ms). @default {Date.now} */
  now?: (() => number) | undefined;
  /** The config's `power`, for the net profit. @default {all zero} */
  power?: { idleWatts: number; loadWatts: number; pricePerKwh: string } | undefined;
  /**
   * The part of the rig each plan sells (0-1, by plan name): a deal draws that share of
   * the load power. @default {a plan not listed is the whole rig}
   */
  planShares?: ReadonlyMap<string, number> | undefined;
  /** The oracle rate (token wei per USD). @default {the one the agent last recorded} */
  rate?: bigint | undefined;
  /** The chain head and when the agent last heard the chain. @default {the one the agent last recorded} */
  head?: { number: bigint; seenAt: number } | undefined;
  /**
   * Since when the agent cannot reach the chain, and why (null: it can).
   * @default {what the agent last recorded}
   */
  unreachable?: { since: number; error: string } | null | undefined;
  /** The live agent's "chain changed under the agent" state (null: none); else the recorded one. */
  changed?: { since: number; error: string } | null | undefined;
  /** The agent's address. @default {the one the agent last recorded} */
  address?: string | undefined;
  /** The rig's hardware (benchmarks are then those cached for it). */
  hardware?: Hardware | undefined;
  connectivity?: ConnectivityStatus | undefined;
  /** Live resource use by `DEAL/TASK` (see `taskUsageKey`). */
  taskUsage?: ReadonlyMap<string, NonNullable<TaskStatus["usage"]>> | undefined;
  gpus?: readonly GpuReading[] | undefined;
  counters?: AgentCounters | undefined;
  /** BIDs each plan's ASK is explained against, best first. @default {3} */
  verdictLimit?: number | undefined;
  /** Closed deals kept in the list, newest first. @default {20} */
  closedDeals?: number | undefined;
  /** Errors kept, newest first. @default {50} */
  errors?: number | undefined;
};

/**
 * Opens the agent's state database read-only, so a status reader never
 * writes (no migration, no journal change) and works while the agent runs.
 *
 * @throws {AgentError} when there is no state at `path`
 * @example
 * ```ts ignore
 * const db = openStatusDatabase(".data/agent.sqlite");
 * db.close();
 * ```
 */
export function openStatusDatabase(path: string): DatabaseSync {
  if (!existsSync(path)) {
    throw new AgentError(`Cannot show status: no agent state at "${path}"`, {
      hints: ["Run the agent first: sonm-agent run --config rig.yaml"],
    });
  }
  const db = new DatabaseSync(path, { readOnly: true, readBigInts: true });
  db.exec("PRAGMA busy_timeout = 5000");
  return db;
}

/**
 * Reads the agent's status from its state database: chain head and lag,
 * plans with their orders and why the best BIDs do not match them, the deals
 * on the agent's ASKs with time left and billed so far, earnings (settled
 * from the bills, pending accrued at each open deal's price, net of
 * electricity), tasks (when the `tasks` table exists), the last errors, and
 * the cached benchmark results. What the database cannot tell (hardware,
 * connectivity, live counters) comes in `options`; missing parts are null
 * or empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openState } from "../state/state.ts";
 * import { readStatusSnapshot } from "./status_snapshot.ts";
 * const state = openState({ path: ":memory:" });
 * const snapshot = readStatusSnapshot(state.db, { now: () => 1_000 });
 * assert.equal(snapshot.chain.indexedBlock, null);
 * assert.deepEqual(snapshot.deals, []);
 * state.close();
 * ```
 */
export function readStatusSnapshot(
  db: DatabaseSync,
  options: ReadStatusSnapshotOptions = {},
): StatusSnapshot {
  const now = (options.now ?? Date.now)();
  const meta = readStatusMeta(db);
  const rate = options.rate ?? meta.rate;
  const recordedHead = options.head ?? meta.head;
  const address = (options.address ?? meta.address)?.toLowerCase();
  const store = createChainStore(db);
  const table = planOrdersTable(db);
  const indexed = store.lastIndexed()?.number;
  // the head is recorded now and then; the indexer has seen at least up to its last block
  const head = recordedHead !== undefined && indexed !== undefined && indexed > recordedHead.number
    ? { ...recordedHead, number: indexed }
    : recordedHead;
  const run = lastRun(db);
  const running = run !== undefined && run.stoppedAt === null && processAlive(run.pid);
  const unreachable = options.unreachable !== undefined ? options.unreachable : meta.unreachable;
  // a hanging RPC fails no poll for a long while: not hearing the chain is enough to say so
  const silent = running && head !== undefined && now - head.seenAt > SILENT_CHAIN_MS;
  const changed = options.changed !== undefined ? options.changed : meta.changed;
  // a chain that changed under the agent answers: it is not called unreachable for going silent
  const unreachableSince = unreachable?.since ??
    (silent && (changed === null || changed === undefined) ? head!.seenAt : null);

  // one read of the plans' orders, then lookups in memory (a status of 1,000 deals stays fast)
  const planRows = table.all();
  const planByOrder = new Map(planRows.map((r) => [r.orderId, r.plan]));
  const planOf = (askId: bigint) => planByOrder.get(askId);
  const mine = store.deals().filter((d) =>
    planOf(d.askId) !== undefined || (address !== undefined && isDealOf(d, address))
  );
  const bills = billsOf(db, new Set(mine.map((d) => d.id)));
  // chain time may run ahead of the clock (a devnet's evm_increaseTime): bills are in chain time
  const nowSeconds = Math.max(Math.floor(now / 1000), latestBlockTime(db));
  const { dayStart, weekStart } = periodStarts(nowSeconds);
  const earnings = computeEarnings({
    deals: mine.map((d) => {
      const plan = planOf(d.askId);
      const share = plan === undefined ? undefined : options.planShares?.get(plan);
      return { ...d, open: d.status === "ACCEPTED", ...(share === undefined ? {} : { share }) };
    }),
    dayStart,
    weekStart,
    bills,
    rate,
    now: nowSeconds,
    since: Math.floor((firstRunStart(db) ?? now) / 1000),
    power: {
      idleWatts: options.power?.idleWatts ?? 0,
      loadWatts: options.power?.loadWatts ?? 0,
      pricePerKwh: Number(options.power?.pricePerKwh ?? "0"),
    },
  });
  const { pendingByDeal, ...earningTotals } = earnings;
  const billed = new Map<bigint, { n: number; sum: bigint }>();
  for (const b of bills) {
    const entry = billed.get(b.dealId) ?? { n: 0, sum: 0n };
    billed.set(b.dealId, { n: entry.n + 1, sum: entry.sum + b.paid });
  }
  const deals: DealStatus[] = selectDeals(mine, options.closedDeals ?? 20).map((d) => {
    const paid = billed.get(d.id) ?? { n: 0, sum: 0n };
    const pending = pendingByDeal.get(d.id) ?? { tokens: 0n, usdWei: 0n };
    const open = d.status === "ACCEPTED";
    return {
      dealId: d.id.toString(),
      plan: planOf(d.askId) ?? null,
      consumer: d.consumer,
      status: d.status,
      usdPerHour: formatUsdPerHour(d.price),
      duration: Number(d.duration),
      startTime: Number(d.startTime),
      endTime: Number(d.endTime),
      timeLeft: open && d.duration > 0n ? Math.max(0, Number(d.endTime) - nowSeconds) : null,
      bills: paid.n,
      billedTokens: formatTokenAmount(paid.sum),
      billedUsd: tokensToUsd(paid.sum, rate),
      pendingTokens: formatTokenAmount(pending.tokens),
      pendingUsd: Number(pending.usdWei) / 1e18,
    };
  });

  return {
    generatedAt: now,
    agent: {
      version: VERSION,
      running,
      startedAt: run?.startedAt ?? null,
      pid: run?.pid ?? null,
      address: address ?? null,
    },
    chain: {
      indexedBlock: indexed?.toString() ?? null,
      headBlock: head?.number.toString() ?? null,
      headSeenAt: head?.seenAt ?? null,
      lagBlocks: head !== undefined && indexed !== undefined
        ? Math.max(0, Number(head.number - indexed))
        : null,
      headAgeSeconds: head === undefined
        ? null
        : Math.max(0, Math.round((now - head.seenAt) / 1000)),
      unreachableSince,
      unreachableReason: unreachableSince === null ? null : (unreachable?.error ??
        `the chain has not answered since ${new Date(unreachableSince).toISOString()}`),
      changedSince: running ? (changed?.since ?? null) : null,
      changedReason: running ? (changed?.error ?? null) : null,
    },
    plans: readPlans(store, { rows: planRows, planOf }, {
      deals: mine,
      overrides: planOverrides(db),
      configured: meta.plans,
    }, { limit: options.verdictLimit ?? 3 }),
    deals,
    dealCounts: {
      open: mine.filter((d) => d.status === "ACCEPTED").length,
      closed: mine.filter((d) => d.status === "CLOSED").length,
    },
    earnings: { ...earningTotals, rate: rate?.toString() ?? null },
    tasks: readTasks(db, options.taskUsage),
    connectivity: options.connectivity ?? null,
    errors: readErrors(db, options.errors ?? 50),
    hardware: options.hardware === undefined ? null : {
      cpu: {
        model: options.hardware.cpu.model,
        cores: options.hardware.cpu.cores,
        threads: options.hardware.cpu.threads,
      },
      memBytes: options.hardware.memory.totalBytes,
      gpus: options.hardware.gpus.map((g) => ({
        index: g.index,
        vendor: g.vendor,
        name: g.name,
        memBytes: g.memBytes,
      })),
    },
    benchmarks: readBenchmarks(db, options.hardware),
    gpus: [...(options.gpus ?? [])],
    counters: options.counters ?? null,
  };
}

type Store = ReturnType<typeof createChainStore>;
type Table = ReturnType<typeof planOrdersTable>;
type Deal = ReturnType<Store["deals"]>[number];

/** Open deals first (by id), then the newest closed ones. */
function selectDeals(deals: Deal[], closedKept: number): Deal[] {
  const open = deals.filter((d) => d.status === "ACCEPTED");
  const closed = deals.filter((d) => d.status === "CLOSED").reverse().slice(0, closedKept);
  return [...open, ...closed];
}

/** How long the running agent may not hear the chain before status calls it unreachable, ms. */
const SILENT_CHAIN_MS = 15_000;

function readPlans(
  store: Store,
  { rows, planOf }: {
    rows: ReturnType<Table["all"]>;
    planOf: (askId: bigint) => string | undefined;
  },
  { deals, overrides, configured }: {
    deals: Deal[];
    overrides: ReadonlyMap<string, { paused: boolean; priceUsdPerHour: string | undefined }>;
    /** The config's plans as the agent last recorded them; undefined in an older state. */
    configured: readonly { name: string; priceUsdPerHour: string }[] | undefined;
  },
  { limit }: { limit: number },
): PlanStatus[] {
  const paused = [...overrides].filter(([, o]) => o.paused).map(([plan]) => plan);
  const inConfig = configured === undefined ? undefined : new Set(configured.map((p) => p.name));
  // a plan paused or configured before its first ASK has no order yet: it is listed too;
  // a plan the config no longer has is gone (its orders stay in the deals' history)
  const names = [
    ...new Set([...rows.map((r) => r.plan), ...paused, ...(configured ?? []).map((p) => p.name)]),
  ].filter((name) => inConfig === undefined || inConfig.has(name)).sort();
  const bids = store.activeOrders().filter((o) => o.type === "BID")
    .sort((a, b) => (a.price === b.price ? Number(a.id - b.id) : a.price > b.price ? -1 : 1));
  const views = store.marketViews();
  return names.map((plan) => {
    const mineRows = rows.filter((r) => r.plan === plan);
    const current = mineRows.find((r) => r.retiredAt === undefined);
    const order = current === undefined ? undefined : store.getOrder(current.orderId);
    const deal = deals.find((d) => d.status === "ACCEPTED" && planOf(d.askId) === plan);
    return {
      plan,
      paused: overrides.get(plan)?.paused ?? false,
      orderId: current?.orderId.toString() ?? null,
      active: order?.active ?? false,
      usdPerHour: order === undefined ? null : formatUsdPerHour(order.price),
      // an administrator's price shows at once, even while a deal keeps the ASK off the market
      priceUsdPerHour: overrides.get(plan)?.priceUsdPerHour ??
        configured?.find((p) => p.name === plan)?.priceUsdPerHour ?? null,
      dealId: deal?.id.toString() ?? null,
      verdicts: order?.active ? verdicts(order, bids.slice(0, limit), views) : [],
      orders: mineRows.map((r) => ({
        orderId: r.orderId.toString(),
        placedAt: r.placedAt,
        retiredAt: r.retiredAt ?? null,
        retireReason: r.retireReason ?? null,
      })),
    };
  });
}

/** What the rig's administrators changed per plan (`plan_overrides`, absent before migration 8). */
function planOverrides(
  db: DatabaseSync,
): Map<string, { paused: boolean; priceUsdPerHour: string | undefined }> {
  if (!hasTable(db, "plan_overrides")) return new Map();
  return new Map(planOverridesTable(db).all().map((o) => [o.plan, o]));
}

function verdicts(ask: OrderState, bids: OrderState[], views: MarketViews): MatchVerdict[] {
  return bids.map((bid) => {
    const why = explainMatch({ bid, ask }, views);
    const base = { bidId: bid.id.toString(), bidUsdPerHour: formatUsdPerHour(bid.price) };
    if (why.matched) return { ...base, matched: true };
    const values = Object.entries(why.values).map(([k, v]) => `${k}=${v}`).join(", ");
    return {
      ...base,
      matched: false,
      rule: why.name,
      why: `${why.condition}${values === "" ? "" : ` (${values})`}`,
    };
  });
}

/** Bills of the given deals with their time: the block's, else the deal's bill time then. */
function billsOf(db: DatabaseSync, deals: Set<bigint>): EarningsBill[] {
  return billsWithTimes(db).filter((bill) => deals.has(bill.dealId));
}

function readTasks(
  db: DatabaseSync,
  usage: ReadStatusSnapshotOptions["taskUsage"],
): TaskStatus[] {
  if (!hasTable(db, "tasks")) return [];
  return recentTasks(db, 100).map((t) => {
    const taskId = String(t.taskId);
    const used = usage?.get(`${t.dealId}/${taskId}`);
    return {
      dealId: String(t.dealId),
      taskId,
      image: t.image,
      state: t.state,
      exitCode: t.exitCode ?? null,
      message: t.message ?? "",
      createdAt: t.createdAt,
      startedAt: t.startedAt ?? null,
      finishedAt: t.finishedAt ?? null,
      ...(used === undefined ? {} : { usage: used }),
    };
  });
}

/** Unix seconds of the last midnight and of Monday 00:00 before `nowSeconds`, the rig's clock. */
function periodStarts(nowSeconds: number): { dayStart: number; weekStart: number } {
  const now = new Date(nowSeconds * 1000);
  const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const monday = new Date(midnight);
  monday.setDate(midnight.getDate() - (midnight.getDay() + 6) % 7);
  return { dayStart: midnight.getTime() / 1000, weekStart: monday.getTime() / 1000 };
}

/**
 * The newest warnings and errors, repeats grouped (one entry per level,
 * component and message, newest first), at most `limit` entries. The table
 * keeps the newest lines only; a resolved problem's lines were dropped.
 */
function readErrors(db: DatabaseSync, limit: number): ErrorEntry[] {
  if (!hasTable(db, "agent_errors")) return [];
  const groups = new Map<string, ErrorEntry>();
  for (const r of recentErrorRows(db, ERROR_ROWS_READ)) {
    const { level, component, message, at } = r;
    const key = JSON.stringify([level, component, message]);
    const seen = groups.get(key);
    if (seen !== undefined) {
      seen.count++;
      seen.firstAt = Math.min(seen.firstAt, at);
      continue;
    }
    if (groups.size >= limit) continue;
    groups.set(key, {
      at,
      firstAt: at,
      count: 1,
      level,
      component,
      message,
      fields: parseObject(r.fields),
    });
  }
  return [...groups.values()];
}

/** The error log keeps its newest 200 lines: all of them are read to group the repeats. */
const ERROR_ROWS_READ = 500;

function parseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? value as Record<string, unknown> : {};
  } catch {
    return {};
  }
}

function readBenchmarks(db: DatabaseSync, hardware: Hardware | undefined): BenchmarkEntry[] {
  const hash = hardware === undefined ? undefined : hardwareFingerprint(hardware).hash;
  return latestResults(db, hash).map((r) => ({
    id: r.id,
    key: BENCHMARKS.find((b) => b.id === r.id)?.key ?? `benchmark-${r.id}`,
    value: String(r.value),
    unit: r.unit,
    probe: r.probe,
    measuredAt: r.measuredAt,
  }));
}

/** Whether a process with this pid lives (Linux /proc; elsewhere assumed alive). */
function processAlive(pid: number): boolean {
  if (pid === Deno.pid) return true;
  try {
    return Deno.build.os !== "linux" || existsSync(`/proc/${pid}`);
  } catch {
    return true;
  }
}
