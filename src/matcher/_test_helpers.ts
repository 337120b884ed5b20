/**
 * Helpers for the matcher's unit tests: order builders and a check that runs
 * one pair through every implementation (rule table, reference matcher, and
 * the order book in both directions) and asserts they all agree.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createMarketViews } from "./create_market_views.ts";
import { createOrderBook } from "./create_order_book.ts";
import { explainMatch, type MatchExplanation } from "./explain_match.ts";
import { referenceMatch } from "./reference_match.ts";
import type { Address, MarketOrder, MarketViewData } from "./types.ts";
import { ZERO_ADDRESS } from "./types.ts";

/** Address number `n` (n > 0). */
export function addr(n: number): Address {
  return `0x${n.toString(16).padStart(40, "0")}` as Address;
}

const BASE: MarketOrder = {
  id: 0n,
  type: "BID",
  active: true,
  author: addr(1),
  counterparty: ZERO_ADDRESS,
  duration: 3600n,
  price: 1000n,
  netflags: [],
  identityLevel: 0,
  blacklist: ZERO_ADDRESS,
  tag: `0x${"0".repeat(64)}`,
  benchmarks: [],
};

/** A BID (id 1, author 0x..01) with overrides. */
export function bid(over: Partial<MarketOrder> = {}): MarketOrder {
  return { ...BASE, id: 1n, type: "BID", author: addr(1), ...over };
}

/** An ASK (id 2, author 0x..02) with overrides. */
export function ask(over: Partial<MarketOrder> = {}): MarketOrder {
  return { ...BASE, id: 2n, type: "ASK", author: addr(2), ...over };
}

/** What a pair should give: a match, or the failing rule and the contract's error. */
export type Expect = { matched: true } | { rule: number; contractError: string };

/**
 * Asserts the verdict on a pair in every implementation: `explainMatch`,
 * `referenceMatch` (both directions) and the order book (`matchAsk` with the
 * BID resting, `matchBid` with the ASK resting).
 */
export function expectPair(
  pair: { bid: MarketOrder; ask: MarketOrder; views?: MarketViewData },
  expected: Expect,
): MatchExplanation {
  const data = pair.views ?? {};
  const views = createMarketViews(data);
  const why = explainMatch({ bid: pair.bid, ask: pair.ask }, views);
  const matched = "matched" in expected;
  if (matched) {
    assert.deepEqual(why, { matched: true });
  } else {
    assert.equal(why.matched, false, "explainMatch should refuse the pair");
    if (!why.matched) {
      assert.equal(why.rule, expected.rule, `rule (${why.condition})`);
      assert.equal(why.contractError, expected.contractError);
    }
  }
  const refA = referenceMatch([pair.bid], { order: pair.ask, views });
  assert.deepEqual(refA, matched ? [pair.bid.id] : [], "referenceMatch(ask)");
  const refB = referenceMatch([pair.ask], { order: pair.bid, views });
  assert.deepEqual(refB, matched ? [pair.ask.id] : [], "referenceMatch(bid)");
  if (pair.bid.type === "BID" && pair.ask.type === "ASK") {
    const bids = createOrderBook({ views: data });
    const asks = createOrderBook({ views: data });
    bids.add(pair.bid);
    asks.add(pair.ask);
    // First from the unsorted delta, then from the sorted main part.
    for (const part of ["delta", "main"]) {
      if (part === "main") {
        bids.compact();
        asks.compact();
      }
      const expectBid = matched ? [pair.bid.id] : [];
      assert.deepEqual(bids.matchAsk(pair.ask), expectBid, `book.matchAsk (${part})`);
      const expectAsk = matched ? [pair.ask.id] : [];
      assert.deepEqual(asks.matchBid(pair.bid), expectAsk, `book.matchBid (${part})`);
    }
  }
  return why;
}
