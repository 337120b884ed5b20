/**
 * Pure order matching for the supplier agent: data in, matches out; no I/O,
 * no clock, no chain. The market rules are a table of named checks
 * ({@linkcode MARKET_RULES}) in the Market contract's order;
 * {@linkcode explainMatch} names the first failing rule of a pair and
 * {@linkcode referenceMatch} is the straightforward matcher over plain
 * orders. {@linkcode createOrderBook} holds a million open orders in
 * typed-array columns and answers `matchAsk` / `matchBid` in about a
 * millisecond, in exact agreement with the reference.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createOrderBook, parseOrder } from "./mod.ts";
 * const author = "0x00000000000000000000000000000000000000a1";
 * const book = createOrderBook();
 * book.add(parseOrder({ id: 1, type: "BID", author, duration: 3600, price: 30 }));
 * const ask = parseOrder({ id: 2, type: "ASK", author, duration: 7200, price: 25 });
 * assert.equal(book.matchAsk(ask, { limit: 10 }).join(), "1");
 * ```
 *
 * @module
 */
export {
  createOrderBook,
  type CreateOrderBookOptions,
  type MatchOptions,
  type OrderBook,
  type OrderBookStats,
} from "./create_order_book.ts";
export { createMarketViews } from "./create_market_views.ts";
export { InvalidOrderError, MarketFileError, MatcherError } from "./errors.ts";
export { explainMatch, type MatchExplanation, type MatchPair } from "./explain_match.ts";
export { BENCHMARK_LIMIT, DEFAULT_ORDER_LIMITS, type OrderLimits, PRICE_LIMIT } from "./limits.ts";
export {
  type MarketFile,
  parseMarketFile,
  type ParseMarketFileOptions,
} from "./parse_market_file.ts";
export { type OrderColumns, OrderColumnsBuilder, orderColumnsOf } from "./order_columns.ts";
export { parseOrder, type ParseOrderErrorType, type ParseOrderOptions } from "./parse_order.ts";
export { referenceMatch, type ReferenceMatchOptions } from "./reference_match.ts";
export { MARKET_RULES, type MarketRule, type MarketRuleName, type RuleViolation } from "./rules.ts";
export {
  type Address,
  type Bytes32,
  type IdentityLevel,
  type MarketOrder,
  type MarketViewData,
  type MarketViews,
  NETFLAG_COUNT,
  type OrderType,
  ZERO_ADDRESS,
} from "./types.ts";
