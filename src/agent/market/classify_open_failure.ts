import { ChainError, ChainRevertError } from "../../chain/mod.ts";

/**
 * What a failed `openDeal` means for the next try:
 * - `ask-gone`: our ASK is no longer active; stop trying it until it changes;
 * - `bid-gone`: another supplier took the BID first (a lost race); skip it;
 * - `bid-blocked`: the BID cannot be served until its own state changes
 *   (its consumer lacks allowance or balance, a blacklist or identity rule
 *   stands between us); skip it until an event changes it;
 * - `retry`: anything else a chain call can fail with (the node, a timeout,
 *   a rule the matcher and the contract disagree on): back off and retry
 *   the pair.
 */
export type OpenFailureKind = "ask-gone" | "bid-gone" | "bid-blocked" | "retry";

/** Contract errors that only a change of the BID, its author or a list can clear. */
const BID_BLOCKED = new Set([
  "ERC20InsufficientAllowance",
  "ERC20InsufficientBalance",
  "Blacklisted",
  "IdentityTooLow",
  "CounterpartyMismatch",
]);

/**
 * Classifies a failed `openDeal(askId, bidId)`. Pure. Returns undefined for
 * an error that is not a chain error: a bug, which the caller must not
 * swallow.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChainRevertError } from "../../chain/mod.ts";
 * import { classifyOpenFailure } from "./classify_open_failure.ts";
 * const taken = new ChainRevertError({
 *   functionName: "openDeal",
 *   errorName: "OrderNotActive",
 *   errorArgs: [7n],
 * });
 * assert.equal(classifyOpenFailure(taken, { askId: 3n, bidId: 7n }), "bid-gone");
 * assert.equal(classifyOpenFailure(new TypeError("bug"), { askId: 3n, bidId: 7n }), undefined);
 * ```
 */
export function classifyOpenFailure(
  error: unknown,
  pair: { askId: bigint; bidId: bigint },
): OpenFailureKind | undefined {
  if (!(error instanceof ChainError)) return undefined;
  if (!(error instanceof ChainRevertError) || error.errorName === undefined) return "retry";
  if (error.errorName === "OrderNotActive") {
    return error.errorArgs[0] === pair.askId ? "ask-gone" : "bid-gone";
  }
  return BID_BLOCKED.has(error.errorName) ? "bid-blocked" : "retry";
}

/** Log fields of a chain error: its message and the decoded contract error, if any. */
export function chainErrorFields(error: ChainError): Record<string, unknown> {
  return error instanceof ChainRevertError
    ? { error: error.message, contractError: error.errorName }
    : { error: error.message };
}
