/**
 * The market reconciler on a real anvil with the real contracts: it idles
 * when the chain does, wakes on a fitting BID, and parks a BID its consumer
 * cannot pay for until an event changes things (never a gas estimate per
 * poll).
 */
import assert from "node:assert/strict";
import {
  approveToken,
  blacklistAbi,
  type ChainClient,
  getOrder,
  getRate,
  oracleAbi,
  parseUsdPerHour,
  placeOrder,
  type WriteMarketClient,
} from "../src/chain/mod.ts";
import {
  createMarketComponents,
  createMarketReconciler,
  type MarketComponents,
  type MarketReconciler,
  planAsk,
} from "../src/agent/market/mod.ts";
import type { Devnet } from "../src/agent/setup/mod.ts";
import { until } from "./_fixtures/agent_rig.ts";
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

/** A devnet, a fresh agent key, its components and reconciler (not started). */
async function rig(): Promise<Rig> {
  const market = await startMarketDevnet("core-reconciler-");
  const { devnet, chain, account, state } = market;
  const { logs, logger } = collectingLogger();
  const components = await createMarketComponents(
    { chain, account, db: state.db, logger },
    { addresses: devnet.contracts, pollIntervalMs: 50 },
  );
  const reconciler = createMarketReconciler({ ...components, logger }, {
    planned: [
      planAsk(spotCpuPlan({ name: "cpu", priceUsdPerHour: "0.30" }), {
        rig: { threads: 1, gpus: [] },
        benchmarksQuantity: components.parameters.benchmarksQuantity,
      }),
    ],
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("createMarketReconciler() runs no step while the chain is idle, and wakes on a fitting BID", async () => {
  const r = await rig();
  try {
    const controller = new AbortController();
    r.reconciler.start({ signal: controller.signal });
    await until(
      "the ASK in the view",
      () => Promise.resolve(r.components.view.ownAsks().size === 1 ? true : undefined),
    );
    await sleep(500); // the ASK's own block has been served
    await r.reconciler.scheduler.idle();
    const before = new Map(r.reconciler.scheduler.runs());
    await sleep(1_000); // about 20 indexer polls of an idle chain
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
