import {
  type ChainError,
  formatUsdPerHour,
  openDeal,
  type OrderState,
  type WriteMarketClient,
} from "../../chain/mod.ts";
import {
  killPoint,
  type Logger,
  type RetrySchedule,
  type SchedulerClock,
  type StepOutcome,
} from "../base/mod.ts";
import type { PlanOrdersTable } from "../state/mod.ts";
import { chainErrorFields, classifyOpenFailure } from "./classify_open_failure.ts";
import type { MarketStepReport } from "./market_report.ts";
import type { MarketView, ViewDelta } from "./market_view.ts";

/** Components of {@linkcode createOpenDealsStep}. */
export type OpenDealsStepComponents = {
  market: WriteMarketClient;
  view: MarketView;
  planOrders: PlanOrdersTable;
  logger: Logger;
  clock: SchedulerClock;
  report: () => MarketStepReport;
  /** Per (ASK, BID) pair backoff of failed openDeal calls. */
  retries: RetrySchedule;
};

/** Options of {@linkcode createOpenDealsStep}. */
export type OpenDealsStepOptions = {
  /** BIDs to try per ASK and run, best first. @default {5} */
  matchLimit?: number | undefined;
  /** A parked BID (blocked by its own state) is tried again after this long without an event, ms. @default {600000} */
  parkMs?: number | undefined;
};

/** The "match and open" step, plus what it must learn from each view change. */
export type OpenDealsStep = {
  run(options: { signal: AbortSignal }): Promise<StepOutcome>;
  /** Un-parks the BIDs a sync changed (or all, after views changed or a reload). */
  observe(delta: ViewDelta): void;
};

/**
 * The "match and open" step: for each plan's standing ASK, asks the market
 * view's book for the best BIDs it satisfies (O(match), no scan of the
 * store), skips pairs that back off and BIDs parked until their own state
 * changes, and sends `openDeal` for the first one left. The contract checks
 * the pair again at gas estimation, so no separate `checkMatch` call slows
 * the reaction down. Failures are classified by
 * {@linkcode classifyOpenFailure}: a lost race is a warning, a BID blocked
 * by its consumer's allowance, balance or a blacklist is parked until an
 * event changes it, anything else backs the pair off; the first failure of a
 * kind is logged at error with the decoded contract error, repeats at debug.
 *
 * @example
 * ```ts ignore
 * const step = createOpenDealsStep(components, { matchLimit: 5 });
 * await step.run({ signal });
 * ```
 */
export function createOpenDealsStep(
  components: OpenDealsStepComponents,
  options: OpenDealsStepOptions = {},
): OpenDealsStep {
  const { market, view, planOrders, logger, clock, retries } = components;
  const { matchLimit = 5, parkMs = 600_000 } = options;
  /** BID id -> wall time after which it is tried again even without an event. */
  const parked = new Map<bigint, number>();
  /** ASKs we opened a deal on: skipped until the indexer shows them taken. */
  const taken = new Set<bigint>();
  const pairKey = (askId: bigint, bidId: bigint) => `${askId}:${bidId}`;

  function usable(bidId: bigint, askId: bigint, now: number): boolean {
    const until = parked.get(bidId);
    if (until !== undefined) {
      if (until > now) return false;
      parked.delete(bidId);
    }
    return retries.ready(pairKey(askId, bidId), now);
  }

  /** Tries the ASK's best BIDs; returns after a deal, or when no candidate is left. */
  async function serve(ask: OrderState, signal: AbortSignal): Promise<void> {
    const now = clock.now();
    const candidates = view.book.matchAsk(ask, { limit: matchLimit + parked.size + retries.size() })
      .filter((bidId) => usable(bidId, ask.id, now))
      .slice(0, matchLimit);
    for (const bidId of candidates) {
      const outcome = await tryOpen(ask, bidId, signal);
      if (outcome === "opened" || outcome === "ask-gone") return;
    }
  }

  async function tryOpen(
    ask: OrderState,
    bidId: bigint,
    signal: AbortSignal,
  ): Promise<"opened" | "ask-gone" | "skipped"> {
    const report = components.report();
    try {
      const { dealId } = await openDeal(market, { askId: ask.id, bidId, signal });
      killPoint("deal-opened");
      retries.clear(pairKey(ask.id, bidId));
      taken.add(ask.id);
      view.book.remove(bidId);
      report.dealsOpened.push(dealId);
      logger.info("opened deal", {
        plan: planOrders.planOf(ask.id),
        dealId,
        askId: ask.id,
        bidId,
        usdPerHour: formatUsdPerHour(ask.price),
      });
      return "opened";
    } catch (error) {
      if (signal.aborted) throw error;
      const kind = classifyOpenFailure(error, { askId: ask.id, bidId });
      if (kind === undefined) throw error; // not a chain failure: a bug
      const fields = { askId: ask.id, bidId, ...chainErrorFields(error as ChainError) };
      switch (kind) {
        case "ask-gone":
          taken.add(ask.id);
          logger.info(
            "our ASK was taken or cancelled before the deal: waiting for the indexer",
            fields,
          );
          return "ask-gone";
        case "bid-gone":
          parked.set(bidId, clock.now() + parkMs);
          logger.warn("lost the race for a BID: an order was taken first", fields);
          return "skipped";
        case "bid-blocked": {
          const first = !parked.has(bidId);
          parked.set(bidId, clock.now() + parkMs);
          report.failures++;
          logger[first ? "error" : "debug"](
            "cannot open deal: the BID is blocked until its state changes",
            fields,
          );
          return "skipped";
        }
        case "retry": {
          report.failures++;
          const verdict = retries.fail(pairKey(ask.id, bidId), clock.now());
          logger[verdict.first ? "error" : "debug"]("cannot open deal", {
            ...fields,
            attempts: verdict.attempts,
            retryInMs: verdict.nextTryAt - clock.now(),
          });
          return "skipped";
        }
      }
    }
  }

  return {
    async run({ signal }) {
      const current = new Set(planOrders.current().map((r) => r.orderId));
      const asks = [...view.ownAsks().values()]
        .filter((o) => current.has(o.id) && !taken.has(o.id));
      // pairs of asks or bids that left the book wait no more
      retries.clearWhere((key) => {
        const [a, b] = key.split(":").map(BigInt) as [bigint, bigint];
        return !view.ownAsks().has(a) || !view.book.has(b);
      });
      for (const bidId of parked.keys()) if (!view.book.has(bidId)) parked.delete(bidId);
      for (const ask of asks) await serve(ask, signal);
      const wakes = [retries.nextTryAt(), ...parked.values()].filter((t) => t !== undefined);
      return { wakeAt: wakes.length === 0 ? undefined : Math.min(...wakes) };
    },
    observe(delta) {
      if (delta.reloaded || delta.events.has("views")) parked.clear();
      for (const id of delta.orders) {
        parked.delete(id);
        taken.delete(id);
      }
      if (delta.reloaded) taken.clear();
    },
  };
}
