/**
 * A market of 100,000 orders on a real anvil, built with the test-only
 * MarketSeeder, indexed from scratch: the view equals the chain (counts, the
 * whole active set, a sample of orders field by field, identity levels and a
 * blacklist entry), and the order book loaded from the index matches like
 * the reference matcher over the same orders.
 */
import assert from "node:assert/strict";
import { type Abi, zeroAddress } from "viem";
import { startChainFixture } from "./_fixtures/anvil.ts";
import { seedMarket } from "./_fixtures/market_seeder.ts";
import { prng } from "./_fixtures/prng.ts";
import { blacklistAbi, profileRegistryAbi } from "../src/chain/contracts.ts";
import { connectChain } from "../src/chain/connect_chain.ts";
import { createMarketClient } from "../src/chain/create_market_client.ts";
import { createIndexer } from "../src/chain/create_indexer.ts";
import { getOrder } from "../src/chain/get_order.ts";
import { getActiveOrders } from "../src/chain/get_active_orders.ts";
import { openState } from "../src/agent/state/state.ts";
import { createChainStore } from "../src/agent/state/chain_store.ts";
import { createOrderBook, type MarketOrder, referenceMatch } from "../src/matcher/mod.ts";

const ORDERS = 100_000;

Deno.test("createIndexer() indexes a market of 100,000 orders into a view equal to the chain", async () => {
  const fx = await startChainFixture({
    disableBlockGasLimit: true,
    pruneHistory: true,
    pruneTransactions: false, // a first sync reads every log
  });
  const dir = await Deno.makeTempDir({ prefix: "index-scale-" });
  const state = openState({ path: `${dir}/state.db` });
  try {
    const [deployer, lister] = fx.accounts;
    assert.ok(deployer !== undefined && lister !== undefined);
    const { seeders } = await seedMarket(deployer.wallet, fx.publicClient, fx.addresses, {
      orders: ORDERS,
      perTx: 4000,
    });
    // views that matter to matching: levels of two authors, one blacklist entry
    for (const [i, level] of [[0, 1], [1, 2]] as const) {
      await fx.send(deployer, {
        address: fx.addresses.profiles,
        abi: profileRegistryAbi as unknown as Abi,
        functionName: "setLevel",
        args: [seeders[i], level],
      });
    }
    await fx.send(lister, {
      address: fx.addresses.blacklist,
      abi: blacklistAbi as unknown as Abi,
      functionName: "add",
      args: [seeders[2]],
    });

    const chain = await connectChain({ url: fx.anvil.rpcUrl });
    const market = createMarketClient(chain, { addresses: fx.addresses });
    const store = createChainStore(state.db);
    const indexer = createIndexer(market, { store });
    const synced = await indexer.syncOnce();
    assert.equal(synced.indexedTo, await fx.publicClient.getBlockNumber());
    assert.equal(synced.changes.rebuild, true); // far more than maxChanges: rebuild the view

    // counts
    assert.equal(await fx.read<bigint>("ordersAmount"), BigInt(ORDERS));
    const active = store.activeOrders();
    assert.equal(BigInt(active.length), await fx.read<bigint>("activeOrdersAmount"));
    assert.equal(active.length, ORDERS); // the seeder cancels nothing
    // the whole active set, field by field
    assert.deepEqual(active, await getActiveOrders(market, { pageSize: 1000 }));
    // a sample read one by one, with the contract's own getter
    const random = prng(42);
    for (let i = 0; i < 100; i++) {
      const id = BigInt(1 + Math.floor(random() * ORDERS));
      assert.deepEqual(store.getOrder(id), await getOrder(market, { orderId: id }), `order ${id}`);
    }
    const views = store.marketViews();
    assert.equal(views.levelOf(seeders[0]!), 1);
    assert.equal(views.levelOf(seeders[1]!), 2);
    assert.equal(views.listed(lister.address, seeders[2]!), true);
    assert.equal(views.masterOf(seeders[3]!), seeders[3]);

    // the book loaded from the index matches like the reference over the same orders
    const book = createOrderBook({ limits: { maxBenchmarks: 15 }, views: store.marketViewData() });
    book.addAll(active);
    assert.equal(book.stats().bids + book.stats().asks, ORDERS);
    const bids = active.filter((o) => o.type === "BID");
    const asks: MarketOrder[] = [
      // a plain spot ASK, a demanding forward ASK, one from the blacklisting account
      ask(1n, { price: 500_000n }),
      ask(2n, { duration: 86_400n, price: 1n, identityLevel: 1, benchmarks: [1n << 62n] }),
      ask(3n, { author: lister.address, price: 900_000n, netflags: [true, true, true] }),
      ask(4n, { author: seeders[1]!, duration: 3600n, price: 100_000n, blacklist: lister.address }),
    ];
    for (const q of asks) {
      const ours = book.matchAsk(q);
      assert.deepEqual(ours, referenceMatch(bids, { order: q, views }), `ASK ${q.id}`);
      assert.ok(ours.length > 0 || q.id === 2n, `ASK ${q.id} matches nothing`);
    }

    // then the view follows incrementally: one more order is listed as a change
    await fx.market(lister, "placeOrder", [
      2,
      zeroAddress,
      0n,
      7n,
      [],
      0,
      zeroAddress,
      `0x${"0".repeat(64)}`,
      [],
    ]);
    const next = await indexer.syncOnce();
    assert.equal(next.changes.rebuild, false);
    assert.deepEqual(next.changes.orders.map((o) => [o.id, o.active]), [[
      BigInt(ORDERS + 1),
      true,
    ]]);
  } finally {
    state.close();
    await fx.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});

function ask(id: bigint, over: Partial<MarketOrder>): MarketOrder {
  return {
    id: 10_000_000n + id,
    type: "ASK",
    active: true,
    author: "0x00000000000000000000000000000000000000a5",
    counterparty: zeroAddress,
    duration: 0n,
    price: 1n,
    netflags: [],
    identityLevel: 0,
    blacklist: zeroAddress,
    tag: `0x${"0".repeat(64)}`,
    benchmarks: [],
    ...over,
  };
}
