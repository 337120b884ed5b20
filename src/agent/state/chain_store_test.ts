import assert from "node:assert/strict";
import type { BlockUpdate, OrderState } from "../../chain/mod.ts";
import { openState } from "./state.ts";
import { createChainStore } from "./chain_store.ts";
import { createOrderBook } from "../../matcher/mod.ts";

const A = "0x00000000000000000000000000000000000000aa" as const;
const B = "0x00000000000000000000000000000000000000bb" as const;
const M = "0x00000000000000000000000000000000000000cc" as const;
const ZERO = "0x0000000000000000000000000000000000000000" as const;
const hash = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as const;

function order(id: bigint, over: Partial<OrderState> = {}): OrderState {
  return {
    id,
    type: "ASK",
    active: true,
    author: A,
    counterparty: ZERO,
    duration: 3600n,
    price: 2n ** 80n, // does not fit an int64: stored as text
    netflags: [true, false, true],
    identityLevel: 1,
    blacklist: ZERO,
    tag: hash(7),
    benchmarks: [2n ** 63n - 1n, 0n, 5n],
    frozenSum: 0n,
    dealId: 0n,
    ...over,
  };
}

function block(n: number, over: Partial<BlockUpdate> = {}): BlockUpdate {
  return {
    number: BigInt(n),
    hash: hash(n),
    parentHash: hash(n - 1),
    timestamp: 1_700_000_000n + BigInt(n),
    events: [],
    orders: [],
    deals: [],
    changeRequests: [],
    bills: [],
    workers: [],
    levels: [],
    listed: [],
    ...over,
  };
}

Deno.test("createChainStore() keeps exact values and the latest version of each order", () => {
  const state = openState({ path: ":memory:" });
  try {
    const store = createChainStore(state.db);
    assert.equal(store.lastIndexed(), undefined);
    store.applyBlock(block(10, {
      orders: [order(1n), order(2n, { type: "BID", author: B })],
      events: [{
        blockNumber: 10n,
        logIndex: 0,
        txHash: hash(99),
        contract: "market",
        name: "OrderPlaced",
        args: { orderId: 1n },
      }],
    }));
    store.applyBlock(block(12, { orders: [order(1n, { active: false, dealId: 4n })] }));
    assert.deepEqual(store.lastIndexed(), { number: 12n, hash: hash(12) });
    assert.deepEqual(store.getOrder(1n), order(1n, { active: false, dealId: 4n }));
    assert.deepEqual(store.activeOrders(), [order(2n, { type: "BID", author: B })]);
    assert.deepEqual(store.events()[0]?.args, { orderId: "1" });
    assert.deepEqual(store.recentBlocks({ below: 11n, limit: 5 }), [{
      number: 10n,
      hash: hash(10),
    }]);
  } finally {
    state.close();
  }
});

Deno.test("createChainStore() rolls back every table above a block", () => {
  const state = openState({ path: ":memory:" });
  try {
    const store = createChainStore(state.db);
    store.applyBlock(block(1, {
      orders: [order(1n)],
      workers: [{ worker: A, master: ZERO, pendingMaster: M }],
      levels: [{ who: B, level: 2 }],
    }));
    store.applyBlock(block(2, {
      orders: [order(1n, { active: false })],
      deals: [{
        id: 1n,
        askId: 1n,
        bidId: 2n,
        supplier: A,
        consumer: B,
        master: M,
        duration: 0n,
        price: 10n,
        startTime: 5n,
        endTime: 0n,
        status: "ACCEPTED",
        blockedBalance: 10n ** 30n,
        totalPayout: 0n,
        lastBillTime: 5n,
      }],
      bills: [{ blockNumber: 2n, logIndex: 1, txHash: hash(5), dealId: 1n, paidAmount: 3n }],
      changeRequests: [{
        id: 1n,
        dealId: 1n,
        side: "ASK",
        price: 9n,
        duration: 0n,
        status: "CREATED",
      }],
      workers: [{ worker: A, master: M, pendingMaster: ZERO }],
      levels: [{ who: B, level: 3 }],
      listed: [{ owner: B, who: M, listed: true }],
    }));
    const views = store.marketViews();
    assert.equal(views.masterOf(A), M);
    assert.equal(views.levelOf(B), 3);
    assert.equal(views.listed(B, M), true);
    assert.equal(store.deals({ party: M })[0]?.blockedBalance, 10n ** 30n);
    assert.equal(store.bills(1n).length, 1);

    store.rollbackTo(1n);
    assert.deepEqual(store.lastIndexed(), { number: 1n, hash: hash(1) });
    assert.equal(store.getOrder(1n)?.active, true);
    assert.equal(store.getDeal(1n), undefined);
    assert.equal(store.getChangeRequest(1n), undefined);
    assert.deepEqual(store.bills(1n), []);
    assert.equal(views.masterOf(A), A); // pending only: no confirmed master
    assert.equal(views.levelOf(B), 2);
    assert.equal(views.listed(B, M), false);
    assert.equal(views.levelOf(M), 0);
    // a block cannot be applied twice
    assert.throws(() => store.applyBlock(block(1)));
    assert.deepEqual(store.lastIndexed(), { number: 1n, hash: hash(1) });
  } finally {
    state.close();
  }
});

