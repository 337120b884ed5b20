import assert from "node:assert/strict";
import { addr, ask, bid } from "./_test_helpers.ts";
import { createOrderBook } from "./create_order_book.ts";
import { InvalidOrderError } from "./errors.ts";
import type { MarketOrder } from "./types.ts";
import { generateMarket } from "./_generate_market.ts";

function bids(n: number, f: (i: number) => Partial<MarketOrder>): MarketOrder[] {
  return Array.from({ length: n }, (_, i) => bid({ id: BigInt(i + 1), ...f(i) }));
}

Deno.test("createOrderBook() orders matches by highest price, then oldest id", () => {
  const book = createOrderBook();
  const prices = [5n, 9n, 7n, 9n, 1n, 7n, (1n << 53n) + 1n, 1n << 53n];
  for (const o of bids(prices.length, (i) => ({ price: prices[i] as bigint }))) book.add(o);
  const expected = [7n, 8n, 2n, 4n, 3n, 6n, 1n];
  assert.deepEqual(book.matchAsk(ask({ id: 100n, price: 2n })), expected);
  book.compact();
  assert.deepEqual(book.matchAsk(ask({ id: 100n, price: 2n })), expected);
  assert.deepEqual(book.matchAsk(ask({ id: 100n, price: 2n }), { limit: 3 }), [7n, 8n, 2n]);
  assert.deepEqual(book.matchAsk(ask({ id: 100n, price: 9n })), [7n, 8n, 2n, 4n]);
});

Deno.test("createOrderBook() merges sorted and recent orders into one best-first list", () => {
  const book = createOrderBook();
  for (const o of bids(3000, (i) => ({ price: BigInt(i % 100) }))) book.add(o);
  book.compact();
  book.add(bid({ id: 5000n, price: 99n }));
  book.add(bid({ id: 5001n, price: 1000n }));
  book.add(bid({ id: 10n, price: 50n })); // update: moves from price 9 to 50
  const top = book.matchAsk(ask({ id: 9000n, price: 99n }), { limit: 4 });
  assert.deepEqual(top, [5001n, 100n, 200n, 300n]);
  const at50 = book.matchAsk(ask({ id: 9000n, price: 50n }));
  assert.equal(at50.length, 30 * 50 + 2 + 1);
  assert.ok(at50.includes(10n));
  assert.equal(book.matchAsk(ask({ id: 9000n, price: 9n })).filter((id) => id === 10n).length, 1);
});

Deno.test("OrderBook.remove() and add() of an inactive order take it out of every answer", () => {
  const book = createOrderBook();
  for (const o of bids(2000, () => ({ price: 10n }))) book.add(o);
  book.compact();
  assert.equal(book.remove(5n), true);
  assert.equal(book.remove(5n), false);
  book.add(bid({ id: 6n, active: false }));
  assert.equal(book.has(5n), false);
  assert.equal(book.has(6n), false);
  const ids = book.matchAsk(ask({ id: 9999n, price: 10n }));
  assert.equal(ids.length, 1998);
  assert.ok(!ids.includes(5n) && !ids.includes(6n));
  assert.equal(book.stats().bids, 1998);
  // Churn: remove and re-add many times, forcing compactions.
  for (let k = 0; k < 5; k++) {
    for (let i = 1; i <= 2000; i += 2) book.remove(BigInt(i));
    for (let i = 1; i <= 2000; i += 2) book.add(bid({ id: BigInt(i), price: BigInt(k) }));
  }
  // Odd ids are back (id 5 too); id 6 stays removed.
  assert.equal(book.stats().bids, 1999);
  const all = book.matchAsk(ask({ id: 9999n, price: 0n }));
  assert.equal(all.length, 1999);
  assert.deepEqual(all.slice(0, 3), [2n, 4n, 8n]); // price 10 first, then price 4 (odd ids)
  assert.deepEqual(all.slice(998, 1001), [2000n, 1n, 3n]);
});

Deno.test("OrderBook.add() replaces an order with the same id, even across types", () => {
  const book = createOrderBook();
  book.add(bid({ id: 1n, price: 10n }));
  book.add(bid({ id: 1n, price: 10n, benchmarks: [5n] }));
  assert.deepEqual(book.matchAsk(ask({ id: 3n, benchmarks: [4n], price: 1n })), []);
  assert.deepEqual(book.matchAsk(ask({ id: 3n, benchmarks: [5n], price: 1n })), [1n]);
  book.add(ask({ id: 1n, price: 1n }));
  assert.deepEqual(book.matchAsk(ask({ id: 3n, price: 1n })), []);
  assert.deepEqual(book.matchBid(bid({ id: 4n, price: 1n })), [1n]);
  assert.equal(book.get(1n)?.type, "ASK");
  assert.deepEqual(book.stats().bids, 0);
});

