/**
 * The agent on a second node implementation, not only anvil: Hardhat 3 (its
 * EDR engine, from npm, under Node 22), installed by `scripts/setup.sh --test`
 * into build/hardhat-node/. The real contracts deployed by the project's
 * deploy code, the real agent pointed at the node as an RPC chain: its ASK,
 * a BID that gets no deal and one that does, a bill exact to the wei after
 * an hour of chain time, a restart that keeps the deal and places nothing,
 * the ASK back when the consumer closes the deal; and a BID lost to another
 * supplier. Skipped, with the reason, only where Hardhat is not installed
 * (never under scripts/test.sh or CI=true: there it fails).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseEventLogs } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { discoverHardware } from "../src/bench/mod.ts";
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
import { runDealsCommand } from "../src/agent/commands/mod.ts";
import {
  createMarketComponents,
  createMarketReconciler,
  planAsk,
} from "../src/agent/market/mod.ts";
import { openState } from "../src/agent/state/mod.ts";
import {
  asksOf,
  createRigKeystore,
  ordersAmount,
  rpc,
  type RunningAgent,
  startAgent,
  until,
  writeRigConfig,
} from "./_fixtures/agent_rig.ts";
import { type HardhatDevnet, hardhatMissing, startHardhatDevnet } from "./_fixtures/hardhat.ts";

const missing = hardhatMissing();
// scripts/test.sh (what CI runs) installs Hardhat and sets SONM_REQUIRE_HARDHAT: never a skip there
const required = Deno.env.get("SONM_REQUIRE_HARDHAT") === "1" || Deno.env.get("CI") === "true";
if (missing !== undefined && !required) {
  // deno-lint-ignore no-console -- the reason a test is skipped, where the skip shows
  console.warn(`agent_hardhat_test: skipped: ${missing}`);
}
/** Runs where Hardhat is installed; where it is required, it runs (and fails) regardless. */
const ignore = missing !== undefined && !required;

const PLAN_PRICE = "0.36";
const PLAN = `plans:
  - name: cpu-hardhat
    price_usd_per_hour: "${PLAN_PRICE}"
    resources: { cpu_cores: 1, ram: 1GiB, storage: 1GiB }
`;

/**
 * Lines at warn or above: a node the agent supports causes none in a plain
 * market flow (the rig's own "no relay configured" is about NAT, not the node).
 */
const noisy = (logs: Record<string, unknown>[]) =>
  logs.filter((l) => (l.level === "warn" || l.level === "error") && l.component !== "agent:nat");

