/**
 * The state's chain identity on real anvils with the real contracts: a
 * restart after many blocks resumes; the same data directory on another RPC
 * chain is refused (naming both); the embedded devnet starts afresh.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import { discoverHardware } from "../src/bench/mod.ts";
import {
  type ChainClient,
  connectChain,
  createMarketClient,
  createTxSender,
  getActiveOrders,
  getOrder,
  type MarketClient,
  parseUsdPerHour,
  placeOrder,
  type WriteMarketClient,
} from "../src/chain/mod.ts";
import { ChainIdentityError, createLogger } from "../src/agent/base/mod.ts";
import { runOrdersCommand } from "../src/agent/commands/mod.ts";
import { loadConfig } from "../src/agent/config/mod.ts";
import { type Devnet, startDevnet } from "../src/agent/setup/mod.ts";
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

const PLAN = `plans:
  - name: cpu
    price_usd_per_hour: "0.30"
    resources: { cpu_cores: 1, ram: 512MiB }
`;

Deno.test("runAgent() resumes after 150 blocks while down, and refuses the same state on another chain", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "core-identity-" });
  const quiet = createLogger({ level: "error", write: () => {} });
  let devnet: Devnet | undefined;
  let other: Devnet | undefined;
  let chain: ChainClient | undefined;
  let agent: RunningAgent | undefined;
  try {
    const address = await createRigKeystore(dir);
    devnet = await startDevnet({ logger: quiet, fund: [address] });
    const config = await writeRigConfig(dir, devnet, PLAN);
    const hardware = await discoverHardware({ dataDir: dir });
    chain = await connectChain({ url: devnet.rpcUrl, chainId: devnet.chainId });
    const reader: MarketClient = createMarketClient(chain, { addresses: devnet.contracts });
    const consumer = createMarketClient(chain, {
      addresses: devnet.contracts,
      sender: createTxSender(chain, { account: privateKeyToAccount(devnet.consumer.privateKey) }),
    }) as WriteMarketClient;
    const ownAsks = async () => asksOf(await getActiveOrders(reader), address);

    agent = await startAgent(config, hardware);
    const ask = await until("the plan's ASK", async () => (await ownAsks())[0]);

    await t.step(
      "a restart after 150 blocks catches up and trades a BID placed meanwhile",
      async () => {
        await agent!.stop();
        agent = undefined;
        const { orderId: bidId } = await placeOrder(consumer, {
          type: "BID",
          duration: 0n,
          price: parseUsdPerHour("0.50"),
        });
        await rpc(devnet!, "anvil_mine", ["0x96"]);
        const before = await ordersAmount(reader);
        const head = await chain!.public.getBlockNumber({ cacheTime: 0 });
        agent = await startAgent(config, hardware);
        const synced = agent.logs.find((l) => l.msg === "indexer synced");
        assert.ok(BigInt(String(synced?.block)) >= head, "indexed up to the head at start");
        const dealId = await until("the deal", async () => {
          const bid = await getOrder(reader, { orderId: bidId });
          return bid !== undefined && bid.dealId !== 0n ? bid.dealId : undefined;
        }, 10_000);
        assert.ok(dealId > 0n);
        assert.equal((await getOrder(reader, { orderId: ask.id }))?.active, false, "taken");
        assert.equal(await ordersAmount(reader), before, "no second ASK was placed");
        assert.equal(
          agent.logs.some((l) => l.msg === "a new devnet chain: the chain tables start afresh"),
          false,
        );
        await agent.stop();
        agent = undefined;
      },
    );

    await t.step("the same data directory on another chain is refused, naming both", async () => {
      // anvil's genesis hash comes from its start second: start the other chain in a later one
      const block0 = (await rpc(devnet!, "eth_getBlockByNumber", ["0x0", false])) as {
        timestamp: string;
      };
      const nextSecond = (Number(block0.timestamp) + 1) * 1000 + 50;
      await new Promise((r) => setTimeout(r, Math.max(0, nextSecond - Date.now())));
      other = await startDevnet({ logger: quiet, fund: [address] });
      const switched = await writeRigConfig(dir, other, PLAN);
      const genesis = async (d: Devnet) =>
        ((await rpc(d, "eth_getBlockByNumber", ["0x0", false])) as { hash: string }).hash;
      const [was, now] = [await genesis(devnet!), await genesis(other)];
      assert.notEqual(was, now);
      await assert.rejects(startAgent(switched, hardware), (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.match(error.message, /ChainIdentityError|recorded on/);
        assert.ok(error.message.includes(was), "names the recorded genesis");
        assert.ok(error.message.includes(now), "names the RPC's genesis");
        return true;
      });
      // nothing of the recorded chain was touched
      const state = openState({ path: join(dir, "data", "agent.sqlite") });
      const row = state.db.prepare("SELECT genesis_hash FROM chain_identity").get();
      const blocks = state.db.prepare("SELECT COUNT(*) AS n FROM chain_blocks").get();
      state.close();
      assert.equal(row?.genesis_hash, was);
      assert.ok(Number(blocks?.n) > 0);
      const { orders } = await runOrdersCommand({ dataDir: join(dir, "data") });
      assert.ok(orders.some((o) => o.orderId === ask.id.toString()));
    });
  } finally {
    await agent?.stop();
    await chain?.close();
    await devnet?.stop();
    await other?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runAgent() on the embedded devnet starts the chain tables afresh on each new chain", async () => {
  const dir = await Deno.makeTempDir({ prefix: "core-identity-" });
  let agent: RunningAgent | undefined;
  try {
    await Deno.writeTextFile(
      join(dir, "rig.yaml"),
      `data_dir: ./data
chain: devnet
keystore: { path: ./key.json, passphrase_file: ./key.pass }
dashboard: { enabled: false }
${PLAN}`,
    );
    const config = await loadConfig(join(dir, "rig.yaml"), { gpuIndexes: [] });
    const hardware = await discoverHardware({ dataDir: dir });
    const placed = (a: RunningAgent) =>
      until("placed ASK", () => Promise.resolve(a.logs.find((l) => l.msg === "placed ASK")));

    agent = await startAgent(config, hardware);
    const first = await placed(agent);
    await agent.stop();
    agent = await startAgent(config, hardware);
    assert.ok(
      agent.logs.some((l) => l.msg === "a new devnet chain: the chain tables start afresh"),
    );
    const second = await placed(agent);
    await agent.stop();
    agent = undefined;
    // the new chain's ASK is the plan's current order; the old chain's id names nothing now
    const { orders } = await runOrdersCommand({ dataDir: join(dir, "data") });
    const current = orders.filter((o) => o.current);
    assert.deepEqual(current.map((o) => o.orderId), [String(second.orderId)]);
    if (second.orderId !== first.orderId) {
      const old = orders.find((o) => o.orderId === String(first.orderId));
      assert.equal(old?.retireReason, "gone");
    }
  } finally {
    await agent?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ChainIdentityError is what the CLI maps to exit 2", () => {
  const e = new ChainIdentityError({ recorded: "chain 1", actual: "chain 2" });
  assert.equal(e.name, "ChainIdentityError");
  assert.match(e.message, /recorded on chain 1, the RPC serves chain 2/);
});