Deno.test("OrderBook.get() rebuilds the order exactly from the columns", () => {
  const book = createOrderBook();
  const order = ask({
    id: 77n,
    author: addr(0xabc),
    counterparty: addr(5),
    blacklist: addr(6),
    duration: 315_360_000n,
    price: 1n << 80n,
    netflags: [false, true],
    identityLevel: 3,
    tag: `0x${"ab".repeat(32)}`,
    benchmarks: [
      0n,
      1n << 32n,
      (1n << 53n) + 1n,
      (1n << 63n) - 1n,
      0n,
      0n,
      0n,
      0n,
      0n,
      0n,
      0n,
      0n,
      0n,
      0n,
      9n,
    ],
  });
  book.add(order);
  assert.deepEqual(book.get(77n), order);
  book.compact();
  assert.deepEqual(book.get(77n), order);
  assert.equal(book.get(78n), undefined);
});

Deno.test("OrderBook view changes are seen by the next query", () => {
  const book = createOrderBook();
  const worker = addr(1), master = addr(9);
  for (const o of bids(1500, (i) => ({ author: i % 2 === 0 ? worker : addr(3), price: 5n }))) {
    book.add(o);
  }
  book.compact();
  const forMaster = ask({ id: 9000n, price: 5n, counterparty: master });
  assert.equal(book.matchAsk(forMaster).length, 0);
  book.setMaster(worker, master);
  assert.equal(book.matchAsk(forMaster).length, 750);
  book.setMaster(worker, worker); // unbind
  assert.equal(book.matchAsk(forMaster).length, 0);

  const picky = ask({ id: 9001n, price: 5n, identityLevel: 2 });
  assert.equal(book.matchAsk(picky).length, 0);
  book.setLevel(addr(3), 2);
  assert.equal(book.matchAsk(picky).length, 750);

  const plain = ask({ id: 9002n, price: 5n });
  assert.equal(book.matchAsk(plain).length, 1500);
  book.setListed(plain.author, worker, true);
  assert.equal(book.matchAsk(plain).length, 750);
  book.setListed(plain.author, worker, false);
  assert.equal(book.matchAsk(plain).length, 1500);

  book.setViews({ blacklists: [{ owner: addr(3), listed: plain.author }] });
  assert.equal(book.matchAsk(plain).length, 750);
  assert.equal(book.matchAsk(picky).length, 0, "setViews() replaces the levels too");
  assert.equal(book.views().listed(addr(3), plain.author), true);
});

Deno.test("OrderBook.matchBid() finds the ASKs a new BID fits, best first", () => {
  const book = createOrderBook();
  for (let i = 1; i <= 1200; i++) {
    book.add(ask({ id: BigInt(i), price: BigInt(i % 10), benchmarks: [BigInt(i % 3)] }));
  }
  book.compact();
  book.add(ask({ id: 5000n, price: 4n, benchmarks: [2n] }));
  const ids = book.matchBid(bid({ id: 9999n, price: 4n, benchmarks: [2n] }));
  assert.equal(ids[0], 14n); // price 4, benchmark 2 (14 % 3 = 2), lowest id
  assert.equal(ids.length, 200 + 1); // prices 0-4 with benchmark 2, and id 5000
  assert.ok(ids.every((id) => id === 5000n || (Number(id) % 10 <= 4 && Number(id) % 3 === 2)));
  assert.ok(ids.indexOf(5000n) < ids.indexOf(23n), "price 4 before price 3");
  assert.deepEqual(book.matchBid(bid({ id: 9999n, price: 4n, benchmarks: [2n] }), { limit: 2 }), [
    14n,
    44n,
  ]);
  // A BID with more benchmarks than any ASK: the extra entries must be 0 on the ASK side.
  assert.deepEqual(
    book.matchBid(bid({ id: 9999n, price: 9n, benchmarks: Array(15).fill(1n) })),
    [],
  );
});