Deno.test({
  name: "on Hardhat 3 (EDR): ASK, BID, deal, an exact bill, a restart, the ASK back",
  ignore,
  fn: async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "agent_hardhat_test_" });
    let devnet: HardhatDevnet | undefined;
    let chain: ChainClient | undefined;
    let agent: RunningAgent | undefined;
    const timings: Record<string, number> = {};
    const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      try {
        return await fn();
      } finally {
        timings[what] = Math.round(performance.now() - t0);
      }
    };
    try {
      const address = await createRigKeystore(dir);
      devnet = await startHardhatDevnet({ fund: [address] });
      const running = devnet;
      const config = await writeRigConfig(dir, running, PLAN);
      const dataDir = join(dir, "data");
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
      const allLogs: Record<string, unknown>[][] = [];

      agent = await timed("agent ready", () => startAgent(config, hardware));
      allLogs.push(agent.logs);
      let ask!: OrderState;
      await t.step("the plan's ASK goes on chain at its price", async () => {
        ask = await timed(
          "ASK on chain",
          () => until("the ASK", async () => (await activeAsks())[0]),
        );
        assert.equal(ask.price, parseUsdPerHour(PLAN_PRICE));
        assert.equal(ask.duration, 0n);
        assert.equal((await activeAsks()).length, 1);
      });

      await t.step("a BID priced below the ASK gets no deal", async () => {
        const { orderId } = await placeOrder(consumer, {
          type: "BID",
          duration: 0n,
          price: parseUsdPerHour("0.10"),
          benchmarks: [0n, 0n, 1n],
        });
        await agent!.ready.settled();
        const bid = await getOrder(reader, { orderId });
        assert.equal(bid?.active, true);
        assert.equal(bid?.dealId, 0n);
      });

      let dealId = 0n;
      await t.step(
        "a matching BID gets a deal opened by the agent at the ASK's price",
        async () => {
          const { orderId: bidId } = await placeOrder(consumer, {
            type: "BID",
            duration: 0n,
            price: parseUsdPerHour("0.50"),
            benchmarks: [0n, 0n, 1n],
          });
          dealId = await timed("BID to deal", () =>
            until("the deal", async () => {
              const bid = await getOrder(reader, { orderId: bidId });
              return bid !== undefined && bid.dealId !== 0n ? bid.dealId : undefined;
            }, 10_000));
          const deal = await getDeal(reader, { dealId });
          assert.equal(deal?.askId, ask.id);
          assert.equal(deal?.bidId, bidId);
          assert.equal(deal?.price, ask.price);
          assert.equal(deal?.supplier.toLowerCase(), address.toLowerCase());
          assert.equal(deal?.status, "ACCEPTED");
        },
      );

      await t.step(
        "after an hour of chain time a bill pays the agent exactly paymentFor",
        async () => {
          const before = await getDeal(reader, { dealId });
          const { balance } = await tokenBalance(reader, { who: address });
          const fromBlock = await chain!.public.getBlockNumber({ cacheTime: 0 });
          await rpc(running, "evm_increaseTime", [3600]);
          await rpc(running, "evm_mine", []);
          const billed = await timed("hour to bill", () =>
            until("a Billed event", async () => {
              const logs = await chain!.public.getLogs({
                address: running.contracts.market,
                fromBlock,
              });
              return parseEventLogs({ abi: marketAbi, logs, eventName: "Billed" })
                .find((l) => l.args.dealId === dealId);
            }, 15_000));
          const block = await chain!.public.getBlock({ blockNumber: billed.blockNumber });
          const seconds = block.timestamp - before!.lastBillTime;
          assert.ok(seconds >= 3600n, `billed ${seconds} s`);
          const expected = paymentFor({
            price: before!.price,
            seconds,
            rate: await getRate(reader, {}),
          });
          assert.equal(billed.args.paidAmount, expected);
          assert.equal(
            (await tokenBalance(reader, { who: address, blockNumber: billed.blockNumber })).balance,
            balance + expected,
          );
        },
      );

      await t.step("a restart still knows the deal, and places no ASK while it runs", async () => {
        await agent!.stop();
        const before = await ordersAmount(reader);
        agent = await timed("restart to ready", () => startAgent(config, hardware));
        allLogs.push(agent.logs);
        await agent.ready.settled();
        assert.equal(await ordersAmount(reader), before);
        assert.deepEqual(await activeAsks(), []);
        const { deals } = await runDealsCommand({ dataDir });
        assert.deepEqual(deals.map((d) => [d.dealId, d.plan, d.status]), [
          [dealId.toString(), "cpu-hardhat", "ACCEPTED"],
        ]);
        assert.ok(deals[0]!.bills >= 1);
        assert.equal(
          deals[0]!.paid,
          formatTokenAmount((await getDeal(reader, { dealId }))!.totalPayout),
        );
      });

      await t.step("when the consumer closes the deal, the plan's ASK comes back", async () => {
        await closeDeal(consumer, { dealId });
        const next = await timed(
          "close to next ASK",
          () => until("a new ASK", async () => (await activeAsks())[0]),
        );
        assert.notEqual(next.id, ask.id);
        assert.equal(next.price, parseUsdPerHour(PLAN_PRICE));
        await agent!.stop();
        agent = undefined;
      });

      assert.deepEqual(allLogs.flatMap(noisy), [], "no warnings on Hardhat");
      // the figures for the closing note (not asserted: timings vary)
      // deno-lint-ignore no-console -- a figure the issue asks for, printed for the report
      console.log(
        `hardhat: node up ${devnet.startMs.node} ms, deploy+fund ${devnet.startMs.deploy} ms; ${
          Object.entries(timings).map(([k, v]) => `${k} ${v} ms`).join(", ")
        }`,
      );
    } finally {
      await agent?.stop().catch(() => {});
      await chain?.close();
      await devnet?.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "on Hardhat 3 (EDR): a BID another supplier took first is a lost race, and trading goes on",
  ignore,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "agent_hardhat_race_" });
    let devnet: HardhatDevnet | undefined;
    let chain: ChainClient | undefined;
    let state: ReturnType<typeof openState> | undefined;
    try {
      const account = privateKeyToAccount(generatePrivateKey());
      devnet = await startHardhatDevnet({ fund: [account.address] });
      const running = devnet;
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
          addresses: running.contracts,
          sender: createTxSender(chain!, { account: privateKeyToAccount(key) }),
        }) as WriteMarketClient;
      const consumer = writer(devnet.consumer.privateKey);
      const rival = writer(devnet.deployer.privateKey);
      const components = await createMarketComponents(
        { chain, account, db: state.db, logger },
        { addresses: devnet.contracts },
      );
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
          }, {
            rig: { threads: 1, gpus: [] },
            benchmarksQuantity: components.parameters.benchmarksQuantity,
          }),
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
      const refusal = logs.find((l) =>
        l.msg === "lost the race for a BID: an order was taken first"
      );
      assert.equal(refusal?.contractError, "OrderNotActive", JSON.stringify(logs.slice(-5)));
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
  },
});
