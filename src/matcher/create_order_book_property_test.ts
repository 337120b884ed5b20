import assert from "node:assert/strict";
import { createMarketViews } from "./create_market_views.ts";
import { createOrderBook } from "./create_order_book.ts";
import { generateMarket } from "./_generate_market.ts";
import { referenceMatch } from "./reference_match.ts";

/**
 * The columnar book and the straightforward matcher agree exactly (same ids,
 * same order) on seeded random markets: `edge` values (0, 2^32, 2^53 + 1,
 * 2^63 - 1, equal prices, dense views) and the realistic spread.
 */
for (const profile of ["edge", "realistic"] as const) {
  Deno.test(`createOrderBook() agrees with referenceMatch() on random ${profile} markets`, () => {
    let pairs = 0, matches = 0;
    for (const seed of [1, 2, 3]) {
      const m = generateMarket({
        seed,
        bids: 1500,
        asks: 1500,
        profile,
        addresses: profile === "edge" ? 40 : 300,
      });
      const views = createMarketViews(m.views);
      const book = createOrderBook({ views: m.views });
      // Half before a compaction, half after: both the sorted and the recent rows are used.
      const all = [...m.bids, ...m.asks];
      for (const o of all.slice(0, all.length / 2)) book.add(o);
      book.compact();
      for (const o of all.slice(all.length / 2)) book.add(o);
      const standingBids = m.bids.filter((o) => o.active);
      const standingAsks = m.asks.filter((o) => o.active);
      for (const ask of m.asks.slice(0, 12)) {
        const expected = referenceMatch(standingBids, { order: ask, views });
        assert.deepEqual(book.matchAsk(ask), expected, `matchAsk(${ask.id}), seed ${seed}`);
        assert.deepEqual(
          book.matchAsk(ask, { limit: 10 }),
          expected.slice(0, 10),
          `matchAsk(${ask.id}, limit 10)`,
        );
        pairs += standingBids.length;
        matches += expected.length;
      }
      for (const bid of m.bids.slice(0, 12)) {
        const expected = referenceMatch(standingAsks, { order: bid, views });
        assert.deepEqual(book.matchBid(bid), expected, `matchBid(${bid.id}), seed ${seed}`);
        pairs += standingAsks.length;
        matches += expected.length;
      }
      // A view change, then the same questions again.
      const first = m.views.blacklists[0];
      if (first !== undefined) {
        book.setListed(first.owner, first.listed, false);
        const changed = createMarketViews({
          ...m.views,
          blacklists: m.views.blacklists.slice(1),
        });
        for (const ask of m.asks.slice(12, 16)) {
          const expected = referenceMatch(standingBids, { order: ask, views: changed });
          assert.deepEqual(book.matchAsk(ask), expected, `after a view change, ${ask.id}`);
        }
      }
    }
    assert.ok(pairs >= 10_000, `only ${pairs} pairs`);
    assert.ok(matches > 20, `only ${matches} matches: the test would not see disagreements`);
  });
}

Deno.test("generateMarket() edge pairs match about half the time and fail every rule", async () => {
  const { explainMatch } = await import("./explain_match.ts");
  const m = generateMarket({ seed: 11, bids: 2000, asks: 2000, profile: "edge" });
  const views = createMarketViews(m.views);
  const seen = new Map<string, number>();
  for (let i = 0; i < 2000; i++) {
    const why = explainMatch({ bid: m.bids[i]!, ask: m.asks[i]! }, views);
    const key = why.matched ? "matched" : why.name;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  const matched = seen.get("matched") ?? 0;
  assert.ok(matched > 600 && matched < 1400, `${matched} of 2000 matched`);
  for (
    const rule of [
      "active-and-types",
      "counterparty",
      "blacklists",
      "price-and-duration",
      "identity",
      "netflags",
      "benchmarks",
    ]
  ) {
    assert.ok((seen.get(rule) ?? 0) >= 10, `rule ${rule} failed only ${seen.get(rule) ?? 0} times`);
  }
  const again = generateMarket({ seed: 11, bids: 2000, asks: 2000, profile: "edge" });
  assert.deepEqual(again.asks[1999], m.asks[1999], "same seed, same market");
});
