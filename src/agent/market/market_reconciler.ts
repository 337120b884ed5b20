import { BaseError as ViemError } from "viem";
import {
  ChainError,
  type Indexer,
  type SyncResult,
  type WriteMarketClient,
} from "../../chain/mod.ts";
import type { PlanOrdersTable, SqliteChainStore } from "../state/mod.ts";
import { createBillStep } from "./bill_step.ts";
import {
  createRetrySchedule,
  createScheduler,
  type FailureKind,
  type Logger,
  type ScheduledStep,
  type Scheduler,
  type SchedulerClock,
  systemClock,
} from "../base/mod.ts";
import { type ChainHealth, createChainHealth } from "./chain_health.ts";
import { emptyReport, type MarketStepReport } from "./market_report.ts";
import type { MarketView } from "./market_view.ts";
import { createOpenDealsStep, type OpenDealsStepOptions } from "./open_deals_step.ts";
import type { PlannedAsk } from "./plan_ask.ts";
import { createPlansStep } from "./plans_step.ts";
import { createPriceStep, type PriceStepOptions } from "./price_step.ts";

/** What the reconciler works with; built once by `runAgent`. */
export type MarketReconcilerComponents = {
  /** Chain client, contract addresses and the agent's tx sender. */
  market: WriteMarketClient;
  store: SqliteChainStore;
  indexer: Indexer;
  view: MarketView;
  planOrders: PlanOrdersTable;
  logger: Logger;
  clock?: SchedulerClock | undefined;
};

/** Options of {@linkcode createMarketReconciler}. */
export type MarketReconcilerOptions = {
  /** The ASKs of the plans with a fixed price. */
  planned: readonly PlannedAsk[];
  /**
   * Plans priced `auto`, and what pricing them needs: the price step
   * (price_step.ts) runs first and gives the plans step their ASKs.
   */
  autoPriced?: Omit<PriceStepOptions, "onChange" | "me"> | undefined;
  /**
   * Which auto plans are offered now (an administrator may pause one, or give
   * it a fixed price, which moves it to `planned`). @default {all of them}
   */
  autoOffered?: ((plan: string) => boolean) | undefined;
  /** Seconds of chain time between bills of a deal. @default {600} */
  billIntervalSeconds?: number | undefined;
  /** BIDs to try per ASK and run. @default {5} */
  matchLimit?: number | undefined;
  /** The open-deals step's other settings (designation window, grace). */
  openDeals?: Omit<OpenDealsStepOptions, "matchLimit"> | undefined;
  /**
   * More steps, run after the market's own (deal to task, ...). Each names the
   * events that wake it; a module raises its own with `scheduler.trigger(name)`.
   */
  extraSteps?: readonly ScheduledStep[] | undefined;
  /**
   * Steps run before the market's own (the self-test, whose gate decides
   * which plans the plans step offers).
   */
  firstSteps?: readonly ScheduledStep[] | undefined;
  /** Called when a step fails with an error it did not expect (a bug): the agent should stop. */
  onFatal?: ((error: unknown, step: string) => void) | undefined;
  /** Called after each step with its name and duration, ms (the dashboard's reconcile duration). */
  onStep?: ((step: string, ms: number) => void) | undefined;
  /**
   * Which errors thrown by a step are the world failing (backed off, never
   * fatal). @default {chainFailure: the chain's errors}
   */
  expected?: FailureKind | undefined;
  /** The agent's link to the chain, fed by the indexer's polls. @default {a new one} */
  health?: ChainHealth | undefined;
  /** Deals whose task the rig lost for good: never billed again, closed where the rig may. */
  lostDeals?: (() => ReadonlySet<bigint>) | undefined;
};

/**
 * The chain's expected failures: any {@linkcode ChainError} (RPC unreachable
 * or timed out, a revert) or viem error that escaped a step's own handling.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChainRpcError } from "../../chain/mod.ts";
 * import { chainFailure } from "./market_reconciler.ts";
 * const rpc = new ChainRpcError({ action: "read", url: "http://x", attempts: 4, detail: "timeout" });
 * assert.equal(chainFailure(rpc), "the chain");
 * assert.equal(chainFailure(new TypeError("x is undefined")), undefined);
 * ```
 */
export function chainFailure(error: unknown): string | undefined {
  return error instanceof ChainError || error instanceof ViemError ? "the chain" : undefined;
}

/** The agent's market reconciler: its steps, their scheduler, and the feed from the indexer. */
export type MarketReconciler = {
  scheduler: Scheduler;
  /** Whether the indexer hears the chain, and since when not. */
  health: ChainHealth;
  /** Applies one sync's changes to the view and wakes the steps they concern. */
  ingest(result: Pick<SyncResult, "changes" | "indexedTo">): void;
  /**
   * Syncs the indexer once and ingests what it found (tests; `start` does it
   * in the background). Before `start`, this updates the view only.
   */
  sync(options?: { signal?: AbortSignal | undefined }): Promise<SyncResult>;
  /** Runs every step once, now, and returns what they did since the last report. */
  step(): Promise<MarketStepReport>;
  /**
   * Replaces the plans: on a config reload (`config`, the default) the steps
   * that follow the config run; when the self-test's gate changed
   * (`selftest`) only the plans step does.
   */
  setPlans(planned: readonly PlannedAsk[], why?: "config" | "selftest"): void;
  /** Races for a BID lost to another supplier since start (a counter for /metrics). */
  racesLost(): number;
  /** What the steps did since the last `step()` or `takeReport()`. */
  takeReport(): MarketStepReport;
  /** Follows the chain in the background and runs the steps once. */
  start(options: { signal: AbortSignal }): void;
  stop(): Promise<void>;
};