Deno.test("createChainStore() persists nonces per address", () => {
  const state = openState({ path: ":memory:" });
  try {
    const store = createChainStore(state.db);
    assert.equal(store.loadNonce(A), undefined);
    store.saveNonce(A, { nonce: 4n, txHash: hash(4) });
    store.saveNonce(A.toUpperCase().replace("0X", "0x") as typeof A, {
      nonce: 5n,
      txHash: hash(5),
    });
    assert.deepEqual(store.loadNonce(A), { nonce: 5n, txHash: hash(5) });
    assert.equal(store.loadNonce(B), undefined);
  } finally {
    state.close();
  }
});

Deno.test("createChainStore() prune() keeps the state and drops superseded versions", () => {
  const state = openState({ path: ":memory:" });
  try {
    const store = createChainStore(state.db);
    store.applyBlock(block(1, { orders: [order(1n), order(2n)], levels: [{ who: A, level: 1 }] }));
    store.applyBlock(block(2, { orders: [order(1n, { price: 5n })] }));
    store.applyBlock(
      block(3, { orders: [order(1n, { price: 6n })], levels: [{ who: A, level: 2 }] }),
    );
    store.prune(2n);
    const count = (sql: string) => Number((state.db.prepare(sql).get() as { n: bigint }).n);
    assert.equal(count("SELECT COUNT(*) AS n FROM chain_orders WHERE id = 1"), 2); // blocks 2 and 3
    assert.equal(count("SELECT COUNT(*) AS n FROM chain_orders WHERE id = 2"), 1);
    assert.equal(count("SELECT COUNT(*) AS n FROM chain_levels"), 2); // 3 is above the cut
    assert.equal(count("SELECT COUNT(*) AS n FROM chain_blocks"), 2);
    assert.equal(store.getOrder(1n)?.price, 6n);
    store.rollbackTo(2n); // still possible down to the cut
    assert.equal(store.getOrder(1n)?.price, 5n);
    assert.equal(store.getOrder(2n)?.price, 2n ** 80n);
    assert.equal(store.marketViews().levelOf(A), 1);
    // a later prune looks only at the versions that came since the last one
    store.applyBlock(block(3, { orders: [order(1n, { price: 7n })] }));
    store.applyBlock(block(4, { orders: [order(1n, { price: 8n }), order(2n, { price: 9n })] }));
    store.prune(4n);
    assert.equal(count("SELECT COUNT(*) AS n FROM chain_orders"), 2); // block 4's
    assert.equal(store.getOrder(1n)?.price, 8n);
    assert.equal(store.getOrder(2n)?.price, 9n);
    // a rollback below the last cut: versions above it prune again
    store.rollbackTo(4n);
    store.applyBlock(block(5, { orders: [order(2n, { price: 10n })] }));
    store.applyBlock(block(6, { orders: [order(2n, { price: 11n })] }));
    store.prune(6n);
    assert.equal(count("SELECT COUNT(*) AS n FROM chain_orders WHERE id = 2"), 1);
    assert.equal(store.getOrder(2n)?.price, 11n);
  } finally {
    state.close();
  }
});

