/**
 * The first sync of a big market and the market view built from it, on a
 * real anvil with the real compiled contracts. The market is built with the
 * test-only MarketSeeder (40,000 pseudo-random orders per transaction, four
 * authors, anvil with `--disable-block-gas-limit --prune-history 2`; logs are
 * kept, since a first sync reads them all). Figures:
 *
 * - first sync: orders/s of `createIndexer().syncOnce()` into a sqlite state
 *   file (orders come whole in `OrderPlaced`), against the old path's cost in
 *   the same run: one `getOrder` eth_call per order event (8 in flight), on a
 *   sample of the same orders;
 * - the view at start, in a child process with a real gc(): reading the
 *   active orders from the state file, loading them into the order book with
 *   `addAll` and, for the ratio, with `add` each plus `compact`; heap and RSS
 *   per order of the loaded view.
 *
 * Writes bench/results/index.json and prints a table.
 *
 *   deno run -A bench/index_bench.ts [--quick] [--orders N]
 */
// deno-lint-ignore-file no-console -- a benchmark prints its table
import { dirname, join } from "node:path";
import { createPublicClient, createWalletClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import {
  connectChain,
  createIndexer,
  createMarketClient,
  deployContracts,
  getOrder,
  startAnvil,
} from "../src/chain/mod.ts";
import { createOrderBook } from "../src/matcher/mod.ts";
import { openState } from "../src/agent/state/state.ts";
import { createChainStore } from "../src/agent/state/chain_store.ts";
import { seedMarket } from "../tests/_fixtures/market_seeder.ts";

/**
 * Orders per seeding transaction (one block each): anvil's work per block grows with its state,
 * so a big market is built in few, big blocks.
 */
const PER_TX = 40_000;
const RESULTS = join(dirname(new URL(import.meta.url).pathname), "results");
const argv = [...Deno.args];
const probe = argv.indexOf("--view-probe");
if (probe >= 0) {
  viewProbe(argv[probe + 1] ?? "");
} else {
  await main();
}

/**
 * `--view-probe PATH` (a child started with --expose-gc): builds the market
 * view from the state file as the agent does at start, and measures it.
 */
function viewProbe(path: string): void {
  const gc = (globalThis as unknown as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("Cannot probe the view: run with --v8-flags=--expose-gc");
  const used = () => {
    gc();
    gc();
    const m = Deno.memoryUsage();
    return { heap: m.heapUsed + m.external, rss: m.rss };
  };
  const state = openState({ path });
  const store = createChainStore(state.db);
  const base = used();
  let t0 = performance.now();
  let orders = store.activeOrders();
  const readMs = performance.now() - t0;
  const n = orders.length;
  // warm both paths up on a slice, so neither pays the other's JIT
  createOrderBook({ limits: { maxBenchmarks: 15 } }).addAll(orders.slice(0, 5000));
  const warm = createOrderBook({ limits: { maxBenchmarks: 15 } });
  for (const o of orders.slice(0, 5000)) warm.add(o);
  warm.compact();
  t0 = performance.now();
  const book = createOrderBook({ limits: { maxBenchmarks: 15 } });
  book.addAll(orders);
  const addAllMs = performance.now() - t0;
  t0 = performance.now();
  let old = createOrderBook({ limits: { maxBenchmarks: 15 } });
  for (const o of orders) old.add(o);
  old.compact();
  const addEachMs = performance.now() - t0;
  if (old.stats().bids !== book.stats().bids) throw new Error("Cannot trust the view probe");
  old = createOrderBook();
  orders = [];
  const withBook = used();
  const heapPerOrder = (withBook.heap - base.heap) / n;
  const rssPerOrder = (withBook.rss - base.rss) / n;
  state.close();
  console.log(JSON.stringify({
    orders: n,
    readActiveOrdersMs: readMs,
    addAllMs,
    addEachMs,
    heapBytesPerOrder: heapPerOrder,
    rssBytesPerOrder: rssPerOrder,
    columnBytesPerOrder: book.stats().columnBytes / n,
    baselineRssMb: base.rss / 1e6,
  }));
}

async function main(): Promise<void> {
  const quick = argv.includes("--quick");
  const at = argv.indexOf("--orders");
  const N = at >= 0 ? Number(argv[at + 1]) : quick ? 20_000 : 1_000_000;
  const sample = Math.min(N, quick ? 2_000 : 20_000);
  const dir = await Deno.makeTempDir({ prefix: "index_bench_" });
  const anvil = await startAnvil({
    disableBlockGasLimit: true,
    pruneHistory: true,
    keepStates: 2, // each kept state is a whole copy: 8 of a million orders' state do not fit
    pruneTransactions: false,
  });
  try {
    // the seeder's receipts carry 40,000 logs: above viem's default 10 MiB answer limit
    const transport = http(anvil.rpcUrl, { maxResponseBodySize: 1 << 30 });
    const wallet = createWalletClient({
      chain: foundry,
      transport,
      account: privateKeyToAccount(anvil.accounts[0]!.privateKey),
    });
    const publicClient = createPublicClient({ chain: foundry, transport, pollingInterval: 20 });
    const addresses = await deployContracts(wallet);
    const deployBlock = await publicClient.getBlockNumber();

    let t0 = performance.now();
    let reported = 0;
    await seedMarket(wallet, publicClient, addresses, {
      orders: N,
      perTx: PER_TX,
      onProgress: (placed) => {
        if (placed - reported >= 100_000) {
          reported = placed;
          console.log(
            `seeded ${placed} orders (${Math.round(placed / ((performance.now() - t0) / 1000))}/s)`,
          );
        }
      },
    });
    const seedMs = performance.now() - t0;
    console.log(`seeded ${N} orders in ${(seedMs / 1000).toFixed(1)} s`);

    // one seeded block holds PER_TX orders' logs: let one getLogs answer carry them
    const chain = await connectChain({ url: anvil.rpcUrl, maxResponseBytes: 1 << 30 });
    const market = createMarketClient(chain, { addresses });
    const path = join(dir, "state.db");
    const state = openState({ path });
    const store = createChainStore(state.db);
    const rssBefore = Deno.memoryUsage().rss;
    t0 = performance.now();
    const synced = await createIndexer(market, { store, fromBlock: deployBlock }).syncOnce();
    const syncMs = performance.now() - t0;
    const rssAfter = Deno.memoryUsage().rss;
    state.close();
    console.log(`first sync: ${synced.events} events in ${(syncMs / 1000).toFixed(1)} s`);

    // the old path: one eth_call per order event, 8 in flight (its default concurrency)
    t0 = performance.now();
    let next = 1;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next <= sample) await getOrder(market, { orderId: BigInt(next++) });
    }));
    const oldMs = performance.now() - t0;

    const out = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--v8-flags=--expose-gc,--max-old-space-size=8192",
        new URL(import.meta.url).pathname,
        "--view-probe",
        path,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).outputSync();
    if (!out.success) throw new Error("Cannot measure the view: the probe process failed");
    const view = JSON.parse(new TextDecoder().decode(out.stdout));

    const syncPerSecond = synced.events / (syncMs / 1000);
    const oldPerSecond = sample / (oldMs / 1000);
    const result = {
      name: "index",
      date: new Date().toISOString(),
      quick,
      cores: navigator.hardwareConcurrency,
      loadAverage: Deno.loadavg(),
      market: {
        orders: N,
        indexedEvents: synced.events,
        seedMs,
        seedOrdersPerSecond: N / (seedMs / 1000),
        how: `MarketSeeder, ${PER_TX} orders per tx (one block each), 4 authors, ` +
          "anvil --disable-block-gas-limit --prune-history 2",
      },
      firstSync: {
        ms: syncMs,
        ordersPerSecond: syncPerSecond,
        goalOrdersPerSecond: 20_000,
        oldPathSample: sample,
        oldPathOrdersPerSecond: oldPerSecond,
        speedupVsOldPath: syncPerSecond / oldPerSecond,
        indexerRssDeltaMb: (rssAfter - rssBefore) / 1e6,
      },
      view,
      bookLoad: {
        orders: view.orders,
        addAllMs: view.addAllMs,
        addEachMs: view.addEachMs,
        speedup: view.addEachMs / view.addAllMs,
        goalMs: 1000,
      },
    };
    await Deno.mkdir(RESULTS, { recursive: true });
    await Deno.writeTextFile(join(RESULTS, "index.json"), JSON.stringify(result, null, 2) + "\n");
    console.table({
      "first sync, orders/s": { value: Math.round(syncPerSecond), goal: 20_000 },
      "old path (eth_call per order), orders/s": { value: Math.round(oldPerSecond), goal: "" },
      "speedup vs old path": { value: Number((syncPerSecond / oldPerSecond).toFixed(1)), goal: "" },
      "read active orders from sqlite, ms": {
        value: Math.round(view.readActiveOrdersMs),
        goal: "",
      },
      "book addAll, ms": { value: Math.round(view.addAllMs), goal: 1000 },
      "book add each + compact, ms": { value: Math.round(view.addEachMs), goal: "" },
      "view heap+external bytes/order": { value: Math.round(view.heapBytesPerOrder), goal: 200 },
      "view RSS bytes/order": { value: Math.round(view.rssBytesPerOrder), goal: 200 },
    });
  } finally {
    await anvil.stop();
    await Deno.remove(dir, { recursive: true });
  }
}
