import type { MarketStepComponents } from "./step_components.ts";
import {
  type ChainError,
  ChainRevertError,
  formatUsdPerHour,
  openDeal,
  type OrderState,
} from "../../chain/mod.ts";
import { killPoint, type StepOutcome } from "../base/mod.ts";
import { assignBids } from "./assign_bids.ts";
import { chainErrorFields, classifyOpenFailure } from "./classify_open_failure.ts";
import type { ViewDelta } from "./market_view.ts";

/** Components of {@linkcode createOpenDealsStep}. */
export type OpenDealsStepComponents = Pick<
  MarketStepComponents,
  "market" | "view" | "planOrders" | "logger" | "clock" | "report" | "retries"
>;

/** Options of {@linkcode createOpenDealsStep}. */
export type OpenDealsStepOptions = {
  /** BIDs to try per ASK and run, best first. @default {5} */
  matchLimit?: number | undefined;
  /** A parked BID (blocked by its own state) is tried again after this long without an event, ms. @default {600000} */
  parkMs?: number | undefined;
  /** The best BIDs designated to one contender each (see assignBids). @default {64} */
  designationWindow?: number | undefined;
  /** Most contenders (standing ASKs that fit) read per BID. @default {64} */
  contenders?: number | undefined;
  /**
   * A BID designated to another supplier's ASK is left to it for this many
   * blocks (or `graceMs`, whichever ends first); then that ASK counts as idle.
   * Twice as long, and the BID is open to any of ours. @default {2}
   */
  graceBlocks?: number | undefined;
  /** The grace in wall time, for a chain that makes no blocks while idle, ms. @default {30000} */
  graceMs?: number | undefined;
};

/** The "match and open" step, plus what it must learn from each view change. */
export type OpenDealsStep = {
  run(options: { signal: AbortSignal }): Promise<StepOutcome>;
  /**
   * Un-parks the BIDs a sync changed (or all, after views changed or a
   * reload); returns true when the step should run although no order changed
   * (a grace it waits for ended at the new head).
   */
  observe(delta: ViewDelta): boolean;
  /** Races lost since start: a BID another supplier took first (`sonm_agent_deal_races_lost_total`). */
  racesLost(): number;
};

/** A BID left to another supplier's ASK: since when (this ASK, and the first one). */
type Deferral = { askId: bigint; block: bigint; at: number; firstBlock: bigint; firstAt: number };

