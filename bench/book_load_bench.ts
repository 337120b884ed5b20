// deno-lint-ignore-file no-console -- a benchmark prints its table
/**
 * Loading a market into the order book, side by side in one run: today's
 * path (`OrderBook.addAll` over one `MarketOrder` object per order) against
 * the columnar path (`OrderBook.loadColumns`), in memory and from a real
 * sqlite state file (`activeOrders()` + `addAll` against
 * `activeOrderColumns()` + `loadColumns`, what the market view does at start).
 * The market is the matcher's seeded generator (realistic profile: 13
 * benchmarks, 50,000 addresses), written to sqlite through the chain store.
 *
 *   deno run -A --v8-flags=--max-old-space-size=8192 bench/book_load_bench.ts          # 1M orders
 *   deno run -A --v8-flags=--max-old-space-size=8192 bench/book_load_bench.ts --quick  # 100k
 *
 * Writes bench/results/book_load.json and prints a table.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { OrderState } from "../src/chain/mod.ts";
import { createChainStore } from "../src/agent/state/chain_store.ts";
import { openState } from "../src/agent/state/state.ts";
import { generateMarket } from "../src/matcher/_generate_market.ts";
import {
  createOrderBook,
  type MarketOrder,
  type OrderBook,
  orderColumnsOf,
} from "../src/matcher/mod.ts";

const quick = Deno.args.includes("--quick");
const total = quick ? 100_000 : 1_000_000;
const nAsks = total / 10;
const runs = 3;
const log = (s: string) => console.error(`[book_load_bench] ${s}`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const v = f();
  return [v, performance.now() - t0];
}

/** The same answers from both books (a sample of ASK and BID queries). */
function assertSameAnswers(a: OrderBook, b: OrderBook, queries: readonly MarketOrder[]): void {
  for (const q of queries) {
    const x = q.type === "ASK" ? a.matchAsk(q, { limit: 50 }) : a.matchBid(q, { limit: 50 });
    const y = q.type === "ASK" ? b.matchAsk(q, { limit: 50 }) : b.matchBid(q, { limit: 50 });
    assert.deepEqual(y, x, `${q.type} ${q.id}`);
  }
  assert.deepEqual(b.stats().bids, a.stats().bids);
  assert.deepEqual(b.stats().asks, a.stats().asks);
}

log(`generating ${total} orders (${total - nAsks} BIDs, ${nAsks} ASKs)`);
const market = generateMarket({ seed: 5, bids: total - nAsks, asks: nAsks, profile: "realistic" });
const orders: MarketOrder[] = [...market.bids, ...market.asks].filter((o) => o.active);
const queries = [
  ...generateMarket({
    seed: 6,
    bids: 20,
    asks: 20,
    profile: "realistic",
    addressPool: market.addresses,
    firstId: 50_000_000,
  }).asks,
  ...generateMarket({
    seed: 7,
    bids: 20,
    asks: 0,
    profile: "realistic",
    addressPool: market.addresses,
    firstId: 60_000_000,
  }).bids,
];

// In memory: objects in, book out; alternating runs, medians.
const addAllMs: number[] = [], columnsMs: number[] = [], toColumnsMs: number[] = [];
let lastA: OrderBook | undefined, lastB: OrderBook | undefined;
for (let i = 0; i < runs; i++) {
  lastA = undefined;
  const a = createOrderBook({ views: market.views });
  addAllMs.push(timed(() => a.addAll(orders))[1]);
  lastA = a;
  const [columns, convertMs] = timed(() => orderColumnsOf(orders));
  toColumnsMs.push(convertMs);
  lastB = undefined;
  const b = createOrderBook({ views: market.views });
  columnsMs.push(timed(() => b.loadColumns(columns))[1]);
  lastB = b;
  log(
    `run ${i + 1}: addAll ${addAllMs[i]!.toFixed(0)} ms, loadColumns ${
      columnsMs[i]!.toFixed(0)
    } ms`,
  );
}
assertSameAnswers(lastA!, lastB!, queries);
lastA = lastB = undefined;