Deno.test("createChainStore() touchedAbove() names what the blocks above changed", () => {
  const state = openState({ path: ":memory:" });
  try {
    const store = createChainStore(state.db);
    store.applyBlock(block(1, {
      orders: [order(1n)],
      workers: [{ worker: A, master: M, pendingMaster: ZERO }],
    }));
    store.applyBlock(block(2, {
      orders: [order(2n), order(1n, { active: false })],
      deals: [],
      levels: [{ who: B, level: 2 }],
      listed: [{ owner: A, who: B, listed: true }],
    }));
    assert.deepEqual(store.touchedAbove(1n), {
      orders: [1n, 2n],
      deals: [],
      workers: [],
      levels: [B],
      listed: [{ owner: A, who: B }],
    });
    assert.deepEqual(store.touchedAbove(0n).workers, [A]);
    assert.deepEqual(store.getWorker(A), { worker: A, master: M, pendingMaster: ZERO });
    assert.equal(store.getWorker(B), undefined);
  } finally {
    state.close();
  }
});

Deno.test("createChainStore() marketViewData() lists the current bindings, levels and entries", () => {
  const state = openState({ path: ":memory:" });
  try {
    const store = createChainStore(state.db);
    store.applyBlock(block(1, {
      workers: [{ worker: A, master: M, pendingMaster: ZERO }, {
        worker: B,
        master: ZERO,
        pendingMaster: M,
      }],
      levels: [{ who: A, level: 2 }, { who: B, level: 1 }],
      listed: [{ owner: A, who: B, listed: true }, { owner: B, who: A, listed: true }],
    }));
    store.applyBlock(block(2, {
      levels: [{ who: B, level: 0 }],
      listed: [{ owner: B, who: A, listed: false }],
    }));
    assert.deepEqual(store.marketViewData(), {
      masters: [{ worker: A, master: M }],
      levels: [{ address: A, level: 2 }],
      blacklists: [{ owner: A, listed: B }],
    });
  } finally {
    state.close();
  }
});

Deno.test("createChainStore().activeOrderColumns() loads the same book as activeOrders()", () => {
  const state = openState({ path: ":memory:" });
  try {
    const store = createChainStore(state.db);
    const orders: OrderState[] = [];
    for (let i = 1; i <= 60; i++) {
      orders.push(order(BigInt(i), {
        type: i % 3 === 0 ? "ASK" : "BID",
        author: `0x${(0xa000 + i).toString(16).padStart(40, "0")}`,
        counterparty: i % 4 === 0 ? M : ZERO,
        blacklist: i % 5 === 0 ? B : ZERO,
        tag: i % 2 === 0 ? hash(0) : hash(i),
        price: [2n ** 80n, 0n, 2n ** 53n + 1n, 2n ** 53n - 1n, 12345n][i % 5]!,
        duration: BigInt(i % 7),
        netflags: [[], [true], [false, true], [true, false, true]][i % 4]!,
        benchmarks: [[], [2n ** 63n - 1n], [0n, 2n ** 32n, 9007199254740993n]][i % 3]!,
      }));
    }
    store.applyBlock(block(10, { orders }));
    // a later version wins: id 7 taken by a deal, id 8 repriced
    store.applyBlock(block(11, {
      orders: [order(7n, { active: false, dealId: 3n }), order(8n, { price: 99n })],
    }));
    const columns = store.activeOrderColumns();
    assert.equal(columns.count, 59);
    const byColumns = createOrderBook();
    byColumns.loadColumns(columns);
    const byObjects = createOrderBook();
    byObjects.addAll(store.activeOrders());
    assert.equal(byColumns.has(7n), false);
    assert.equal(byColumns.get(8n)?.price, 99n);
    for (let i = 1n; i <= 60n; i++) assert.deepEqual(byColumns.get(i), byObjects.get(i), `id ${i}`);
    assert.deepEqual(
      byColumns.matchAsk({ ...order(100n), price: 0n, benchmarks: [], netflags: [] }),
      byObjects.matchAsk({ ...order(100n), price: 0n, benchmarks: [], netflags: [] }),
    );
  } finally {
    state.close();
  }
});
