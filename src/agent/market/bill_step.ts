import type { MarketStepComponents } from "./step_components.ts";
import {
  bill,
  ChainError,
  ChainRevertError,
  closeDeal,
  formatTokenAmount,
  getHeadBlock,
} from "../../chain/mod.ts";
import { killPoint, type StepOutcome } from "../base/mod.ts";
import { chainErrorFields } from "./classify_open_failure.ts";
import { type BillingAction, planBilling } from "./plan_billing.ts";

/** Components of {@linkcode createBillStep}. */
export type BillStepComponents = Pick<
  MarketStepComponents,
  "market" | "view" | "logger" | "clock" | "report" | "retries"
>;

/** Options of {@linkcode createBillStep}. */
export type BillStepOptions = {
  /** Bill each open deal when this many seconds of chain time passed since its last bill. @default {600} */
  billIntervalSeconds?: number | undefined;
  /** Deals whose task the rig lost for good: never billed, closed where the rig may. */
  lostDeals?: (() => ReadonlySet<bigint>) | undefined;
};

/**
 * The "bill and close" step: {@linkcode planBilling} decides from our open
 * deals in the market view and the head block's time (read through
 * src/chain, only while there are deals); the step bills or
 * closes, records the chain time of its own bills (the indexer may lag), and
 * asks to be woken when the next deal falls due (a new block wakes it too,
 * since chain time moves with blocks). A deal whose bill fails backs off;
 * the first failure is logged at error with the decoded contract error,
 * repeats at debug. A failed head read (the RPC down or hanging) throws to
 * the scheduler, which backs the whole step off: an expected failure.
 *
 * @example
 * ```ts ignore
 * const run = createBillStep(components, { billIntervalSeconds: 600 });
 * await run({ signal });
 * ```
 */
export function createBillStep(
  components: BillStepComponents,
  options: BillStepOptions = {},
): (run: { signal: AbortSignal }) => Promise<StepOutcome> {
  const { market, view, logger, clock, retries } = components;
  const interval = BigInt(options.billIntervalSeconds ?? 600);
  const billedAt = new Map<bigint, bigint>();

  async function carryOut(action: BillingAction, signal: AbortSignal): Promise<void> {
    const report = components.report();
    if (action.kind === "close") {
      await closeDeal(market, { dealId: action.dealId, blacklistOther: false, signal });
      report.closed.push(action.dealId);
      if (action.reason === "lost") {
        logger.warn("closed deal: the rig lost its task too often to go on billing it", {
          dealId: action.dealId,
        });
      } else logger.info("closed deal at its end", { dealId: action.dealId });
      return;
    }
    const { paidAmount, closed, receipt } = await bill(market, { dealId: action.dealId, signal });
    killPoint("billed");
    const block = await getHeadBlock(market.chain, { blockNumber: receipt.blockNumber, signal });
    billedAt.set(action.dealId, block.timestamp);
    report.billed.push({ dealId: action.dealId, paidAmount });
    if (closed) report.closed.push(action.dealId);
    logger.info("billed deal", {
      dealId: action.dealId,
      paid: formatTokenAmount(paidAmount),
      closed,
    });
  }

  return async ({ signal }) => {
    const deals = view.ownDeals();
    for (const id of billedAt.keys()) if (!deals.has(id)) billedAt.delete(id);
    retries.clearWhere((key) => !deals.has(BigInt(key)));
    if (deals.size === 0) return {};
    // chain time: the head block's timestamp, read only while we have deals to bill
    const head = await getHeadBlock(market.chain, { signal });
    const { actions, nextDue } = planBilling({
      deals: deals.values(),
      now: head.timestamp,
      billedAt,
      intervalSeconds: interval,
      lost: options.lostDeals?.(),
    });
    for (const action of actions) {
      const key = action.dealId.toString();
      if (!retries.ready(key, clock.now())) continue;
      try {
        await carryOut(action, signal);
        retries.clear(key);
      } catch (error) {
        if (signal.aborted || !(error instanceof ChainError)) throw error;
        components.report().failures++;
        const verdict = retries.fail(key, clock.now());
        const gone = error instanceof ChainRevertError && error.errorName === "DealNotActive";
        logger[verdict.first && !gone ? "error" : "debug"](`cannot ${action.kind} deal`, {
          dealId: action.dealId,
          attempts: verdict.attempts,
          retryInMs: verdict.nextTryAt - clock.now(),
          ...chainErrorFields(error),
        });
      }
    }
    // chain seconds until due, as wall time: blocks also wake this step, so an early wake is harmless
    const dueWall = nextDue === undefined
      ? undefined
      : clock.now() + Number(nextDue > head.timestamp ? nextDue - head.timestamp : 0n) * 1000;
    const retry = retries.nextTryAt();
    const wakes = [dueWall, retry].filter((t): t is number => t !== undefined);
    return { wakeAt: wakes.length === 0 ? undefined : Math.min(...wakes) };
  };
}
