import assert from "node:assert/strict";
import { privateKeyToAccount } from "viem/accounts";
import { type Abi, type Address, zeroAddress } from "viem";
import { type ChainFixture, startChainFixture } from "./_fixtures/anvil.ts";
import { blacklistAbi, profileRegistryAbi } from "../src/chain/contracts.ts";
import { connectChain } from "../src/chain/connect_chain.ts";
import { createTxSender } from "../src/chain/create_tx_sender.ts";
import { createMarketClient, type WriteMarketClient } from "../src/chain/create_market_client.ts";
import { createIndexer } from "../src/chain/create_indexer.ts";
import type { ChainStore, MarketChanges, OrderState } from "../src/chain/types.ts";
import { placeOrder } from "../src/chain/place_order.ts";
import { cancelOrder } from "../src/chain/cancel_order.ts";
import { openDeal } from "../src/chain/open_deal.ts";
import { bill } from "../src/chain/bill.ts";
import { closeDeal } from "../src/chain/close_deal.ts";
import { createChangeRequest } from "../src/chain/create_change_request.ts";
import { registerWorker } from "../src/chain/register_worker.ts";
import { confirmWorker } from "../src/chain/confirm_worker.ts";
import { getOrder } from "../src/chain/get_order.ts";
import { getDeal } from "../src/chain/get_deal.ts";
import { getActiveOrders } from "../src/chain/get_active_orders.ts";
import { openState } from "../src/agent/state/state.ts";
import { createChainStore } from "../src/agent/state/chain_store.ts";

type Env = {
  fx: ChainFixture;
  clients: WriteMarketClient[];
  /** Fresh senders (after evm_revert dropped transactions that cached nonces counted). */
  newClients(): WriteMarketClient[];
  dir: string;
  cleanup(): Promise<void>;
};

