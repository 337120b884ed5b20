import { MARKET_RULES, type MarketRuleName, type RuleViolation } from "./rules.ts";
import type { MarketOrder, MarketViews } from "./types.ts";

/** The two orders of a pair. */
export type MatchPair = { readonly bid: MarketOrder; readonly ask: MarketOrder };

/** Why a pair matches or not: the first failing rule (in the contract's order) and its values. */
export type MatchExplanation =
  | { readonly matched: true }
  | {
    readonly matched: false;
    /** 1-based rule number (DESIGN.md). */
    readonly rule: number;
    readonly name: MarketRuleName;
    readonly summary: string;
  } & RuleViolation;

/**
 * Explains whether a BID and an ASK match: the first market rule that fails,
 * in the order the Market contract checks them, with the condition and the
 * values involved. This is the reference implementation of the rules (plain
 * orders, bigint arithmetic); the order book agrees with it.
 *
 * @param pair The BID and the ASK.
 * @param views Masters, levels and blacklists.
 * @returns `{ matched: true }` or the failing rule.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createMarketViews, explainMatch, parseOrder } from "./mod.ts";
 * const author = "0x00000000000000000000000000000000000000a1";
 * const bid = parseOrder({ id: 1, type: "BID", author, duration: 0, price: 10 });
 * const ask = parseOrder({ id: 2, type: "ASK", author, duration: 0, price: 20 });
 * const why = explainMatch({ bid, ask }, createMarketViews({}));
 * assert.ok(!why.matched && why.name === "price-and-duration");
 * ```
 */
export function explainMatch(pair: MatchPair, views: MarketViews): MatchExplanation {
  const { bid, ask } = pair;
  for (const rule of MARKET_RULES) {
    if (rule.holds(bid, ask, views)) continue;
    const violation = rule.explain(bid, ask, views) ??
      { contractError: rule.contractErrors[0] ?? "", condition: rule.summary, values: {} };
    return {
      matched: false,
      rule: rule.number,
      name: rule.name,
      summary: rule.summary,
      ...violation,
    };
  }
  return { matched: true };
}
