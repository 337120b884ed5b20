import type { DatabaseSync } from "node:sqlite";
import type { LocalAccount } from "viem";
import {
  bill,
  cancelOrder,
  type ChainClient,
  ChainRevertError,
  checkMatch,
  closeDeal,
  createIndexer,
  createMarketClient,
  createTxSender,
  formatTokenAmount,
  formatUsdPerHour,
  getOrder,
  type Indexer,
  marketAbi,
  type MarketAddresses,
  openDeal,
  type OrderState,
  placeOrder,
  type WriteMarketClient,
} from "../chain/mod.ts";
import {
  type Address,
  createOrderBook,
  type MarketOrder,
  type MarketViewData,
  type MarketViews,
} from "../matcher/mod.ts";
import { askParamsHash } from "./_ask_params.ts";
import { planOrdersTable } from "./_plan_orders.ts";
import { createChainStore } from "./chain_store.ts";
import { recoverDealPlans } from "./deal_plans.ts";
import { killPoint, txKillPoints } from "./kill_point.ts";
import type { Logger } from "./logger.ts";
import type { PlannedAsk } from "./plan_ask.ts";
import { type IndexedOrderStatus, type PlanAction, reconcilePlans } from "./reconcile_plans.ts";

/** What the market loop works with. */
export type MarketLoopComponents = {
  chain: ChainClient;
  /** The agent's unlocked key: it authors the ASKs and sends every transaction. */
  account: LocalAccount;
  /** The agent's state database (chain tables, plan_orders). */
  db: DatabaseSync;
  logger: Logger;
};

/** Options of {@linkcode startMarketLoop}. */
export type StartMarketLoopOptions = {
  addresses: MarketAddresses;
  /**
   * The plans' ASKs, or a function that makes them once the market's
   * `benchmarksQuantity` is known (read from the Market contract). Called
   * again at every step, so a plan paused or re-priced meanwhile is followed.
   */
  plans: (market: { benchmarksQuantity: number }) => PlannedAsk[];
  /** First block to index when the state has none (the market's deployment block). @default {0n} */
  fromBlock?: bigint | undefined;
  /** Pause between indexer polls, ms. @default {1000} */
  pollIntervalMs?: number | undefined;
  /** Bill each open deal when this many seconds of chain time passed since its last bill. @default {600} */
  billIntervalSeconds?: number | undefined;
  /** BIDs to try per ASK and step, best first. @default {5} */
  matchLimit?: number | undefined;
  /** Receipt timeout of the agent's transactions, ms. @default {120000} */
  receiptTimeoutMs?: number | undefined;
  /** Runs after every step (the deal -> task reconciler hooks in here). */
  afterStep?: ((signal?: AbortSignal) => Promise<unknown>) | undefined;
  signal?: AbortSignal | undefined;
};

/** What one step of the loop did (the tests and logs read it). */
export type MarketStepReport = {
  placed: bigint[];
  cancelled: bigint[];
  dealsOpened: bigint[];
  billed: { dealId: bigint; paidAmount: bigint }[];
  closed: bigint[];
  failures: number;
};

/** A running market loop. */
export type MarketLoop = {
  indexer: Indexer;
  market: WriteMarketClient;
  /** Reconciles plans, matches BIDs and bills deals once (the loop runs it after each sync). */
  step(options?: { signal?: AbortSignal | undefined }): Promise<MarketStepReport>;
  /** Starts following the chain in the background: sync, then a step, every poll. */
  start(): void;
  /** Stops the background loop and waits for the running step. */
  stop(): Promise<void>;
};

/**
 * Creates the supplier's market loop and syncs the indexer once: the chain
 * store over the agent's state, a nonce-persisting tx sender, the market
 * client, and the indexer from `fromBlock`. `start()` then follows the chain;
 * after every sync a step:
 *
 * 1. reconciles each plan's ASK with the chain ({@linkcode reconcilePlans}):
 *    keeps an unchanged one, cancels a changed or removed one, adopts an
 *    unrecorded ASK of ours with the plan's parameters (placed before a
 *    crash), places the missing ones; one deal per plan at a time: a plan's
 *    next ASK waits until its deal closes;
 * 2. matches: puts the active BIDs in a matcher book with the indexed views,
 *    takes the best BIDs each of our ASKs satisfies, confirms each with the
 *    contract's `checkMatch`, and opens the deal (a lost race is logged and
 *    skipped);
 * 3. bills: every open deal of ours whose last bill is `billIntervalSeconds`
 *    of chain time old is billed; a forward deal past its end is closed.
 *
 * Failures of one action are logged (with the decoded contract error) and
 * never stop the loop.
 *
 * @example
 * ```ts ignore
 * const loop = await startMarketLoop({ chain, account, db, logger }, {
 *   addresses, plans: ({ benchmarksQuantity }) => config.plans.map((p) =>
 *     planAsk(p, { rig, benchmarksQuantity })),
 * });
 * loop.start();
 * await loop.stop();
 * ```
 */
