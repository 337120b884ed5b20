import assert from "node:assert/strict";
import type { BlockUpdate, DealState, MarketChanges, OrderState } from "../../chain/mod.ts";
import { createChainStore } from "../state/chain_store.ts";
import { createMarketView } from "./market_view.ts";
import { openState } from "../state/state.ts";

const ME = "0x00000000000000000000000000000000000000a1";
const CONSUMER = "0x00000000000000000000000000000000000000b2";
const ZERO = "0x0000000000000000000000000000000000000000";

function order(o: Partial<OrderState> & { id: bigint; type: "BID" | "ASK" }): OrderState {
  return {
    active: true,
    author: o.type === "ASK" ? ME : CONSUMER,
    counterparty: ZERO,
    duration: 0n,
    price: 100n,
    netflags: [],
    identityLevel: 0,
    blacklist: ZERO,
    tag: `0x${"00".repeat(32)}`,
    benchmarks: [],
    frozenSum: 0n,
    dealId: 0n,
    ...o,
  };
}

function deal(id: bigint, status: DealState["status"]): DealState {
  return {
    id,
    askId: 1n,
    bidId: 2n,
    supplier: ME,
    consumer: CONSUMER,
    master: ME,
    duration: 0n,
    price: 100n,
    startTime: 0n,
    endTime: 0n,
    status,
    blockedBalance: 0n,
    totalPayout: 0n,
    lastBillTime: 0n,
  };
}

function block(number: bigint, parts: Partial<BlockUpdate>): BlockUpdate {
  return {
    number,
    hash: `0x${number.toString(16).padStart(64, "0")}`,
    parentHash: `0x${(number - 1n).toString(16).padStart(64, "0")}`,
    timestamp: 1000n + number,
    events: [],
    orders: [],
    deals: [],
    changeRequests: [],
    bills: [],
    workers: [],
    levels: [],
    listed: [],
    ...parts,
  };
}

function changes(parts: Partial<MarketChanges>): MarketChanges {
  return {
    reorg: undefined,
    rebuild: false,
    orders: [],
    deals: [],
    workers: [],
    levels: [],
    listed: [],
    ...parts,
  };
}

Deno.test("createMarketView() loads the standing orders, views and our deals from the store", () => {
  const state = openState({ path: ":memory:" });
  const store = createChainStore(state.db);
  store.applyBlock(block(1n, {
    orders: [order({ id: 1n, type: "ASK" }), order({ id: 2n, type: "BID", price: 150n })],
    deals: [deal(9n, "ACCEPTED")],
    listed: [{ owner: CONSUMER, who: ME, listed: true }],
  }));
  const view = createMarketView({ store }, { me: ME });
  assert.deepEqual(view.book.stats().bids, 1);
  assert.deepEqual([...view.ownAsks().keys()], [1n]);
  assert.deepEqual([...view.ownDeals().keys()], [9n]);
  const ask = view.ownAsks().get(1n)!;
  assert.deepEqual(view.book.matchAsk(ask), [], "the consumer's blacklist lists us");
  state.close();
});

Deno.test("MarketView.apply() updates in place and says what changed", () => {
  const state = openState({ path: ":memory:" });
  const store = createChainStore(state.db);
  const view = createMarketView({ store }, { me: ME });
  const book = view.book;
  const ask = order({ id: 1n, type: "ASK" });

  let delta = view.apply(changes({ orders: [ask] }), 1n);
  assert.deepEqual([...delta.events].sort(), ["head", "orders", "own"]);
  assert.equal(view.indexedTo(), 1n);

  delta = view.apply(changes({ orders: [order({ id: 2n, type: "BID", price: 150n })] }));
  assert.deepEqual([...delta.events], ["orders"], "someone else's BID is not ours");
  assert.deepEqual(delta.orders, [2n]);
  assert.deepEqual(view.book.matchAsk(ask), [2n]);
  assert.equal(view.book, book, "the same book, never rebuilt");

  delta = view.apply(changes({ listed: [{ owner: CONSUMER, who: ME, listed: true }] }));
  assert.deepEqual([...delta.events], ["views"]);
  assert.deepEqual(view.book.matchAsk(ask), []);
  view.apply(changes({ listed: [{ owner: CONSUMER, who: ME, listed: false }] }));
  assert.deepEqual(view.book.matchAsk(ask), [2n]);

  store.applyBlock(block(2n, { deals: [deal(5n, "ACCEPTED")] }));
  delta = view.apply(changes({ deals: [deal(5n, "ACCEPTED")] }), 2n);
  assert.deepEqual([...delta.events].sort(), ["head", "own"]);
  assert.equal(view.ownDeals().has(5n), true);
  store.applyBlock(block(3n, { deals: [deal(5n, "CLOSED")] }));
  view.apply(changes({ deals: [deal(5n, "CLOSED")], orders: [{ ...ask, active: false }] }), 3n);
  assert.equal(view.ownDeals().has(5n), false);
  assert.equal(view.ownAsks().size, 0);

  delta = view.apply(changes({}), 3n);
  assert.equal(delta.events.size, 0, "a sync that changed nothing wakes nothing");
  state.close();
});

