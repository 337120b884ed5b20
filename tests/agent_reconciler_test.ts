/**
 * The market reconciler on a real anvil with the real contracts: it idles
 * when the chain does, wakes on a fitting BID, and parks a BID its consumer
 * cannot pay for until an event changes things (never a gas estimate per
 * poll).
 */
import assert from "node:assert/strict";
import { parseEventLogs } from "viem";
import {
  approveToken,
  blacklistAbi,
  type ChainClient,
  getDeal,
  getOrder,
  getRate,
  marketAbi,
  oracleAbi,
  parseUsdPerHour,
  placeOrder,
  type WriteMarketClient,
} from "../src/chain/mod.ts";
import {
  assignBids,
  createMarketComponents,
  createMarketReconciler,
  type MarketComponents,
  type MarketReconciler,
  planAsk,
} from "../src/agent/market/mod.ts";
import type { Devnet } from "../src/agent/setup/mod.ts";
import { ordersAmount, rpc, until } from "./_fixtures/agent_rig.ts";
import { collectingLogger, spotCpuPlan, startMarketDevnet } from "./_fixtures/market_rig.ts";

type Rig = {
  devnet: Devnet;
  chain: ChainClient;
  components: MarketComponents;
  reconciler: MarketReconciler;
  logs: Record<string, unknown>[];
  consumer: WriteMarketClient;
  deployer: WriteMarketClient;
  close(): Promise<void>;
};

/** A devnet, a fresh agent key, its components and reconciler (not started), `plans` spot plans. */
async function rig(plans = 1): Promise<Rig> {
  const market = await startMarketDevnet("core-reconciler-");
  const { devnet, chain, account, state } = market;
  const { logs, logger } = collectingLogger();
  const components = await createMarketComponents(
    { chain, account, db: state.db, logger },
    { addresses: devnet.contracts, pollIntervalMs: 50 },
  );
  const reconciler = createMarketReconciler({ ...components, logger }, {
    planned: Array.from(
      { length: plans },
      (_, i) =>
        planAsk(spotCpuPlan({ name: i === 0 ? "cpu" : `cpu-${i}`, priceUsdPerHour: "0.30" }), {
          rig: { threads: 1, gpus: [] },
          benchmarksQuantity: components.parameters.benchmarksQuantity,
        }),
    ),
  });
  return {
    devnet,
    chain,
    components,
    reconciler,
    logs,
    consumer: market.writer(devnet.consumer.privateKey),
    deployer: market.writer(devnet.deployer.privateKey),
    async close() {
      await reconciler.stop();
      await market.close();
    },
  };
}

Deno.test("createMarketReconciler() runs no step while the chain is idle, and wakes on a fitting BID", async () => {
  const r = await rig();
  try {
    const controller = new AbortController();
    r.reconciler.start({ signal: controller.signal });
    await until(
      "the ASK in the view",
      () => Promise.resolve(r.components.view.ownAsks().size === 1 ? true : undefined),
    );
    // the ASK's own block indexed and served
    await until("the head indexed", async () => {
      const head = await r.chain.public.getBlockNumber();
      return (r.components.store.lastIndexed()?.number ?? -1n) >= head ? true : undefined;
    });
    await r.reconciler.scheduler.idle();
    const before = new Map(r.reconciler.scheduler.runs());
    // 20 indexer polls of the idle chain, as the chain health records each one
    const polls = new Set<number>();
    await until("20 polls of the idle chain", () => {
      const seenAt = r.reconciler.health.current().seenAt;
      if (seenAt !== undefined) polls.add(seenAt);
      return Promise.resolve(polls.size >= 20 ? true : undefined);
    });
    assert.deepEqual(new Map(r.reconciler.scheduler.runs()), before, "no step ran while idle");

    const { orderId: bidId } = await placeOrder(r.consumer, {
      type: "BID",
      duration: 0n,
      price: parseUsdPerHour("0.50"),
    });
    const dealId = await until("the deal", async () => {
      const bid = await getOrder(r.components.market, { orderId: bidId });
      return bid !== undefined && bid.dealId !== 0n ? bid.dealId : undefined;
    }, 10_000);
    assert.ok(dealId > 0n);
    assert.ok(
      (r.reconciler.scheduler.runs().get("open-deals") ?? 0) > (before.get("open-deals") ?? 0),
    );
    controller.abort();
  } finally {
    await r.close();
  }
});