/**
 * Creates the market reconciler. Its steps are data, run in this order when
 * an event they answer comes (see {@linkcode createScheduler}):
 *
 * | step | module | wakes on |
 * | --- | --- | --- |
 * | ...firstSteps | given by runAgent (the self-test) | what each names |
 * | price (auto plans only) | price_step.ts (decision: auto_price.ts) | start, config, orders, views, its timer |
 * | plans | plans_step.ts (decision: reconcile_plans.ts) | start, config, own, prices, selftest |
 * | open-deals | open_deals_step.ts (decisions: assign_bids.ts, classify_open_failure.ts) | start, config, orders, views, own, deals-due (a grace it waits for ended) |
 * | bill | bill_step.ts (decision: plan_billing.ts) | start, own, head, its timer |
 * | ...extraSteps | given by runAgent | what each names |
 *
 * `start` follows the indexer: each sync's changes go into the market view
 * ({@linkcode MarketView.apply}), and the events the view reports wake the
 * steps. A sync that changed nothing wakes nothing.
 *
 * @example
 * ```ts ignore
 * const reconciler = createMarketReconciler(
 *   { market, store, indexer, view, planOrders, logger },
 *   { planned },
 * );
 * reconciler.start({ signal });
 * reconciler.scheduler.trigger("tasks"); // what another module does on its own event
 * await reconciler.stop();
 * ```
 */
export function createMarketReconciler(
  components: MarketReconcilerComponents,
  options: MarketReconcilerOptions,
): MarketReconciler {
  const { market, store, indexer, view, planOrders, logger } = components;
  const clock = components.clock ?? systemClock;
  const health = options.health ?? createChainHealth({ clock, logger });
  let planned = options.planned;
  let report = emptyReport();
  const shared = { market, view, planOrders, logger, clock, report: () => report };
  const pricing = options.autoPriced === undefined || options.autoPriced.plans.length === 0
    ? undefined
    : createPriceStep(shared, {
      ...options.autoPriced,
      me: market.sender.address,
      onChange: () => scheduler.trigger("prices"),
    });
  const openDeals = createOpenDealsStep(
    { ...shared, retries: createRetrySchedule() },
    { ...options.openDeals, matchLimit: options.matchLimit },
  );
  const steps: ScheduledStep[] = [
    ...(options.firstSteps ?? []),
    ...(pricing === undefined ? [] : [{
      name: "price",
      on: ["start", "config", "orders", "views"] as const,
      run: pricing.run,
    }]),
    {
      name: "plans",
      on: ["start", "config", "own", "prices", "selftest"],
      run: createPlansStep(
        { ...shared, store, retries: createRetrySchedule() },
        {
          planned: () =>
            pricing === undefined ? planned : [
              ...planned,
              ...pricing.planned().filter((ask) => options.autoOffered?.(ask.plan) ?? true),
            ],
        },
      ),
    },
    {
      name: "open-deals",
      on: ["start", "config", "orders", "views", "own", "deals-due"],
      run: openDeals.run,
    },
    {
      name: "bill",
      on: ["start", "own", "head"],
      run: createBillStep(
        { ...shared, retries: createRetrySchedule() },
        { billIntervalSeconds: options.billIntervalSeconds, lostDeals: options.lostDeals },
      ),
    },
    ...(options.extraSteps ?? []),
  ];
  const scheduler = createScheduler({
    steps,
    logger,
    clock,
    onFatal: options.onFatal,
    onStep: options.onStep,
    expected: options.expected ?? chainFailure,
  });

  let started = false;
  function ingest(result: Pick<SyncResult, "changes" | "indexedTo">): void {
    const delta = view.apply(result.changes, result.indexedTo);
    const due = openDeals.observe(delta);
    if (result.changes.reorg !== undefined) {
      logger.info("reorg: the market view rolled back with the state", {
        block: result.changes.reorg,
      });
    }
    // before start nothing runs by itself (tests drive it with step())
    if (started) {
      for (const event of delta.events) scheduler.trigger(event);
      if (due) scheduler.trigger("deals-due");
    }
  }

  let following: Promise<void> | undefined;
  const controller = new AbortController();
  return {
    scheduler,
    health,
    ingest,
    async sync(opts = {}) {
      const result = await indexer.syncOnce({ signal: opts.signal });
      ingest(result);
      return result;
    },
    async step() {
      await scheduler.runAll();
      return this.takeReport();
    },
    setPlans(next, why = "config") {
      planned = next;
      if (why === "selftest") scheduler.trigger("selftest");
      else scheduler.trigger("config");
    },
    racesLost: () => openDeals.racesLost(),
    takeReport() {
      const taken = report;
      report = emptyReport();
      return taken;
    },
    start({ signal }) {
      if (following !== undefined) return;
      const stopOn = AbortSignal.any([signal, controller.signal]);
      started = true;
      scheduler.trigger("start");
      following = indexer.run({
        signal: stopOn,
        onSync: (result) => {
          health.succeeded(result.indexedTo);
          ingest(result);
        },
        onError: (error) => {
          // the node failing is expected and retried next poll (logged once); anything else is a bug
          if (error instanceof ChainError || error instanceof ViemError) {
            health.failed(error);
            return;
          }
          logger.error("indexer poll failed unexpectedly: stopping", {
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          });
          options.onFatal?.(error, "indexer");
          controller.abort();
        },
      });
    },
    async stop() {
      controller.abort();
      await following;
      await scheduler.stop();
    },
  };
}