Deno.test("OrderBook.add() rejects out-of-bounds orders instead of truncating them", () => {
  const book = createOrderBook();
  const cases: [Partial<MarketOrder>, string][] = [
    [{ benchmarks: Array(16).fill(0n) }, "benchmarks"],
    [{ benchmarks: [1n << 63n] }, "benchmarks[0]"],
    [{ benchmarks: [-1n] }, "benchmarks[0]"],
    [{ price: -1n }, "price"],
    [{ price: (1n << 80n) + 1n }, "price"],
    [{ duration: 315_360_001n }, "duration"],
    [{ netflags: [true, true, true, true] }, "netflags"],
    [{ author: "0x12" as MarketOrder["author"] }, "author"],
    [
      { blacklist: "0xzz00000000000000000000000000000000000000" as MarketOrder["author"] },
      "blacklist",
    ],
    [{ id: 1n << 53n }, "id"],
  ];
  for (const [over, field] of cases) {
    assert.throws(() => book.add(bid(over)), (e: unknown) => {
      assert.ok(e instanceof InvalidOrderError, String(e));
      assert.equal(e.field, field);
      return true;
    });
  }
  assert.equal(book.stats().bids, 0);
  assert.throws(() => book.matchAsk(bid()), TypeError);
  assert.throws(() => book.setLevel(addr(1), 4 as 3), InvalidOrderError);
});

Deno.test("OrderBook.explain() names the failing rule of two standing orders", () => {
  const book = createOrderBook();
  book.add(bid({ id: 1n, price: 5n }));
  book.add(ask({ id: 2n, price: 6n }));
  const why = book.explain({ bid: 1n, ask: 2n });
  assert.equal(!why.matched && why.contractError, "PriceTooHigh");
  assert.throws(() => book.explain({ bid: 1n, ask: 3n }), InvalidOrderError);
});

Deno.test("OrderBook.addAll() gives the book that add() on each order in turn gives", () => {
  for (const profile of ["edge", "realistic"] as const) {
    const m = generateMarket({ seed: 11, bids: 3000, asks: 2000, profile });
    const queries = generateMarket({
      seed: 12,
      bids: 40,
      asks: 40,
      profile,
      addressPool: m.addresses,
      firstId: 1_000_000,
    });
    // later states of some ids: a move to the other price, a cancellation, a re-placement
    const orders: MarketOrder[] = [...m.bids, ...m.asks];
    for (let i = 0; i < 600; i += 3) {
      const o = orders[i] as MarketOrder;
      const price = o.price > 7n ? o.price - 7n : o.price + 7n;
      orders.push(i % 2 === 0 ? { ...o, price } : { ...o, active: false });
    }
    orders.push({ ...(orders[3] as MarketOrder) }); // cancelled above, standing again
    // and ids in increasing order, each once, some inactive (what a store gives)
    const sorted = [...m.bids, ...m.asks]
      .map((o, i) => i % 7 === 0 ? { ...o, active: false } : o)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const once = createOrderBook({ views: m.views });
    for (const o of sorted) once.add(o);
    const onceBulk = createOrderBook({ views: m.views });
    onceBulk.addAll(sorted);
    assert.deepEqual({ ...onceBulk.stats(), columnBytes: 0 }, { ...once.stats(), columnBytes: 0 });
    for (const q of queries.asks) assert.deepEqual(onceBulk.matchAsk(q), once.matchAsk(q));
    for (const q of queries.bids) assert.deepEqual(onceBulk.matchBid(q), once.matchBid(q));
    const one = createOrderBook({ views: m.views });
    for (const o of orders) one.add(o);
    const bulk = createOrderBook({ views: m.views });
    bulk.addAll(orders);
    assert.deepEqual(
      { ...bulk.stats(), columnBytes: 0 },
      { ...one.stats(), columnBytes: 0 },
      profile,
    );
    for (const o of orders) assert.deepEqual(bulk.get(o.id), one.get(o.id), `order ${o.id}`);
    for (const q of queries.asks) assert.deepEqual(bulk.matchAsk(q), one.matchAsk(q));
    for (const q of queries.bids) assert.deepEqual(bulk.matchBid(q), one.matchBid(q));
    // and it stays a normal book: updates after the load
    bulk.add({ ...(m.bids[0] as MarketOrder), price: 1n });
    one.add({ ...(m.bids[0] as MarketOrder), price: 1n });
    for (const q of queries.asks) assert.deepEqual(bulk.matchAsk(q), one.matchAsk(q));
  }
});

Deno.test("OrderBook.addAll() refuses a bad order and leaves the book empty", () => {
  const good = bids(2000, (i) => ({ price: BigInt(i) }));
  const bad = [...good, bid({ id: 9999n, benchmarks: [1n << 63n] })];
  const book = createOrderBook();
  assert.throws(() => book.addAll(bad), InvalidOrderError);
  assert.equal(book.stats().bids, 0);
  assert.deepEqual(book.matchAsk(ask({ id: 1n, price: 0n })), []);
});
