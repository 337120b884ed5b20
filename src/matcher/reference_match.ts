import { MARKET_RULES } from "./rules.ts";
import type { MarketOrder, MarketViews } from "./types.ts";

/** Options of {@linkcode referenceMatch}. */
export type ReferenceMatchOptions = {
  /** The new order: an ASK looks for BIDs, a BID for ASKs. */
  order: MarketOrder;
  /** Masters, levels and blacklists. */
  views: MarketViews;
  /** Most matches to return (the best ones); all when absent. */
  limit?: number | undefined;
};

/**
 * The straightforward matcher: checks every resting order of the other type
 * against `order` with the rule table over plain objects and bigints, and
 * returns the matching ids, best first (highest price, then oldest = lowest
 * id). It is the reference that the columnar order book is tested against,
 * and the baseline of the matcher benchmark.
 *
 * @param orders The resting orders (both types; inactive ones never match).
 * @param options The new order, the views and an optional limit.
 * @returns Ids of matching orders, best first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createMarketViews, parseOrder, referenceMatch } from "./mod.ts";
 * const author = "0x00000000000000000000000000000000000000a1";
 * const bids = [10, 30, 20].map((price, i) =>
 *   parseOrder({ id: i + 1, type: "BID", author, duration: 0, price })
 * );
 * const ask = parseOrder({ id: 9, type: "ASK", author, duration: 0, price: 15 });
 * const ids = referenceMatch(bids, { order: ask, views: createMarketViews({}) });
 * assert.equal(ids.join(), "2,3");
 * ```
 */
export function referenceMatch(
  orders: readonly MarketOrder[],
  options: ReferenceMatchOptions,
): bigint[] {
  const { order, views, limit } = options;
  const hits: MarketOrder[] = [];
  for (const other of orders) {
    if (other.type === order.type) continue;
    const bid = order.type === "BID" ? order : other;
    const ask = order.type === "ASK" ? order : other;
    if (MARKET_RULES.every((rule) => rule.holds(bid, ask, views))) hits.push(other);
  }
  hits.sort((x, y) =>
    x.price === y.price ? (x.id < y.id ? -1 : x.id > y.id ? 1 : 0) : (x.price > y.price ? -1 : 1)
  );
  const ids = hits.map((o) => o.id);
  return limit === undefined ? ids : ids.slice(0, limit);
}