async function setup(): Promise<Env> {
  const fx = await startChainFixture();
  const chain = await connectChain({ url: fx.anvil.rpcUrl });
  const newClients = () =>
    fx.accounts.map((a) =>
      createMarketClient(chain, {
        addresses: fx.addresses,
        sender: createTxSender(chain, {
          account: privateKeyToAccount(a.privateKey),
          receiptTimeoutMs: 10_000,
        }),
      }) as WriteMarketClient
    );
  const dir = await Deno.makeTempDir({ prefix: "chain_indexer_test_" });
  return {
    fx,
    clients: newClients(),
    newClients,
    dir,
    cleanup: async () => {
      await fx.cleanup();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function openStore(path: string) {
  const state = openState({ path });
  return { store: createChainStore(state.db), close: () => state.close() };
}

/** Market activity touching every kind of indexed state. Returns the ids it made. */
async function activity(env: Env, round: number): Promise<{ orders: bigint[]; deals: bigint[] }> {
  const [, supplier, consumer, worker, master] = env.clients as [
    WriteMarketClient,
    WriteMarketClient,
    WriteMarketClient,
    WriteMarketClient,
    WriteMarketClient,
  ];
  const orders: bigint[] = [];
  const deals: bigint[] = [];
  const price = 10n ** 12n + BigInt(round);
  const ask = await placeOrder(supplier, {
    type: "ASK",
    duration: 7200n,
    price,
    benchmarks: [10n, BigInt(round)],
    netflags: [true],
  });
  const bid = await placeOrder(consumer, { type: "BID", duration: 3600n, price: price * 2n });
  const stray = await placeOrder(consumer, { type: "BID", duration: 0n, price: 1n });
  orders.push(ask.orderId, bid.orderId, stray.orderId);
  const { dealId } = await openDeal(supplier, { askId: ask.orderId, bidId: bid.orderId });
  deals.push(dealId);
  await bill(supplier, { dealId });
  await createChangeRequest(consumer, { dealId, newPrice: price, newDuration: 1800n });
  await cancelOrder(consumer, { orderId: stray.orderId });
  if (round === 0) {
    await registerWorker(worker, { master: master.sender.address });
    await confirmWorker(master, { worker: worker.sender.address });
    await env.fx.send(env.fx.accounts[0]!, {
      address: env.fx.addresses.profiles,
      abi: profileRegistryAbi as unknown as Abi,
      functionName: "setLevel",
      args: [consumer.sender.address, 3],
    });
  }
  await env.fx.send(env.fx.accounts[1]!, {
    address: env.fx.addresses.blacklist,
    abi: blacklistAbi as unknown as Abi,
    functionName: round % 2 === 0 ? "add" : "remove",
    args: [env.fx.accounts[7]!.address],
  });
  if (round % 2 === 1) await closeDeal(consumer, { dealId });
  return { orders, deals };
}

/** Everything the store says, in comparable form. */
function dump(store: ChainStore, addresses: readonly Address[]) {
  const views = store.marketViews();
  const lastOrder = store.events().filter((e) => e.name === "OrderPlaced").length;
  const orders = Array.from({ length: lastOrder }, (_, i) => store.getOrder(BigInt(i + 1)));
  const deals = store.deals();
  return {
    events: store.events(),
    orders,
    active: store.activeOrders(),
    deals,
    bills: deals.map((d) => store.bills(d.id)),
    changeRequests: [1n, 2n, 3n, 4n, 5n, 6n].map((id) => store.getChangeRequest(id)),
    views: addresses.map((a) => ({
      master: views.masterOf(a),
      level: views.levelOf(a),
      listed: addresses.map((b) => views.listed(a, b)),
    })),
  };
}

/** A long-lived view fed only by `SyncResult.changes`, as the agent keeps one. */
function createChangeView() {
  const active = new Map<bigint, OrderState>();
  const masters = new Map<string, string>();
  const levels = new Map<string, number>();
  const listed = new Map<string, boolean>();
  const deals = new Set<bigint>();
  return {
    apply(c: MarketChanges) {
      assert.equal(c.rebuild, false);
      for (const o of c.orders) {
        if (o.active) active.set(o.id, o);
        else active.delete(o.id);
      }
      for (const w of c.workers) masters.set(w.worker.toLowerCase(), w.master.toLowerCase());
      for (const l of c.levels) levels.set(l.who.toLowerCase(), l.level);
      for (const b of c.listed) {
        listed.set(`${b.owner}:${b.who}`.toLowerCase(), b.listed);
      }
      for (const d of c.deals) deals.add(d.id);
    },
    /** Asserts that the view equals the store's state. */
    assertEquals(store: ChainStore, addresses: readonly Address[]) {
      const ids = (xs: Iterable<OrderState>) =>
        [...xs].map((o) => o.id).sort((a, b) => a < b ? -1 : 1);
      assert.deepEqual(ids(active.values()), ids(store.activeOrders()));
      for (const o of store.activeOrders()) assert.deepEqual(active.get(o.id), o);
      const views = store.marketViews();
      for (const a of addresses) {
        const m = masters.get(a.toLowerCase());
        const master = m === undefined || m === zeroAddress ? a.toLowerCase() : m;
        assert.equal(master, views.masterOf(a).toLowerCase(), `master of ${a}`);
        assert.equal(levels.get(a.toLowerCase()) ?? 0, views.levelOf(a), `level of ${a}`);
        for (const b of addresses) {
          assert.equal(
            listed.get(`${a}:${b}`.toLowerCase()) ?? false,
            views.listed(a, b),
            `listed ${a} ${b}`,
          );
        }
      }
      assert.deepEqual([...deals].sort(), store.deals().map((d) => d.id).sort());
    },
  };
}

Deno.test("createIndexer() syncOnce() reports each change once, for a view fed by changes alone", async () => {
  const env = await setup();
  try {
    const market = env.clients[0]!;
    const addresses = env.fx.accounts.map((a) => a.address);
    const db = openStore(`${env.dir}/state.db`);
    const indexer = createIndexer(market, { store: db.store, batchSize: 4n });
    const view = createChangeView();
    const made = await activity(env, 0);
    const first = await indexer.syncOnce();
    assert.equal(first.changes.reorg, undefined);
    // the three orders in their final state (all inactive), the deal, the worker, level, entry
    assert.deepEqual(
      first.changes.orders.map((o) => [o.id, o.active]),
      made.orders.map((id) => [id, false]),
    );
    for (const o of first.changes.orders) assert.deepEqual(o, db.store.getOrder(o.id));
    assert.deepEqual(first.changes.deals.map((d) => d.id), made.deals);
    for (const d of first.changes.deals) assert.deepEqual(d, db.store.getDeal(d.id));
    const [, , consumer, worker, master] = env.fx.accounts;
    assert.deepEqual(
      first.changes.workers.map((w) => [w.worker, w.master]),
      [[worker!.address, master!.address]],
    );
    assert.deepEqual(first.changes.levels, [{ who: consumer!.address, level: 3 }]);
    assert.deepEqual(first.changes.listed, [{
      owner: env.fx.accounts[1]!.address,
      who: env.fx.accounts[7]!.address,
      listed: true,
    }]);
    view.apply(first.changes);
    view.assertEquals(db.store, addresses);

    // one new order: exactly it
    const ask = await placeOrder(env.clients[5]!, { type: "ASK", duration: 0n, price: 5n });
    const second = await indexer.syncOnce();
    assert.deepEqual(second.changes.orders.map((o) => [o.id, o.active]), [[ask.orderId, true]]);
    assert.deepEqual(
      [second.changes.deals, second.changes.workers, second.changes.levels],
      [[], [], []],
    );
    view.apply(second.changes);
    view.assertEquals(db.store, addresses);

    // nothing new: nothing listed
    const idle = await indexer.syncOnce();
    assert.deepEqual(
      [idle.changes.orders, idle.changes.deals, idle.changes.workers, idle.changes.listed],
      [[], [], [], []],
    );

    // more than maxChanges: a rebuild instead of a list
    await activity(env, 1);
    const big = await createIndexer(market, { store: db.store, maxChanges: 2 }).syncOnce();
    assert.equal(big.changes.rebuild, true);
    assert.deepEqual(big.changes.orders, []);
    db.close();
  } finally {
    await env.cleanup();
  }
});

Deno.test("createIndexer() resumes after a restart without missing or repeating an event", async () => {
  const env = await setup();
  try {
    const market = env.clients[0]!;
    const path = `${env.dir}/state.db`;
    await activity(env, 0);
    const middle = await env.fx.publicClient.getBlockNumber();
    await activity(env, 1);

    // first run: small batches, stopped in the middle of the stream
    let db = openStore(path);
    const first = await createIndexer(market, { store: db.store, batchSize: 3n }).syncOnce({
      toBlock: middle - 2n,
    });
    assert.equal(first.indexedTo, middle - 2n);
    db.close();

    // more happens while the agent is down
    await activity(env, 2);

    // restart: a new indexer over the reopened file continues
    db = openStore(path);
    const second = await createIndexer(market, { store: db.store, batchSize: 4n }).syncOnce();
    const head = await env.fx.publicClient.getBlockNumber();
    assert.equal(second.indexedTo, head);
    assert.ok(second.events > 0);

    // the reference: one full index from scratch
    const fresh = openStore(`${env.dir}/fresh.db`);
    await createIndexer(market, { store: fresh.store, batchSize: 1000n }).syncOnce();
    const addresses = env.fx.accounts.map((a) => a.address);
    const resumed = dump(db.store, addresses);
    assert.deepEqual(resumed, dump(fresh.store, addresses));

    // and the reference agrees with the chain
    const keys = resumed.events.map((e) => `${e.blockNumber}:${e.logIndex}`);
    assert.equal(new Set(keys).size, keys.length);
    const logs = await env.fx.publicClient.getLogs({
      address: [env.fx.addresses.market, env.fx.addresses.blacklist, env.fx.addresses.profiles],
      fromBlock: 0n,
      toBlock: head,
    });
    assert.equal(resumed.events.length, logs.length);
    for (const o of resumed.orders) {
      assert.ok(o !== undefined);
      assert.deepEqual(o, await getOrder(market, { orderId: o.id }));
    }
    for (const d of resumed.deals) assert.deepEqual(d, await getDeal(market, { dealId: d.id }));
    assert.ok(resumed.bills.flat().length >= 3);
    const [, , consumer, worker, master] = env.fx.accounts;
    const views = db.store.marketViews();
    assert.equal(views.masterOf(worker!.address).toLowerCase(), master!.address.toLowerCase());
    assert.equal(views.masterOf(master!.address), master!.address);
    assert.equal(views.levelOf(consumer!.address), 3);
    assert.equal(views.listed(env.fx.accounts[1]!.address, env.fx.accounts[7]!.address), true);
    // the order book for the matcher: the two ASKs whose deals... are taken; none of round 0-2's
    // orders stand, so place one and follow it
    assert.deepEqual(db.store.activeOrders(), []);
    const standing = await placeOrder(env.clients[5]!, { type: "ASK", duration: 0n, price: 5n });
    const indexer = createIndexer(market, { store: db.store });
    await indexer.syncOnce();
    assert.deepEqual(indexer.activeOrders().map((o) => o.id), [standing.orderId]);
    assert.deepEqual(indexer.activeOrders(), await getActiveOrders(market, { pageSize: 1 }));
    assert.equal(indexer.activeOrders()[0]?.counterparty, zeroAddress);
    db.close();
    fresh.close();
  } finally {
    await env.cleanup();
  }
});

Deno.test("createIndexer() follows a reorg back to the canonical chain", async () => {
  const env = await setup();
  try {
    const market = env.clients[0]!;
    await activity(env, 0);
    const db = openStore(`${env.dir}/state.db`);
    const indexer = createIndexer(market, { store: db.store, batchSize: 5n });
    const view = createChangeView();
    view.apply((await indexer.syncOnce()).changes);
    const forkPoint = await env.fx.publicClient.getBlockNumber();

    // a branch that the indexer sees and that then disappears
    const snapshot = await env.fx.testClient.snapshot();
    const orphan = await activity(env, 1);
    const orphanAsk = await placeOrder(env.clients[6]!, { type: "ASK", duration: 0n, price: 77n });
    view.apply((await indexer.syncOnce()).changes);
    assert.ok(db.store.getOrder(orphanAsk.orderId)?.active);
    assert.ok(db.store.getDeal(orphan.deals[0]!) !== undefined);
    await env.fx.testClient.revert({ id: snapshot });
    env.clients = env.newClients();

    // the canonical branch: other transactions, more blocks
    const canonical = await placeOrder(env.clients[8]!, {
      type: "BID",
      duration: 0n,
      price: 1n,
    });
    await activity(env, 2);
    const head = await env.fx.publicClient.getBlockNumber();
    assert.ok(head > forkPoint);

    const r = await indexer.syncOnce();
    assert.ok(r.rolledBackTo !== undefined && r.rolledBackTo <= forkPoint, String(r.rolledBackTo));
    assert.equal(r.indexedTo, head);
    assert.equal(r.changes.reorg, r.rolledBackTo);
    // the orphaned ASK stands no more; the view fed by changes alone agrees with the store
    const addressesNow = env.fx.accounts.map((a) => a.address);
    assert.ok(r.changes.orders.some((o) => o.id === orphanAsk.orderId));
    view.apply(r.changes);
    view.assertEquals(db.store, addressesNow);

    const fresh = openStore(`${env.dir}/fresh.db`);
    await createIndexer(market, { store: fresh.store }).syncOnce();
    const addresses = env.fx.accounts.map((a) => a.address);
    assert.deepEqual(dump(db.store, addresses), dump(fresh.store, addresses));
    // the orphaned ASK id now belongs to the canonical BID
    assert.equal(canonical.orderId, orphan.orders[0]);
    assert.equal(db.store.getOrder(canonical.orderId)?.type, "BID");
    assert.equal(db.store.getOrder(canonical.orderId)?.author, env.fx.accounts[8]!.address);
    db.close();
    fresh.close();
  } finally {
    await env.cleanup();
  }
});

Deno.test("createIndexer() run() follows new blocks until aborted", async () => {
  const env = await setup();
  try {
    const market = env.clients[0]!;
    const db = openStore(`${env.dir}/state.db`);
    const indexer = createIndexer(market, { store: db.store, pollIntervalMs: 20 });
    const controller = new AbortController();
    const errors: unknown[] = [];
    const seen: bigint[] = [];
    const running = indexer.run({
      signal: controller.signal,
      onError: (e) => errors.push(e),
      onSync: (r) => {
        if (r.indexedTo !== undefined) seen.push(r.indexedTo);
      },
    });
    const placed = [];
    for (let i = 0; i < 5; i++) {
      placed.push(
        (await placeOrder(env.clients[1]!, { type: "ASK", duration: 0n, price: 9n }))
          .orderId,
      );
    }
    const head = await env.fx.publicClient.getBlockNumber();
    // wait (bounded) until the loop has caught up with the head
    for (let i = 0; i < 500 && (seen.at(-1) ?? 0n) < head; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    controller.abort();
    await running;
    assert.deepEqual(errors, []);
    assert.equal(seen.at(-1), head);
    assert.deepEqual(indexer.activeOrders().map((o) => o.id), placed);
    assert.deepEqual(indexer.activeOrders(), await getActiveOrders(market, {}));
    db.close();
  } finally {
    await env.cleanup();
  }
});

Deno.test("createIndexer() halves its getLogs range when the node refuses it as too large", async () => {
  const env = await setup();
  const maxRange = 4n;
  let refused = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = await req.text();
    const msg = JSON.parse(body);
    if (msg.method === "eth_getLogs") {
      const p = msg.params[0];
      if (BigInt(p.toBlock) - BigInt(p.fromBlock) + 1n > maxRange) {
        refused++;
        return Response.json({
          jsonrpc: "2.0",
          id: msg.id,
          error: { code: -32005, message: `block range too large: at most ${maxRange} blocks` },
        });
      }
    }
    const res = await fetch(env.fx.anvil.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    return new Response(await res.text(), { headers: { "content-type": "application/json" } });
  });
  try {
    await activity(env, 0);
    const viaProxy = await connectChain({ url: `http://127.0.0.1:${server.addr.port}` });
    const limited = createMarketClient(viaProxy, { addresses: env.fx.addresses });
    const db = openStore(`${env.dir}/state.db`);
    const r = await createIndexer(limited, { store: db.store, batchSize: 1000n }).syncOnce();
    assert.equal(r.indexedTo, await env.fx.publicClient.getBlockNumber());
    assert.ok(refused > 0);
    const fresh = openStore(`${env.dir}/fresh.db`);
    await createIndexer(env.clients[0]!, { store: fresh.store }).syncOnce();
    const addresses = env.fx.accounts.map((a) => a.address);
    assert.deepEqual(dump(db.store, addresses), dump(fresh.store, addresses));
    db.close();
    fresh.close();
  } finally {
    await server.shutdown();
    await env.cleanup();
  }
});