// From a real sqlite state file, through the chain store.
const dir = Deno.makeTempDirSync({ prefix: "bookload-bench-" });
const state = openState({ path: `${dir}/state.db` });
const store = createChainStore(state.db);
log("writing the orders to sqlite");
const [, writeMs] = timed(() => {
  const perBlock = 50_000;
  for (let at = 0, n = 1; at < orders.length; at += perBlock, n++) {
    const slice: OrderState[] = orders.slice(at, at + perBlock).map((o) => ({
      ...o,
      frozenSum: 0n,
      dealId: 0n,
    }));
    const hash = (k: number) => `0x${k.toString(16).padStart(64, "0")}` as const;
    store.applyBlock({
      number: BigInt(n),
      hash: hash(n),
      parentHash: hash(n - 1),
      timestamp: 1_700_000_000n + BigInt(n),
      events: [],
      orders: slice,
      deals: [],
      changeRequests: [],
      bills: [],
      workers: [],
      levels: [],
      listed: [],
    });
  }
});
log(`written in ${writeMs.toFixed(0)} ms`);
const views = store.marketViewData();
const sql = { objectsReadMs: [] as number[], addAllMs: [] as number[] };
const sqlCols = { readMs: [] as number[], loadMs: [] as number[] };
let sqlA: OrderBook | undefined, sqlB: OrderBook | undefined;
for (let i = 0; i < runs; i++) {
  sqlA = undefined;
  const [objects, readA] = timed(() => store.activeOrders());
  const a = createOrderBook({ views });
  sql.objectsReadMs.push(readA);
  sql.addAllMs.push(timed(() => a.addAll(objects))[1]);
  sqlA = a;
  sqlB = undefined;
  const [columns, readB] = timed(() => store.activeOrderColumns());
  const b = createOrderBook({ views });
  sqlCols.readMs.push(readB);
  sqlCols.loadMs.push(timed(() => b.loadColumns(columns))[1]);
  sqlB = b;
  log(
    `sqlite run ${i + 1}: activeOrders ${readA.toFixed(0)} + addAll ${
      sql.addAllMs[i]!.toFixed(0)
    } ms; activeOrderColumns ${readB.toFixed(0)} + loadColumns ${sqlCols.loadMs[i]!.toFixed(0)} ms`,
  );
}
assertSameAnswers(sqlA!, sqlB!, queries);
state.close();
Deno.removeSync(dir, { recursive: true });

const m = {
  addAll: median(addAllMs),
  loadColumns: median(columnsMs),
  toColumns: median(toColumnsMs),
  sqlRead: median(sql.objectsReadMs),
  sqlAddAll: median(sql.addAllMs),
  sqlColsRead: median(sqlCols.readMs),
  sqlColsLoad: median(sqlCols.loadMs),
};
const result = {
  name: "book_load",
  date: new Date().toISOString(),
  quick,
  deno: Deno.version.deno,
  v8: Deno.version.v8,
  cpu: Deno.build.target,
  loadAverage: Deno.loadavg(),
  market: {
    orders: orders.length,
    bids: lastBidCount(),
    benchmarks: 13,
    addresses: market.addresses.length,
    runs,
    how: "generateMarket seed 5, realistic; written to sqlite with createChainStore().applyBlock",
  },
  inMemory: {
    addAllMs: m.addAll,
    loadColumnsMs: m.loadColumns,
    speedup: m.addAll / m.loadColumns,
    orderColumnsOfMs: m.toColumns,
    goalMs: 1000,
    runsMs: { addAll: addAllMs, loadColumns: columnsMs },
  },
  fromSqlite: {
    writeMs,
    activeOrdersMs: m.sqlRead,
    addAllMs: m.sqlAddAll,
    objectsTotalMs: m.sqlRead + m.sqlAddAll,
    activeOrderColumnsMs: m.sqlColsRead,
    loadColumnsMs: m.sqlColsLoad,
    columnsTotalMs: m.sqlColsRead + m.sqlColsLoad,
    readSpeedup: m.sqlRead / m.sqlColsRead,
    totalSpeedup: (m.sqlRead + m.sqlAddAll) / (m.sqlColsRead + m.sqlColsLoad),
  },
};

function lastBidCount(): number {
  return orders.filter((o) => o.type === "BID").length;
}

Deno.mkdirSync("bench/results", { recursive: true });
Deno.writeTextFileSync("bench/results/book_load.json", JSON.stringify(result, null, 2) + "\n");
const f = (ms: number) => `${ms.toFixed(0)} ms`;
console.log(`book load, ${orders.length} orders (median of ${runs})`);
console.log(
  `  in memory:  addAll ${f(m.addAll)}  loadColumns ${f(m.loadColumns)}  (${
    result.inMemory.speedup.toFixed(1)
  }x; goal 1000 ms)`,
);
console.log(
  `  sqlite:     activeOrders ${f(m.sqlRead)} + addAll ${f(m.sqlAddAll)}  vs  activeOrderColumns ${
    f(m.sqlColsRead)
  } + loadColumns ${f(m.sqlColsLoad)}  (read ${result.fromSqlite.readSpeedup.toFixed(1)}x, total ${
    result.fromSqlite.totalSpeedup.toFixed(1)
  }x)`,
);