Deno.test("MarketView.apply() rolls back with a reorg, and reloads when told to rebuild", () => {
  const state = openState({ path: ":memory:" });
  const store = createChainStore(state.db);
  store.applyBlock(block(1n, { orders: [order({ id: 1n, type: "ASK" })] }));
  const view = createMarketView({ store }, { me: ME });
  const bid = order({ id: 2n, type: "BID", price: 150n });
  store.applyBlock(block(2n, { orders: [bid] }));
  view.apply(changes({ orders: [bid] }), 2n);
  assert.equal(view.book.has(2n), true);

  // the block with the BID left the chain: the indexer lists the state it returned to
  store.rollbackTo(1n);
  const delta = view.apply(changes({ reorg: 1n, orders: [{ ...bid, active: false }] }), 1n);
  assert.equal(delta.reloaded, true);
  assert.equal(view.book.has(2n), false);
  assert.equal(view.indexedTo(), 1n);
  for (const e of ["orders", "own", "views"] as const) assert.ok(delta.events.has(e), e);

  // a catch-up too big to list: the view reloads from the store
  store.applyBlock(block(2n, { orders: [bid] }));
  const rebuilt = view.apply(changes({ rebuild: true }), 2n);
  assert.equal(rebuilt.reloaded, true);
  assert.equal(view.book.has(2n), true);
  assert.equal(view.ownAsks().has(1n), true);
  state.close();
});

Deno.test("MarketView counts an order the matcher's bounds refuse, and keeps going", () => {
  const state = openState({ path: ":memory:" });
  const store = createChainStore(state.db);
  const view = createMarketView({ store }, { me: ME });
  view.apply(changes({ orders: [order({ id: 3n, type: "BID", price: 2n ** 100n })] }));
  assert.equal(view.refused(), 1);
  assert.equal(view.book.has(3n), false);
  state.close();
});

Deno.test("createMarketView() bulk-loads a big market and still skips an order out of bounds", () => {
  const state = openState({ path: ":memory:" });
  const store = createChainStore(state.db);
  const orders = Array.from(
    { length: 3000 },
    (_, i) => order({ id: BigInt(i + 1), type: i % 2 === 0 ? "BID" : "ASK", price: BigInt(i + 1) }),
  );
  store.applyBlock(block(1n, { orders }));
  const view = createMarketView({ store }, { me: ME });
  assert.equal(view.book.stats().bids + view.book.stats().asks, 3000);
  assert.equal(view.ownAsks().size, 1500);
  store.applyBlock(block(2n, { orders: [order({ id: 5000n, type: "BID", price: 2n ** 100n })] }));
  view.reload();
  assert.equal(view.book.stats().bids + view.book.stats().asks, 3000);
  assert.equal(view.refused(), 1);
  state.close();
});

Deno.test("createMarketView() loads past an order id beyond 2^53 (refused, the rest kept)", () => {
  const state = openState({ path: ":memory:" });
  const store = createChainStore(state.db);
  const orders = Array.from(
    { length: 40 },
    (_, i) => order({ id: BigInt(i + 1), type: i % 2 === 0 ? "BID" : "ASK", price: BigInt(i + 1) }),
  );
  orders.push(order({ id: 2n ** 60n, type: "BID", price: 7n }));
  store.applyBlock(block(1n, { orders }));
  const view = createMarketView({ store }, { me: ME });
  assert.equal(view.book.stats().bids + view.book.stats().asks, 40);
  assert.equal(view.refused(), 1);
  assert.equal(view.ownAsks().size, 20);
  state.close();
});
