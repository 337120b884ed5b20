import assert from "node:assert/strict";
import type { BlockUpdate, DealState, OrderState, SyncChanges } from "../chain/mod.ts";
import { createChainStore } from "./chain_store.ts";
import { createMarketView } from "./market_view.ts";
import { openState } from "./state.ts";

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

function changes(parts: Partial<SyncChanges>): SyncChanges {
  return {
    orders: [],
    deals: [],
    workers: [],
    levels: [],
    listed: [],
    head: undefined,
    reorg: false,
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

  let delta = view.apply(changes({ orders: [ask], head: { number: 1n, timestamp: 1001n } }));
  assert.deepEqual([...delta.events].sort(), ["head", "orders", "own"]);
  assert.equal(view.head()?.timestamp, 1001n);

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

  delta = view.apply(changes({ deals: [deal(5n, "ACCEPTED")] }));
  assert.deepEqual([...delta.events], ["own"]);
  assert.equal(view.ownDeals().has(5n), true);
  view.apply(changes({ deals: [deal(5n, "CLOSED")], orders: [{ ...ask, active: false }] }));
  assert.equal(view.ownDeals().has(5n), false);
  assert.equal(view.ownAsks().size, 0);

  delta = view.apply(changes({ head: { number: 1n, timestamp: 1001n } }));
  assert.equal(delta.events.size, 0, "an old head changes nothing");
  state.close();
});

Deno.test("MarketView.apply() reloads from the store after a reorg", () => {
  const state = openState({ path: ":memory:" });
  const store = createChainStore(state.db);
  store.applyBlock(block(1n, { orders: [order({ id: 1n, type: "ASK" })] }));
  const view = createMarketView({ store }, { me: ME });
  const bid = order({ id: 2n, type: "BID", price: 150n });
  store.applyBlock(block(2n, { orders: [bid] }));
  view.apply(changes({ orders: [bid] }));
  assert.equal(view.book.has(2n), true);
  store.rollbackTo(1n); // the block with the BID left the chain
  const delta = view.apply(changes({ reorg: true }));
  assert.equal(delta.reloaded, true);
  assert.equal(view.book.has(2n), false);
  assert.equal(view.ownAsks().has(1n), true);
  for (const e of ["orders", "own", "views"]) assert.ok(delta.events.has(e), e);
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