export async function startMarketLoop(
  components: MarketLoopComponents,
  options: StartMarketLoopOptions,
): Promise<MarketLoop> {
  const { chain, account, db, logger } = components;
  const {
    addresses,
    fromBlock = 0n,
    pollIntervalMs = 1000,
    billIntervalSeconds = 600,
    matchLimit = 5,
    receiptTimeoutMs,
    signal,
  } = options;
  const store = createChainStore(db);
  const points = txKillPoints(store); // crash tests: die between a send and its receipt
  const sender = points.wrap(
    createTxSender(chain, { account, nonceStore: points.nonceStore, receiptTimeoutMs }),
  );
  const market = createMarketClient(chain, { addresses, sender }) as WriteMarketClient;
  const indexer = createIndexer(market, { store, fromBlock, pollIntervalMs });
  const table = planOrdersTable(db);
  const me = account.address.toLowerCase();
  const benchmarksQuantity = Number(
    await chain.public.readContract({
      address: addresses.market,
      abi: marketAbi,
      functionName: "benchmarksQuantity",
    }),
  );
  // re-read each step: administrators pause, resume and re-price plans while the agent runs
  let planned = options.plans({ benchmarksQuantity });
  let plannedByName = new Map(planned.map((p) => [p.plan, p]));
  const synced = await indexer.syncOnce({ signal });
  logger.info("indexer synced", { block: synced.indexedTo, events: synced.events });

  /** Chain time of our own last bill per deal: the indexer may not have seen it yet. */
  const billedAt = new Map<bigint, bigint>();
  const warnedUnknown = new Set<bigint>();
  const waiting = new Set<string>();

  const isMine = (a: string) => a.toLowerCase() === me;
  const errorFields = (error: unknown) =>
    error instanceof ChainRevertError
      ? { error: error.message, contractError: error.errorName }
      : { error: error instanceof Error ? error.message : String(error) };

  function openDealsOfMine() {
    return store.deals({ party: account.address, status: "ACCEPTED" })
      .filter((d) => isMine(d.supplier) || isMine(d.master));
  }

  async function reconcile(report: MarketStepReport, signal?: AbortSignal): Promise<void> {
    planned = options.plans({ benchmarksQuantity });
    plannedByName = new Map(planned.map((p) => [p.plan, p]));
    // a deal on an ASK the table does not know (crash, lost state): its plan from the chain
    for (const r of recoverDealPlans(db, store, { me: account.address, planned })) {
      logger.warn("found a deal on an unrecorded ASK: its plan recovered from the chain", r);
    }
    const records = table.current();
    const orders = new Map<bigint, IndexedOrderStatus>();
    for (const r of records) {
      const o = store.getOrder(r.orderId);
      if (o !== undefined && (o.type !== "ASK" || !isMine(o.author))) {
        // another chain under the same state (a new devnet): that id is someone else's order
        orders.set(r.orderId, { active: false, dealId: 0n, missing: true });
      } else if (o !== undefined) {
        orders.set(r.orderId, { active: o.active, dealId: o.dealId });
      } else if (await getOrder(market, { orderId: r.orderId, signal }) === undefined) {
        // not indexed and not on chain: its block was reorganized away
        orders.set(r.orderId, { active: false, dealId: 0n, missing: true });
      }
    }
    const ownActiveAsks = store.activeOrders()
      .filter((o) => o.type === "ASK" && isMine(o.author))
      .map((o) => ({ id: o.id, hash: askParamsHash(o) }));
    const busyPlans = new Set<string>();
    for (const d of openDealsOfMine()) {
      const plan = table.planOf(d.askId);
      if (plan !== undefined) busyPlans.add(plan);
    }
    const actions = reconcilePlans({
      planned: planned.map((p) => ({ plan: p.plan, hash: p.hash })),
      records,
      orders,
      ownActiveAsks,
      busyPlans,
    });
    const failedPlans = new Set<string>();
    for (const action of actions) {
      if ("plan" in action && action.plan !== undefined && failedPlans.has(action.plan)) continue;
      try {
        await act(action, report, signal);
      } catch (error) {
        if (signal?.aborted) throw error;
        report.failures++;
        if ("plan" in action && action.plan !== undefined) failedPlans.add(action.plan);
        logger.error(`cannot ${action.kind} the ASK`, {
          plan: "plan" in action ? action.plan : undefined,
          orderId: "orderId" in action ? action.orderId : undefined,
          ...errorFields(error),
        });
      }
    }
  }

  async function act(action: PlanAction, report: MarketStepReport, signal?: AbortSignal) {
    const now = Date.now();
    switch (action.kind) {
      case "keep":
        waiting.delete(action.plan);
        return;
      case "wait":
        if (!waiting.has(action.plan)) {
          logger.info("plan has an open deal: its next ASK waits until the deal closes", {
            plan: action.plan,
          });
          waiting.add(action.plan);
        }
        return;
      case "unknown":
        if (!warnedUnknown.has(action.orderId)) {
          warnedUnknown.add(action.orderId);
          logger.warn("an active ASK of this agent's address belongs to no plan; left alone", {
            orderId: action.orderId,
          });
        }
        return;
      case "retire":
        table.retire(action.orderId, action.reason, now);
        logger.info("plan's ASK is no longer active", {
          plan: action.plan,
          orderId: action.orderId,
          reason: action.reason,
        });
        return;
      case "cancel":
        await cancelOrder(market, { orderId: action.orderId, signal });
        if (action.plan !== undefined) {
          table.retire(action.orderId, action.reason === "removed" ? "removed" : "changed", now);
        }
        report.cancelled.push(action.orderId);
        logger.info("cancelled ASK", {
          plan: action.plan,
          orderId: action.orderId,
          reason: action.reason,
        });
        return;
      case "adopt":
        table.record({ plan: action.plan, orderId: action.orderId, hash: action.hash }, now);
        logger.info("found the plan's ASK on chain, unrecorded: adopted it", {
          plan: action.plan,
          orderId: action.orderId,
        });
        return;
      case "place": {
        const p = plannedByName.get(action.plan);
        if (p === undefined) return;
        waiting.delete(action.plan);
        const { orderId } = await placeOrder(market, { type: "ASK", ...p.params, signal });
        killPoint("ask-placed");
        table.record({ plan: p.plan, orderId, hash: p.hash }, Date.now());
        report.placed.push(orderId);
        logger.info("placed ASK", {
          plan: p.plan,
          orderId,
          usdPerHour: formatUsdPerHour(p.params.price),
          duration: p.params.duration,
        });
        return;
      }
    }
  }

  /** The views the rules need for these orders, as data for the matcher book. */
  function viewData(
    views: MarketViews,
    asks: readonly MarketOrder[],
    bids: readonly MarketOrder[],
  ) {
    const masters: { worker: Address; master: Address }[] = [];
    const levels: { address: Address; level: 0 | 1 | 2 | 3 }[] = [];
    const blacklists: { owner: Address; listed: Address }[] = [];
    const people = new Set<Address>();
    for (const o of [...asks, ...bids]) {
      people.add(o.author.toLowerCase() as Address);
      people.add(views.masterOf(o.author).toLowerCase() as Address);
    }
    for (const who of people) {
      const master = views.masterOf(who).toLowerCase() as Address;
      if (master !== who) masters.push({ worker: who, master });
      const level = views.levelOf(who);
      if (level > 0) levels.push({ address: who, level });
    }
    const seen = new Set<string>();
    const check = (owner: Address, who: Address) => {
      const key = `${owner}:${who}`.toLowerCase();
      if (/^0x0+$/.test(owner) || seen.has(key)) return;
      seen.add(key);
      if (views.listed(owner, who)) blacklists.push({ owner, listed: who });
    };
    for (const ask of asks) {
      const askMaster = views.masterOf(ask.author);
      for (const bid of bids) {
        for (const owner of [bid.blacklist, bid.author]) {
          check(owner, askMaster);
          check(owner, ask.author);
        }
        for (const owner of [ask.blacklist, askMaster, ask.author]) check(owner, bid.author);
      }
    }
    return { masters, levels, blacklists } satisfies MarketViewData;
  }

  async function match(report: MarketStepReport, signal?: AbortSignal): Promise<void> {
    const active = store.activeOrders();
    const bids = active.filter((o) => o.type === "BID");
    if (bids.length === 0) return;
    const current = new Set(table.current().map((r) => r.orderId));
    const asks = active.filter((o) => o.type === "ASK" && current.has(o.id));
    if (asks.length === 0) return;
    const book = createOrderBook({ views: viewData(store.marketViews(), asks, bids) });
    for (const bid of bids) {
      try {
        book.add(bid);
      } catch {
        // a BID outside the matcher's bounds cannot match an ASK of ours
      }
    }
    for (const ask of asks) {
      for (const bidId of book.matchAsk(ask, { limit: matchLimit })) {
        const opened = await tryOpen(ask, bidId, report, signal);
        if (opened === "ask-gone") break;
        if (opened === "opened") {
          book.remove(bidId);
          break;
        }
      }
    }
  }

  async function tryOpen(
    ask: OrderState,
    bidId: bigint,
    report: MarketStepReport,
    signal?: AbortSignal,
  ): Promise<"opened" | "skipped" | "ask-gone"> {
    const plan = table.planOf(ask.id);
    const check = await checkMatch(market, { askId: ask.id, bidId, signal });
    if (!check.ok) {
      logger.debug("the contract refuses a pair the matcher took", {
        askId: ask.id,
        bidId,
        contractError: check.error.errorName,
      });
      return check.error.errorName === "OrderNotActive" && check.error.errorArgs[0] === ask.id
        ? "ask-gone"
        : "skipped";
    }
    try {
      const { dealId } = await openDeal(market, { askId: ask.id, bidId, signal });
      killPoint("deal-opened");
      report.dealsOpened.push(dealId);
      logger.info("opened deal", {
        plan,
        dealId,
        askId: ask.id,
        bidId,
        usdPerHour: formatUsdPerHour(ask.price),
      });
      return "opened";
    } catch (error) {
      if (signal?.aborted) throw error;
      if (error instanceof ChainRevertError && error.errorName === "OrderNotActive") {
        logger.warn("lost the race for a BID: an order was taken first", {
          askId: ask.id,
          bidId,
          takenOrder: error.errorArgs[0],
        });
        return error.errorArgs[0] === ask.id ? "ask-gone" : "skipped";
      }
      report.failures++;
      logger.error("cannot open deal", { askId: ask.id, bidId, ...errorFields(error) });
      return "skipped";
    }
  }

  async function billDeals(report: MarketStepReport, signal?: AbortSignal): Promise<void> {
    const deals = openDealsOfMine();
    if (deals.length === 0) return;
    const head = await chain.public.getBlock({ blockTag: "latest" });
    const now = head.timestamp;
    for (const deal of deals) {
      try {
        if (deal.duration > 0n && now >= deal.endTime) {
          await closeDeal(market, { dealId: deal.id, blacklistOther: false, signal });
          report.closed.push(deal.id);
          logger.info("closed deal at its end", { dealId: deal.id });
          continue;
        }
        const last = maxOf(deal.lastBillTime, billedAt.get(deal.id) ?? 0n);
        if (now - last < BigInt(billIntervalSeconds)) continue;
        const { paidAmount, closed, receipt } = await bill(market, { dealId: deal.id, signal });
        killPoint("billed");
        const block = await chain.public.getBlock({ blockNumber: receipt.blockNumber });
        billedAt.set(deal.id, block.timestamp);
        report.billed.push({ dealId: deal.id, paidAmount });
        if (closed) report.closed.push(deal.id);
        logger.info("billed deal", {
          dealId: deal.id,
          paid: formatTokenAmount(paidAmount),
          closed,
        });
      } catch (error) {
        if (signal?.aborted) throw error;
        report.failures++;
        logger.error("cannot bill deal", { dealId: deal.id, ...errorFields(error) });
      }
    }
  }

  async function stepOnce(signal?: AbortSignal): Promise<MarketStepReport> {
    const report: MarketStepReport = {
      placed: [],
      cancelled: [],
      dealsOpened: [],
      billed: [],
      closed: [],
      failures: 0,
    };
    await reconcile(report, signal);
    await match(report, signal);
    await billDeals(report, signal);
    await options.afterStep?.(signal)?.catch((error) => {
      if (signal?.aborted) throw error;
      report.failures++;
      logger.error("the step's follow-up failed", errorFields(error));
    });
    return report;
  }

  // steps never overlap: a sync during a step runs one more step after it
  let running: Promise<MarketStepReport> | undefined;
  let again = false;
  function step(opts: { signal?: AbortSignal | undefined } = {}): Promise<MarketStepReport> {
    if (running !== undefined) {
      again = true;
      return running;
    }
    const run = async (): Promise<MarketStepReport> => {
      try {
        let report = await stepOnce(opts.signal);
        while (again && !opts.signal?.aborted) {
          again = false;
          report = await stepOnce(opts.signal);
        }
        return report;
      } finally {
        running = undefined;
      }
    };
    running = run();
    return running;
  }

  const controller = new AbortController();
  const loopSignal = signal === undefined
    ? controller.signal
    : AbortSignal.any([signal, controller.signal]);
  let loop: Promise<void> | undefined;
  return {
    indexer,
    market,
    step,
    start() {
      if (loop !== undefined) return;
      const firstStep = step({ signal: loopSignal }).catch((error) => {
        if (!loopSignal.aborted) logger.error("market step failed", errorFields(error));
      });
      loop = firstStep.then(() =>
        indexer.run({
          signal: loopSignal,
          onSync: () => {
            step({ signal: loopSignal }).catch((error) => {
              if (!loopSignal.aborted) logger.error("market step failed", errorFields(error));
            });
          },
          onError: (error) => logger.warn("indexer poll failed", errorFields(error)),
        })
      );
    },
    async stop() {
      controller.abort();
      await loop;
      await running?.catch(() => {});
    },
  };
}

function maxOf(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