Deno.test("createMarketReconciler() parks a BID its consumer cannot pay for, logs it once, and serves it after an event", async () => {
  const r = await rig();
  try {
    const first = await r.reconciler.step();
    assert.equal(first.placed.length, 1);
    const { orderId: bidId } = await placeOrder(r.consumer, {
      type: "BID",
      duration: 0n,
      price: parseUsdPerHour("0.50"),
    });
    // the token got dearer since the BID froze its funds, and the consumer revoked its allowance:
    // opening now needs a transferFrom the consumer no longer allows
    const rate = await getRate(r.components.market, {});
    await r.deployer.sender.writeContract({
      address: r.devnet.contracts.oracle,
      abi: oracleAbi,
      functionName: "setRate",
      args: [rate * 4n],
    });
    await approveToken(r.consumer, { amount: 0n });
    await r.reconciler.sync();

    const failed = await r.reconciler.step();
    assert.deepEqual(failed.dealsOpened, []);
    assert.equal(failed.failures, 1);
    const blocked = r.logs.filter((l) => String(l.msg).startsWith("cannot open deal"));
    assert.equal(blocked.length, 1);
    assert.equal(blocked[0]!.level, "error");
    assert.equal(blocked[0]!.msg, "cannot open deal: the BID is blocked until its state changes");
    assert.equal(blocked[0]!.contractError, "ERC20InsufficientAllowance");
    assert.equal(blocked[0]!.bidId, bidId.toString());

    // blocks with unrelated events and more steps: the BID is not tried again
    await placeOrder(r.deployer, { type: "ASK", duration: 0n, price: parseUsdPerHour("9") });
    await r.reconciler.sync();
    for (let i = 0; i < 3; i++) {
      const again = await r.reconciler.step();
      assert.equal(again.failures, 0);
    }
    assert.equal(r.logs.filter((l) => String(l.msg).startsWith("cannot open deal")).length, 1);

    // the consumer approves again and edits its blacklist: an event that may clear the block
    await approveToken(r.consumer, {});
    await r.consumer.sender.writeContract({
      address: r.devnet.contracts.blacklist,
      abi: blacklistAbi,
      functionName: "add",
      args: ["0x000000000000000000000000000000000000dEaD"],
    });
    await r.reconciler.sync();
    const served = await r.reconciler.step();
    assert.equal(served.dealsOpened.length, 1);
  } finally {
    await r.close();
  }
});

Deno.test("createMarketReconciler() sends the openDeals of all its free plans into one block", async () => {
  const r = await rig(3);
  try {
    const placed = await r.reconciler.step();
    assert.equal(placed.placed.length, 3);
    const bids = [];
    for (let i = 0; i < 3; i++) {
      const bid = { type: "BID" as const, duration: 0n, price: parseUsdPerHour("0.50") };
      bids.push((await placeOrder(r.consumer, bid)).orderId);
    }
    await r.reconciler.sync();
    await rpc(r.devnet, "evm_setAutomine", [false]); // a block only when all three wait in the pool
    const stepping = r.reconciler.step();
    await until("three openDeals in the pool", async () => {
      const status = await rpc(r.devnet, "txpool_status", []) as { pending: string };
      return Number(status.pending) === 3 ? true : undefined;
    });
    await rpc(r.devnet, "evm_mine", []);
    const report = await stepping;
    await rpc(r.devnet, "evm_setAutomine", [true]);
    assert.equal(report.dealsOpened.length, 3);
    assert.equal(report.racesLost, 0);
    const logs = await r.chain.public.getLogs({
      address: r.devnet.contracts.market,
      fromBlock: 0n,
    });
    const opened = parseEventLogs({ abi: marketAbi, logs, eventName: "DealOpened" });
    assert.equal(opened.length, 3);
    assert.equal(new Set(opened.map((l) => l.blockNumber)).size, 1, "three deals, one block");
    for (const orderId of bids) {
      const bid = await getOrder(r.components.market, { orderId });
      assert.ok(opened.some((l) => l.args.dealId === bid!.dealId));
    }
  } finally {
    await r.close();
  }
});

Deno.test("createMarketReconciler() leaves a BID to the ASK designated to it for 2 blocks, then takes it", async () => {
  const r = await rig();
  try {
    const placed = await r.reconciler.step();
    const ours = placed.placed[0]!;
    // another supplier's ASK that fits as well as ours, and whose rig never acts (down)
    const price = parseUsdPerHour("0.30");
    const { orderId: theirs } = await placeOrder(r.deployer, { type: "ASK", duration: 0n, price });
    // the next BID id designated to their ASK (each rig computes the same): bump ids until it is
    const designatedToThem = (bidId: bigint) =>
      assignBids({
        me: r.components.market.sender.address,
        own: new Map([[ours, [bidId]]]),
        bids: new Map([[bidId, { price: 1n, contenders: [ours, theirs] }]]),
      }).deferred.get(bidId) === theirs;
    while (!designatedToThem(await ordersAmount(r.components.market) + 1n)) {
      await placeOrder(r.consumer, { type: "BID", duration: 0n, price: 1n }); // fits no ASK
    }
    const { orderId: bidId } = await placeOrder(r.consumer, {
      type: "BID",
      duration: 0n,
      price: parseUsdPerHour("0.50"),
    });
    await r.reconciler.sync();
    const left = await r.reconciler.step();
    assert.deepEqual(left.dealsOpened, [], "the BID was taken from its designated ASK");
    assert.equal(left.racesLost, 0);

    await rpc(r.devnet, "evm_mine", []);
    await r.reconciler.sync();
    assert.deepEqual((await r.reconciler.step()).dealsOpened, [], "one block is within the grace");
    await rpc(r.devnet, "evm_mine", []);
    await r.reconciler.sync();
    const taken = await r.reconciler.step();
    assert.equal(taken.dealsOpened.length, 1, "two blocks later their ASK counts as idle");
    const deal = await getDeal(r.components.market, { dealId: taken.dealsOpened[0]! });
    assert.deepEqual([deal?.askId, deal?.bidId], [ours, bidId]);
  } finally {
    await r.close();
  }
});