/**
 * The "match and open" step. Each run takes the plans' free ASKs, asks the
 * market view's book for the BIDs each satisfies (O(match), no scan of the
 * store) and their contenders (the standing ASKs of every supplier that fit
 * them), and lets {@linkcode assignBids} decide which BIDs each of our ASKs
 * tries: every rig designates the same contender to each BID, so rigs spread
 * over a burst instead of all racing for the best BID. BIDs parked, backing
 * off, or already targeted by one of our transactions are left out.
 *
 * Then it sends the `openDeal`s of all its free ASKs at once (the tx sender
 * gives them consecutive nonces, so one block can hold them all) and follows
 * the receipts side by side; an ASK whose try failed (a lost race, a revert
 * on chain) goes on with its next BID at once. The contract checks each pair
 * again at gas estimation, so no separate `checkMatch` call slows the
 * reaction down. Failures are classified by {@linkcode classifyOpenFailure}:
 * a lost race is normal (info, counted, not an error), a BID blocked by its
 * consumer's allowance, balance or a blacklist is parked until an event
 * changes it, anything else backs the pair off; the first failure of a kind
 * is logged at error with the decoded contract error, repeats at debug.
 *
 * A BID designated to another supplier's ASK is left to it for
 * `graceBlocks`; if it still stands, that ASK is idle (a rig that is down)
 * and designated no more, and after twice the grace the BID is open to us.
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
  const {
    matchLimit = 5,
    parkMs = 600_000,
    designationWindow = 64,
    contenders: contendersLimit = 64,
    graceBlocks = 2,
    graceMs = 30_000,
  } = options;
  const me = market.sender.address;
  /** BID id -> wall time after which it is tried again even without an event. */
  const parked = new Map<bigint, number>();
  /** ASKs we opened a deal on: skipped until the indexer shows them taken. */
  const taken = new Set<bigint>();
  /** BIDs we leave to another supplier's ASK, for a grace. */
  const deferred = new Map<bigint, Deferral>();
  /** Other suppliers' ASKs that left a BID designated to them standing: until their order changes. */
  const idle = new Set<bigint>();
  let racesLost = 0;
  /** The view's block at the last observe, to tell when a grace ends. */
  let seenBlock = view.indexedTo();
  const pairKey = (askId: bigint, bidId: bigint) => `${askId}:${bidId}`;
  const grace = BigInt(graceBlocks);

  function usable(bidId: bigint, askId: bigint, now: number): boolean {
    const until = parked.get(bidId);
    if (until !== undefined) {
      if (until > now) return false;
      parked.delete(bidId);
    }
    return retries.ready(pairKey(askId, bidId), now);
  }

  /** The deferrals whose grace ended: their ASKs are idle; the BIDs left twice as long are open. */
  function settleDeferrals(block: bigint, now: number): Set<bigint> {
    const open = new Set<bigint>();
    for (const [bidId, d] of deferred) {
      if (!view.book.has(bidId)) {
        deferred.delete(bidId);
        continue;
      }
      if (block >= d.block + grace || now >= d.at + graceMs) idle.add(d.askId);
      if (block >= d.firstBlock + 2n * grace || now >= d.firstAt + 2 * graceMs) open.add(bidId);
    }
    return open;
  }

  /** Our free ASKs' tries, by the designation every rig computes alike. */
  function plan(free: OrderState[], open: Set<bigint>, now: number): Map<bigint, bigint[]> {
    const block = view.indexedTo() ?? 0n;
    const freeIds = new Set(free.map((a) => a.id));
    const busy = new Set([...view.ownAsks().keys()].filter((id) => !freeIds.has(id)));
    const own = new Map<bigint, bigint[]>();
    const bids = new Map<bigint, { price: bigint; contenders: bigint[] }>();
    const limit = designationWindow + matchLimit * free.length + parked.size + retries.size();
    for (const ask of free) {
      const candidates = view.book.matchAsk(ask, { limit })
        .filter((bidId) => usable(bidId, ask.id, now));
      if (candidates.length > 0) own.set(ask.id, candidates);
      for (const bidId of candidates) {
        if (bids.has(bidId)) continue;
        const bid = view.book.get(bidId);
        if (bid === undefined) continue;
        const fitting = view.book.matchBid(bid, { limit: contendersLimit + busy.size });
        bids.set(bidId, {
          price: bid.price,
          contenders: fitting.filter((askId) => !busy.has(askId)).slice(0, contendersLimit),
        });
      }
    }
    const decided = assignBids({
      me,
      own,
      bids,
      idle,
      open,
      window: designationWindow,
      limit: matchLimit,
    });
    for (const bidId of deferred.keys()) {
      if (!decided.deferred.has(bidId)) deferred.delete(bidId);
    }
    for (const [bidId, askId] of decided.deferred) {
      const d = deferred.get(bidId);
      if (d?.askId === askId) continue;
      deferred.set(bidId, {
        askId,
        block,
        at: now,
        firstBlock: d?.firstBlock ?? block,
        firstAt: d?.firstAt ?? now,
      });
    }
    return decided.tries;
  }

  /** Tries the ASK's BIDs in turn until one opens; `targeted` holds the BIDs this run sent for. */
  async function serve(
    ask: OrderState,
    bidIds: readonly bigint[],
    targeted: Set<bigint>,
    signal: AbortSignal,
  ): Promise<void> {
    for (const bidId of bidIds) {
      // never two of our transactions for one BID; a sibling's failure may have parked it
      if (targeted.has(bidId) || !usable(bidId, ask.id, clock.now())) continue;
      targeted.add(bidId);
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
      const fields = {
        askId: ask.id,
        bidId,
        ...chainErrorFields(error as ChainError),
        // a revert on chain (mined) rather than at estimation
        ...(error instanceof ChainRevertError && error.txHash !== undefined
          ? { txHash: error.txHash }
          : {}),
      };
      switch (kind) {
        case "ask-gone":
          taken.add(ask.id);
          logger.info(
            "our ASK was taken or cancelled before the deal: waiting for the indexer",
            fields,
          );
          return "ask-gone";
        case "bid-gone":
          // another supplier was first: normal in a busy market, never an error
          parked.set(bidId, clock.now() + parkMs);
          racesLost++;
          report.racesLost++;
          logger.info("lost the race for a BID: an order was taken first", fields);
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
      const free = [...view.ownAsks().values()]
        .filter((o) => current.has(o.id) && !taken.has(o.id));
      // pairs of asks or bids that left the book wait no more
      retries.clearWhere((key) => {
        const [a, b] = key.split(":").map(BigInt) as [bigint, bigint];
        return !view.ownAsks().has(a) || !view.book.has(b);
      });
      for (const bidId of parked.keys()) if (!view.book.has(bidId)) parked.delete(bidId);
      const now = clock.now();
      // with no free ASK nothing is left to anyone: a grace starts when an ASK is free again
      if (free.length === 0) deferred.clear();
      const open = settleDeferrals(view.indexedTo() ?? 0n, now);
      const tries = free.length === 0 ? new Map<bigint, bigint[]>() : plan(free, open, now);
      const byId = new Map(free.map((a) => [a.id, a]));
      const targeted = new Set<bigint>();
      // every free ASK at once: the sends queue for consecutive nonces, the receipts overlap
      const served = await Promise.allSettled(
        [...tries].map(([askId, bidIds]) => serve(byId.get(askId)!, bidIds, targeted, signal)),
      );
      const failed = served.find((s) => s.status === "rejected");
      if (failed !== undefined) throw failed.reason;
      const wakes = [retries.nextTryAt(), ...parked.values()];
      // a grace that ends in wall time (no block came); one that ended was served by this run
      const after = clock.now();
      for (const d of deferred.values()) {
        wakes.push(...[d.at + graceMs, d.firstAt + 2 * graceMs].filter((t) => t > after));
      }
      const due = wakes.filter((t) => t !== undefined);
      return { wakeAt: due.length === 0 ? undefined : Math.min(...due) };
    },
    observe(delta) {
      if (delta.reloaded || delta.events.has("views")) parked.clear();
      for (const id of delta.orders) {
        parked.delete(id);
        taken.delete(id);
        idle.delete(id);
      }
      if (delta.reloaded) {
        taken.clear();
        idle.clear();
      }
      const block = view.indexedTo();
      const before = seenBlock;
      seenBlock = block;
      if (block === undefined || before === undefined || block <= before) return false;
      // a grace ends at a block in (before, block]
      const crossed = (end: bigint) => end > before && end <= block;
      for (const d of deferred.values()) {
        if (crossed(d.block + grace) || crossed(d.firstBlock + 2n * grace)) return true;
      }
      return false;
    },
    racesLost: () => racesLost,
  };
}
