import type { DealState } from "../../chain/mod.ts";

/** One billing action. */
export type BillingAction =
  /**
   * A forward deal reached its end, or a spot deal whose task the rig lost for
   * good: close it (the contract settles to the end time, or to now).
   */
  | { kind: "close"; dealId: bigint; reason: "end" | "lost" }
  /** The deal's last bill is `intervalSeconds` of chain time old: bill it. */
  | { kind: "bill"; dealId: bigint };

/** What {@linkcode planBilling} decides from. */
export type PlanBillingInput = {
  /** Our open deals. */
  deals: Iterable<DealState>;
  /** Chain time now (the head block's timestamp), unix seconds. */
  now: bigint;
  /** Chain time of our own last bill per deal (the indexer may not have seen it yet). */
  billedAt: ReadonlyMap<bigint, bigint>;
  intervalSeconds: bigint;
  /** Deals whose task the rig lost for good (restarted too often): never billed again. */
  lost?: ReadonlySet<bigint> | undefined;
};

/** What {@linkcode planBilling} decides. */
export type PlanBillingResult = {
  actions: BillingAction[];
  /** Chain time at which the next action falls due (the earliest), if any deal waits. */
  nextDue: bigint | undefined;
};

/**
 * Decides which of our open deals to bill or close now, and when the next one
 * falls due. Pure. A forward deal (duration > 0) at or past its end is
 * closed; any other deal is billed once `intervalSeconds` of chain time
 * passed since its last bill (the later of the indexed one and ours). A
 * deal in `lost` is never billed: a spot one is closed at once, a forward
 * one (which the contract lets the supplier close only at its end) waits
 * for its end.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planBilling } from "./plan_billing.ts";
 * const deal = { id: 1n, duration: 0n, endTime: 0n, lastBillTime: 1000n } as never;
 * const r = planBilling({ deals: [deal], now: 1300n, billedAt: new Map(), intervalSeconds: 600n });
 * assert.deepEqual(r, { actions: [], nextDue: 1600n });
 * ```
 */
export function planBilling(input: PlanBillingInput): PlanBillingResult {
  const { deals, now, billedAt, intervalSeconds, lost } = input;
  const actions: BillingAction[] = [];
  let nextDue: bigint | undefined;
  const due = (t: bigint) => {
    if (nextDue === undefined || t < nextDue) nextDue = t;
  };
  for (const deal of deals) {
    const forward = deal.duration > 0n;
    if (forward && now >= deal.endTime) {
      actions.push({ kind: "close", dealId: deal.id, reason: "end" });
      continue;
    }
    if (lost?.has(deal.id) === true) {
      if (forward) due(deal.endTime);
      else actions.push({ kind: "close", dealId: deal.id, reason: "lost" });
      continue;
    }
    const ours = billedAt.get(deal.id) ?? 0n;
    const last = ours > deal.lastBillTime ? ours : deal.lastBillTime;
    const billAt = last + intervalSeconds;
    if (now >= billAt) {
      actions.push({ kind: "bill", dealId: deal.id });
      due(now + intervalSeconds);
    } else {
      due(billAt);
    }
    if (forward) due(deal.endTime);
  }
  return { actions, nextDue };
}
