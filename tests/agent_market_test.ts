/**
 * The agent's market loop end to end: a real anvil with the real market
 * contracts (started by the agent's own `startDevnet`, kept alive across
 * agent restarts), the real agent (`runAgent` in-process, chain given as an
 * RPC so the chain outlives each run), its real sqlite state in a temp dir.
 * The demo consumer trades against it through src/chain's actions.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { parseEventLogs } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import {
  BENCHMARKS,
  createSqliteResultCache,
  discoverHardware,
  hardwareFingerprint,
} from "../src/bench/mod.ts";
import {
  type ChainClient,
  closeDeal,
  connectChain,
  createMarketClient,
  createTxSender,
  formatTokenAmount,
  getActiveOrders,
  getDeal,
  getOrder,
  getRate,
  marketAbi,
  type MarketClient,
  openDeal,
  type OrderState,
  parseUsdPerHour,
  paymentFor,
  placeOrder,
  tokenBalance,
  type WriteMarketClient,
} from "../src/chain/mod.ts";
import { createLogger } from "../src/agent/base/mod.ts";
import { runDealsCommand, runOrdersCommand } from "../src/agent/commands/mod.ts";
import {
  createMarketComponents,
  createMarketReconciler,
  planAsk,
} from "../src/agent/market/mod.ts";
import { type Devnet, startDevnet } from "../src/agent/setup/mod.ts";
import { openState } from "../src/agent/state/mod.ts";
import {
  asksOf,
  createRigKeystore,
  ordersAmount,
  rpc,
  type RunningAgent as Running,
  startAgent,
  until,
  writeRigConfig,
} from "./_fixtures/agent_rig.ts";

const PLAN_PRICE = "0.36"; // USD/h = 1e14 USD-wei per second
const GIB = 2n ** 30n;
const SYSBENCH_SINGLE = BENCHMARKS.find((b) => b.key === "cpu-sysbench-single")!.id;

Deno.test("runAgent() publishes its plan, opens a deal with a matching BID, bills it, and survives restarts", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "agent_market_test_" });
  const quiet = createLogger({ level: "error", write: () => {} });
  let devnet: Devnet | undefined;
  let chain: ChainClient | undefined;
  let agent: Running | undefined;
  try {
    const address = await createRigKeystore(dir);
    devnet = await startDevnet({ logger: quiet, fund: [address] });
    const running = devnet;
    const writeConfig = (price: string) =>
      writeRigConfig(
        dir,
        running,
        `plans:
  - name: cpu-e2e
    price_usd_per_hour: "${price}"
    resources: { cpu_cores: 1.5, ram: 1GiB, storage: 1GiB }
    tag: e2e
`,
      );
    let config = await writeConfig(PLAN_PRICE);
    const dataDir = join(dir, "data");

    // a cached sysbench result, as `sonm-agent bench` leaves it: the ASK must carry it
    const hardware = await discoverHardware({ dataDir: dir });
    {
      const state = openState({ path: join(dataDir, "agent.sqlite") });
      createSqliteResultCache(state.db).put({
        id: SYSBENCH_SINGLE,
        key: "cpu-sysbench-single",
        value: 4321n,
        unit: "events/s",
        status: "measured",
        note: "",
        probe: "sysbench@1",
        measuredAt: Date.now(),
        details: {},
      }, hardwareFingerprint(hardware).hash);
      state.close();
    }

    chain = await connectChain({ url: devnet.rpcUrl, chainId: devnet.chainId });
    const reader: MarketClient = createMarketClient(chain, { addresses: devnet.contracts });
    const consumer = createMarketClient(chain, {
      addresses: devnet.contracts,
      sender: createTxSender(chain, {
        account: privateKeyToAccount(devnet.consumer.privateKey),
        receiptTimeoutMs: 10_000,
      }),
    }) as WriteMarketClient;
    const activeAsks = async () => asksOf(await getActiveOrders(reader), address);

    agent = await startAgent(config, hardware);
    let ask!: OrderState;

    await t.step(
      "the plan's ASK goes on chain with its price, netflags, tag and benchmarks",
      async () => {
        ask = await until("the plan's ASK", async () => (await activeAsks())[0]);
        assert.equal(ask.price, parseUsdPerHour(PLAN_PRICE));
        assert.equal(ask.duration, 0n);
        assert.deepEqual([...ask.netflags], [false, true, false]);
        assert.equal(ask.tag, `0x653265${"00".repeat(29)}`, 'tag "e2e", utf-8, right-padded');
        assert.equal(ask.benchmarks[SYSBENCH_SINGLE], 4321n, "the cached sysbench result");
        assert.equal(ask.benchmarks[2], 1n, "cpu-cores: floor(1.5)");
        assert.equal(ask.benchmarks[3], GIB, "ram-size");
        assert.equal(ask.benchmarks[4], GIB, "storage-size");
        assert.equal(ask.benchmarks[7] ?? 0n, 0n, "gpu-count");
        assert.ok(ask.benchmarks.length <= 15, "only ids below benchmarksQuantity");
        assert.equal((await activeAsks()).length, 1);
      },
    );

    await t.step("a BID priced below the ASK gets no deal", async () => {
      const { orderId } = await placeOrder(consumer, {
        type: "BID",
        duration: 0n,
        price: parseUsdPerHour("0.10"),
        netflags: [false, true, false],
        benchmarks: [0n, 0n, 1n],
      });
      await agent!.ready.settled();
      const bid = await getOrder(reader, { orderId });
      assert.equal(bid?.active, true);
      assert.equal(bid?.dealId, 0n);
      assert.equal((await getOrder(reader, { orderId: ask.id }))?.active, true);
    });

    await t.step("a restart keeps the recorded ASK: no duplicate", async () => {
      const before = await ordersAmount(reader);
      await agent!.stop();
      agent = await startAgent(config, hardware);
      await agent!.ready.settled();
      assert.equal(await ordersAmount(reader), before);
      assert.deepEqual((await activeAsks()).map((o) => o.id), [ask.id]);
    });

    await t.step(
      "an ASK placed but not recorded (crash) is adopted, not placed again",
      async () => {
        await agent!.stop();
        const db = new DatabaseSync(join(dataDir, "agent.sqlite"));
        db.exec("DELETE FROM plan_orders");
        db.close();
        const before = await ordersAmount(reader);
        agent = await startAgent(config, hardware);
        await agent!.ready.settled();
        assert.equal(await ordersAmount(reader), before);
        assert.deepEqual((await activeAsks()).map((o) => o.id), [ask.id]);
        assert.ok(agent.logs.some((l) => String(l.msg).includes("adopted")));
        const { orders } = await runOrdersCommand({ dataDir });
        assert.deepEqual(
          orders.map((o) => [o.orderId, o.plan, o.status, o.current, o.usdPerHour]),
          [[ask.id.toString(), "cpu-e2e", "active", true, PLAN_PRICE]],
        );
      },
    );

    let dealId = 0n;
    await t.step("a matching BID gets a deal opened by the agent at the ASK's price", async () => {
      const { orderId: bidId } = await placeOrder(consumer, {
        type: "BID",
        duration: 0n,
        price: parseUsdPerHour("0.50"),
        netflags: [false, true, false],
        benchmarks: [0n, 1000n, 1n, GIB / 2n],
      });
      dealId = await until("the deal", async () => {
        const bid = await getOrder(reader, { orderId: bidId });
        return bid !== undefined && bid.dealId !== 0n ? bid.dealId : undefined;
      }, 10_000);
      const deal = await getDeal(reader, { dealId });
      assert.equal(deal?.askId, ask.id);
      assert.equal(deal?.bidId, bidId);
      assert.equal(deal?.price, ask.price);
      assert.equal(deal?.supplier.toLowerCase(), address.toLowerCase());
      assert.equal(deal?.status, "ACCEPTED");
    });

    await t.step(
      "after an hour of chain time a bill pays the agent exactly paymentFor",
      async () => {
        const before = await getDeal(reader, { dealId });
        const { balance } = await tokenBalance(reader, { who: address });
        const fromBlock = await chain!.public.getBlockNumber({ cacheTime: 0 });
        await rpc(devnet!, "evm_increaseTime", [3600]);
        await rpc(devnet!, "evm_mine", []);
        const billed = await until("a Billed event", async () => {
          const logs = await chain!.public.getLogs({
            address: devnet!.contracts.market,
            fromBlock,
          });
          return parseEventLogs({ abi: marketAbi, logs, eventName: "Billed" })
            .find((l) => l.args.dealId === dealId);
        }, 15_000);
        const block = await chain!.public.getBlock({ blockNumber: billed.blockNumber });
        const rate = await getRate(reader, {});
        const expected = paymentFor({
          price: before!.price,
          seconds: block.timestamp - before!.lastBillTime,
          rate,
        });
        assert.ok(block.timestamp - before!.lastBillTime >= 3600n);
        assert.equal(billed.args.paidAmount, expected);
        assert.equal(
          (await tokenBalance(reader, { who: address, blockNumber: billed.blockNumber })).balance,
          balance + expected,
        );
      },
    );

    await t.step(
      "a restart still knows the deal, and places no ASK while the deal runs",
      async () => {
        await agent!.stop();
        const before = await ordersAmount(reader);
        agent = await startAgent(config, hardware);
        await agent!.ready.settled();
        assert.equal(await ordersAmount(reader), before);
        assert.deepEqual(await activeAsks(), []);
        const { deals } = await runDealsCommand({ dataDir });
        assert.equal(deals.length, 1);
        const d = deals[0]!;
        assert.equal(d.dealId, dealId.toString());
        assert.equal(d.plan, "cpu-e2e");
        assert.equal(d.status, "ACCEPTED");
        assert.equal(d.usdPerHour, PLAN_PRICE);
        assert.ok(d.bills >= 1);
        const onChain = await getDeal(reader, { dealId });
        assert.equal(d.paid, formatTokenAmount(onChain!.totalPayout));
      },
    );

    let secondAsk!: OrderState;
    await t.step("when the consumer closes the deal, the plan's ASK comes back", async () => {
      await closeDeal(consumer, { dealId });
      secondAsk = await until("a new ASK", async () => (await activeAsks())[0]);
      assert.notEqual(secondAsk.id, ask.id);
      assert.equal(secondAsk.price, parseUsdPerHour(PLAN_PRICE));
    });

    await t.step("a changed plan's ASK is cancelled and replaced at the new price", async () => {
      await agent!.stop();
      config = await writeConfig("0.40");
      agent = await startAgent(config, hardware);
      const third = await until("the re-priced ASK", async () => {
        const asks = await activeAsks();
        return asks.length === 1 && asks[0]!.id !== secondAsk.id ? asks[0] : undefined;
      });
      assert.equal(third.price, parseUsdPerHour("0.40"));
      assert.equal((await getOrder(reader, { orderId: secondAsk.id }))?.active, false);
      await agent!.ready.settled();
      const { orders } = await runOrdersCommand({ dataDir });
      const current = orders.filter((o) => o.current);
      assert.deepEqual(current.map((o) => o.orderId), [third.id.toString()]);
      assert.equal(
        orders.find((o) => o.orderId === secondAsk.id.toString())?.retireReason,
        "changed",
      );
    });
  } finally {
    await agent?.stop();
    await chain?.close();
    await devnet?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runAgent() closes a forward deal at its end, paid in full, and offers the plan again", async () => {
  const dir = await Deno.makeTempDir({ prefix: "agent_market_test_" });
  const quiet = createLogger({ level: "error", write: () => {} });
  let devnet: Devnet | undefined;
  let chain: ChainClient | undefined;
  let agent: Running | undefined;
  try {
    const address = await createRigKeystore(dir);
    devnet = await startDevnet({ logger: quiet, fund: [address] });
    const config = await writeRigConfig(
      dir,
      devnet,
      `plans:
  - name: fwd
    price_usd_per_hour: "1.8"
    duration: 4h
    resources: { cpu_cores: 1, ram: 512MiB }
`,
    );
    const hardware = await discoverHardware({ dataDir: dir });
    chain = await connectChain({ url: devnet.rpcUrl, chainId: devnet.chainId });
    const reader: MarketClient = createMarketClient(chain, { addresses: devnet.contracts });
    const consumer = createMarketClient(chain, {
      addresses: devnet.contracts,
      sender: createTxSender(chain, {
        account: privateKeyToAccount(devnet.consumer.privateKey),
        receiptTimeoutMs: 10_000,
      }),
    }) as WriteMarketClient;
    const activeAsks = async () => asksOf(await getActiveOrders(reader), address);

    agent = await startAgent(config, hardware);
    const ask = await until("the forward ASK", async () => (await activeAsks())[0]);
    assert.equal(ask.duration, 4n * 3600n);

    // a one-hour BID on the four-hour ASK: a one-hour forward deal at the ASK's price
    const { orderId: bidId } = await placeOrder(consumer, {
      type: "BID",
      duration: 3600n,
      price: parseUsdPerHour("2"),
      benchmarks: [0n, 0n, 1n],
    });
    const dealId = await until("the deal", async () => {
      const bid = await getOrder(reader, { orderId: bidId });
      return bid !== undefined && bid.dealId !== 0n ? bid.dealId : undefined;
    }, 10_000);
    const opened = await getDeal(reader, { dealId });
    assert.equal(opened?.duration, 3600n);
    assert.equal(opened?.endTime, opened!.startTime + 3600n);

    await rpc(devnet, "evm_increaseTime", [3700]);
    await rpc(devnet, "evm_mine", []);
    const closed = await until("the closed deal", async () => {
      const d = await getDeal(reader, { dealId });
      return d?.status === "CLOSED" ? d : undefined;
    }, 15_000);
    const rate = await getRate(reader, {});
    assert.equal(
      closed.totalPayout,
      paymentFor({ price: ask.price, seconds: 3600n, rate }),
      "paid for exactly the deal's hour, not the 100 s after its end",
    );
    assert.ok(agent.logs.some((l) => l.msg === "closed deal at its end"));
    const next = await until("the plan's next ASK", async () => (await activeAsks())[0]);
    assert.notEqual(next.id, ask.id);
  } finally {
    await agent?.stop();
    await chain?.close();
    await devnet?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createMarketReconciler() skips a BID another supplier took first and keeps trading", async () => {
  const dir = await Deno.makeTempDir({ prefix: "agent_market_test_" });
  const quiet = createLogger({ level: "error", write: () => {} });
  let devnet: Devnet | undefined;
  let chain: ChainClient | undefined;
  let state: ReturnType<typeof openState> | undefined;
  try {
    const account = privateKeyToAccount(generatePrivateKey());
    devnet = await startDevnet({ logger: quiet, fund: [account.address] });
    chain = await connectChain({ url: devnet.rpcUrl, chainId: devnet.chainId });
    state = openState({ path: join(dir, "agent.sqlite") });
    const logs: Record<string, unknown>[] = [];
    const logger = createLogger({
      level: "debug",
      format: "json",
      write: (line) => logs.push(JSON.parse(line)),
    });
    const writer = (key: `0x${string}`) =>
      createMarketClient(chain!, {
        addresses: devnet!.contracts,
        sender: createTxSender(chain!, { account: privateKeyToAccount(key) }),
      }) as WriteMarketClient;
    const consumer = writer(devnet.consumer.privateKey);
    const rival = writer(devnet.deployer.privateKey);
    const components = await createMarketComponents(
      { chain, account, db: state.db, logger },
      { addresses: devnet.contracts },
    );
    const { benchmarksQuantity } = components.parameters;
    const loop = createMarketReconciler({ ...components, logger }, {
      planned: [
        planAsk({
          name: "race",
          priceUsdPerHour: "0.30",
          duration: "spot",
          resources: {
            cpuCores: 1,
            ramBytes: 2 ** 30,
            storageBytes: 0,
            gpus: [],
            net: { overlay: false, outbound: true, incoming: false },
          },
          identityLevel: 0,
          counterparty: undefined,
          blacklist: undefined,
          tag: "",
        }, { rig: { threads: 1, gpus: [] }, benchmarksQuantity }),
      ],
    });
    const first = await loop.step();
    assert.equal(first.placed.length, 1);
    const askId = first.placed[0]!;

    const bid = { type: "BID" as const, duration: 0n, price: parseUsdPerHour("0.50") };
    const { orderId: bidId } = await placeOrder(consumer, bid);
    await loop.sync();
    // another supplier takes the BID after the agent indexed it
    const { orderId: rivalAsk } = await placeOrder(rival, {
      type: "ASK",
      duration: 0n,
      price: parseUsdPerHour("0.20"),
    });
    await openDeal(rival, { askId: rivalAsk, bidId });

    const raced = await loop.step();
    assert.deepEqual(raced.dealsOpened, []);
    assert.equal(raced.failures, 0);
    const refusal = logs.find((l) => l.msg === "lost the race for a BID: an order was taken first");
    assert.equal(refusal?.contractError, "OrderNotActive");
    assert.equal(refusal?.bidId, bidId.toString());
    assert.equal((await getOrder(components.market, { orderId: askId }))?.active, true);

    const { orderId: nextBid } = await placeOrder(consumer, bid);
    await loop.sync();
    const traded = await loop.step();
    assert.equal(traded.dealsOpened.length, 1);
    const deal = await getDeal(components.market, { dealId: traded.dealsOpened[0]! });
    assert.deepEqual([deal?.askId, deal?.bidId], [askId, nextBid]);
    await loop.stop();
  } finally {
    state?.close();
    await chain?.close();
    await devnet?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
