import assert from "node:assert/strict";
import { createOrderBook } from "./create_order_book.ts";
import { InvalidOrderError } from "./errors.ts";
import { generateMarket } from "./_generate_market.ts";
import { sortRowsByPrice } from "./_load_columns.ts";
import { OrderColumnsBuilder, orderColumnsOf, orderOfRow } from "./order_columns.ts";
import type { Address, MarketOrder } from "./types.ts";
import { addr, ask, bid } from "./_test_helpers.ts";

const MAX_BENCH = (1n << 63n) - 1n;
const MAX_PRICE = 1n << 80n;

/** A seeded market plus orders at the bounds, with many distinct authors. */
function market(seed: number, profile: "edge" | "realistic") {
  const m = generateMarket({ seed, bids: 2500, asks: 800, profile, addresses: 600 });
  const extra: MarketOrder[] = [];
  let id = 100_000;
  for (let i = 0; i < 300; i++) {
    const author = addr(0x5000 + i); // a distinct author each
    // an odd seed reaches 2^80 (the comparison sort), an even one stays below 2^53 (the radix sort)
    const prices = seed % 2 === 1
      ? [MAX_PRICE, MAX_PRICE - 1n, 1n << 53n, (1n << 53n) + 1n, 0n]
      : [(1n << 53n) - 1n, (1n << 53n) - 2n, 1n << 32n, 5n, 0n];
    const price = prices[i % 5]!;
    const benchmarks = [MAX_BENCH, 0n, (1n << 32n) + 7n, MAX_BENCH - 1n].slice(0, 1 + (i % 4));
    const make = i % 2 === 0 ? bid : ask;
    extra.push(make({ id: BigInt(id++), author, price, benchmarks, duration: BigInt(i % 3) }));
  }
  // ids strictly increasing and one state each, as the store's ORDER BY id gives them
  const standing = [...m.bids, ...m.asks, ...extra].filter((o) => o.active);
  return { m, standing, queries: [...m.asks.slice(0, 15), ...extra.slice(0, 20)] };
}

for (const profile of ["edge", "realistic"] as const) {
  Deno.test(`loadColumns() answers like add() on seeded ${profile} markets with edge values`, () => {
    let compared = 0, matched = 0;
    for (const seed of [11, 12]) {
      const { m, standing, queries } = market(seed, profile);
      const byAdd = createOrderBook({ views: m.views });
      for (const o of standing) byAdd.add(o);
      const byColumns = createOrderBook({ views: m.views });
      byColumns.loadColumns(orderColumnsOf(standing));
      assert.deepEqual(byColumns.stats().bids, byAdd.stats().bids);
      assert.deepEqual(byColumns.stats().asks, byAdd.stats().asks);
      for (const q of [...queries, ...m.bids.slice(0, 15)]) {
        const a = q.type === "ASK" ? byAdd.matchAsk(q) : byAdd.matchBid(q);
        const c = q.type === "ASK" ? byColumns.matchAsk(q) : byColumns.matchBid(q);
        assert.deepEqual(c, a, `${q.type} ${q.id}, seed ${seed}`);
        const lim = q.type === "ASK" ? byColumns.matchAsk(q, { limit: 3 }) : [];
        if (q.type === "ASK") assert.deepEqual(lim, a.slice(0, 3));
        compared++;
        matched += a.length;
      }
      for (const o of standing.slice(-300)) assert.deepEqual(byColumns.get(o.id), byAdd.get(o.id));
      // the loaded book keeps working as a live book
      const late = standing[standing.length - 1]!;
      byColumns.remove(late.id);
      byAdd.remove(late.id);
      const q = queries[0]!;
      assert.deepEqual(byColumns.matchAsk(q), byAdd.matchAsk(q));
    }
    assert.ok(compared >= 60 && matched > 20, `only ${matched} matches over ${compared} queries`);
  });
}

Deno.test("OrderColumnsBuilder reads decimal text exactly at and beyond 2^53", () => {
  const b = new OrderColumnsBuilder(1, 2);
  const texts = ["0", "9007199254740991", "9007199254740993", "1208925819614629174706176"];
  for (const [k, text] of texts.entries()) {
    const r = b.addRow(k + 1, true, b.address(addr(1)));
    b.setPriceText(r, text);
    b.setBenchmarkText(r, 0, k === 3 ? String(MAX_BENCH) : text);
    b.setBenchmarkText(r, 2, "4294967297"); // widens the builder
  }
  const c = b.build();
  assert.equal(c.benchmarkWidth, 3);
  for (const [k, text] of texts.entries()) {
    const o = orderOfRow(c, k);
    assert.equal(o.price, BigInt(text));
    assert.deepEqual(o.benchmarks, [k === 3 ? MAX_BENCH : BigInt(text), 0n, 4294967297n]);
  }
  assert.throws(() => b.setPriceText(0, "12a"), /price must be a decimal integer: "12a"/);
});

Deno.test("loadColumns() refuses a bad row by field and adds nothing", () => {
  const cases: [Partial<MarketOrder>, string][] = [
    [{ price: MAX_PRICE + 1n }, "price"],
    [{ benchmarks: [1n << 63n] }, "benchmarks[0]"],
    [{ duration: 315_360_001n }, "duration"],
    [{ author: "0x12" as Address }, "author"],
    [{ netflags: [true, true, true, true] }, "netflags"],
  ];
  for (const [over, field] of cases) {
    const book = createOrderBook();
    const good = bid({ id: 1n });
    const bad = bid({ id: 2n, ...over });
    const error = assert.throws(
      () => book.loadColumns(orderColumnsOf([good, bad])),
      (e: unknown) => e instanceof InvalidOrderError && e.field === field,
      field,
    );
    void error;
    assert.equal(book.stats().bids, 0, field);
  }
});

Deno.test("loadColumns() on a non-empty book or unsorted ids acts like add() per order", () => {
  const book = createOrderBook();
  book.add(bid({ id: 5n, price: 10n }));
  book.loadColumns(orderColumnsOf([bid({ id: 9n, price: 30n }), bid({ id: 5n, price: 20n })]));
  assert.deepEqual(book.matchAsk(ask({ id: 50n, price: 1n })), [9n, 5n]);
  assert.equal(book.get(5n)?.price, 20n);
});

Deno.test("sortRowsByPrice() orders like the comparison sort: price descending, row ascending", () => {
  let seed = 7;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const b = new OrderColumnsBuilder(5000, 0);
  for (let i = 0; i < 5000; i++) {
    const r = b.addRow(i, true, 0);
    const spread = [2 ** 53 - 1, 2 ** 20, 2 ** 40, 30][i % 4]!;
    b.setPrice(r, BigInt(Math.floor(rnd() * spread)));
  }
  const c = b.build();
  const rows = Int32Array.from({ length: c.count }, (_, i) => i);
  const price = (r: number) => c.priceHigh[r]! * 2 ** 32 + c.priceLow[r]!;
  const expected = [...rows].sort((x, y) => price(y) - price(x) || x - y);
  assert.deepEqual([...sortRowsByPrice(c, rows)], expected);
});
