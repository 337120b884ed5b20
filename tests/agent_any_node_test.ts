/**
 * The agent on an ordinary full node, not only on anvil's archive: anvil
 * with `--prune-history 8` keeps the last 8 states (as a geth full node
 * keeps ~128). Rig B trades (a deal closed, a deal open), 50 blocks pass,
 * then rig A starts with a fresh data dir and B with its old one (a deal
 * closed while it was away): both become ready with the deals as the chain
 * has them now, through a counting proxy (the figures: time to ready, RPC
 * calls). And a node reset to a new chain under a running agent is one
 * "chain changed under the agent" line and a state in status, not a loop.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type ChainClient,
  closeDeal,
  connectChain,
  createMarketClient,
  createTxSender,
  type DealState,
  getDeal,
  getOrder,
  marketAbi,
  parseUsdPerHour,
  placeOrder,
  type WriteMarketClient,
} from "../src/chain/mod.ts";
import { privateKeyToAccount } from "viem/accounts";
import { createLogger } from "../src/agent/base/mod.ts";
import { type Devnet, startDevnet } from "../src/agent/setup/mod.ts";
import { openState } from "../src/agent/state/mod.ts";
import { createChainStore } from "../src/agent/state/chain_store.ts";
import { readStatusSnapshot } from "../src/agent/status/mod.ts";
import { discoverHardware } from "../src/bench/mod.ts";
import {
  createRigKeystore,
  rpc,
  type RunningAgent,
  startAgent,
  until,
  writeRigConfig,
} from "./_fixtures/agent_rig.ts";
import { startRpcProxy } from "./_fixtures/rpc_proxy.ts";

const PLAN = `plans:
  - name: cpu
    price_usd_per_hour: "0.36"
    resources: { cpu_cores: 1, ram: 1GiB, storage: 1GiB }
`;

const quiet = createLogger({ level: "error", write: () => {} });

/** The deals in a rig's sqlite state, by id. */
function dealsIn(dataDir: string): Map<bigint, DealState> {
  const state = openState({ path: join(dataDir, "agent.sqlite") });
  try {
    return new Map(createChainStore(state.db).deals().map((d) => [d.id, d]));
  } finally {
    state.close();
  }
}

/** Lines at warn or above that a pruned node or a paused rig must not cause. */
const noisy = (logs: Record<string, unknown>[]) =>
  logs.filter((l) =>
    (l.level === "warn" || l.level === "error") && /indexer|chain/.test(String(l.msg))
  );

Deno.test("on a full node (no archive state), a rig that starts late or comes back after 50 blocks is ready with the right deals", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "agent_any_node_test_" });
  const [dirA, dirB] = [join(root, "a"), join(root, "b")];
  await Deno.mkdir(dirA);
  await Deno.mkdir(dirB);
  let devnet: Devnet | undefined;
  let chain: ChainClient | undefined;
  let agent: RunningAgent | undefined;
  const proxies: { close(): Promise<void> }[] = [];
  try {
    const [a, b] = [await createRigKeystore(dirA), await createRigKeystore(dirB)];
    devnet = await startDevnet({ logger: quiet, fund: [a, b], keepStates: 8 });
    chain = await connectChain({ url: devnet.rpcUrl, chainId: devnet.chainId });
    const reader = createMarketClient(chain, { addresses: devnet.contracts });
    const consumer = createMarketClient(chain, {
      addresses: devnet.contracts,
      sender: createTxSender(chain, { account: privateKeyToAccount(devnet.consumer.privateKey) }),
    }) as WriteMarketClient;
    const hardware = await discoverHardware({ dataDir: root });
    const bidAndDeal = async () => {
      const { orderId } = await placeOrder(consumer, {
        type: "BID",
        duration: 0n,
        price: parseUsdPerHour("0.50"),
      });
      return await until("the deal", async () => {
        const bid = await getOrder(reader, { orderId });
        return bid !== undefined && bid.dealId !== 0n ? bid.dealId : undefined;
      });
    };

    let first = 0n;
    let second = 0n;
    let firstOpenedAt = 0n;
    const running = devnet;
    const reading = chain;
    await t.step("rig B trades: one deal closed, one open", async () => {
      agent = await startAgent(await writeRigConfig(dirB, running, PLAN), hardware);
      first = await bidAndDeal();
      firstOpenedAt = await reading.public.getBlockNumber();
      await closeDeal(consumer, { dealId: first });
      second = await bidAndDeal();
    });
    await t.step("rig B stops", async () => {
      await agent?.stop();
      agent = undefined;
    });

    // 50 blocks pass, and the open deal closes while rig B is away
    await rpc(devnet, "anvil_mine", ["0x32"]);
    await closeDeal(consumer, { dealId: second });
    await rpc(devnet, "anvil_mine", ["0x2"]);
    // the node has no state at the deals' blocks any more: an archive read would fail
    await assert.rejects(
      chain.public.readContract({
        address: devnet.contracts.market,
        abi: marketAbi,
        functionName: "getDeal",
        args: [first],
        blockNumber: firstOpenedAt,
      }),
    );
    const truth = new Map<bigint, DealState>();
    for (const id of [first, second]) truth.set(id, (await getDeal(reader, { dealId: id }))!);

    for (const [name, dir] of [["A (fresh data dir)", dirA], ["B (old data dir)", dirB]] as const) {
      await t.step(
        `rig ${name} starts and is ready with the deals as the chain has them`,
        async () => {
          const proxy = startRpcProxy(running.rpcUrl);
          proxies.push(proxy);
          const config = await writeRigConfig(dir, { ...running, rpcUrl: proxy.url }, PLAN);
          const started = performance.now();
          agent = await startAgent(config, hardware);
          const readyMs = Math.round(performance.now() - started);
          const callsToReady = proxy.total();
          const head = await reading.public.getBlockNumber();
          await new Promise((r) => setTimeout(r, 1_500)); // a few polls past ready
          const logs = agent.logs;
          await agent.stop();
          agent = undefined;
          const deals = dealsIn(join(dir, "data"));
          for (const [id, want] of truth) {
            assert.deepEqual(deals.get(id), want, `rig ${name}: deal ${id}`);
          }
          assert.deepEqual(noisy(logs), [], `rig ${name}: warnings`);
          // the figures for the closing note (not asserted: timings vary)
          // deno-lint-ignore no-console -- a figure the issue asks for, printed for the report
          console.log(
            `rig ${name}: head ${head}, ready in ${readyMs} ms, ${callsToReady} RPC calls to ready (${
              [...proxy.calls].map(([m, n]) => `${m} ${n}`).join(", ")
            })`,
          );
        },
      );
    }
  } finally {
    await agent?.stop().catch(() => {});
    for (const p of proxies) await p.close();
    await chain?.close();
    await devnet?.stop();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a node reset to a new chain under a running agent: one line, a state in status, no loop", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "agent_any_node_reset_" });
  let devnet: Devnet | undefined;
  let agent: RunningAgent | undefined;
  try {
    const address = await createRigKeystore(dir);
    devnet = await startDevnet({ logger: quiet, fund: [address] });
    const hardware = await discoverHardware({ dataDir: dir });
    agent = await startAgent(await writeRigConfig(dir, devnet, PLAN), hardware);
    const logs = agent.logs;
    const running = devnet;
    await t.step("the node is reset to a new chain", async () => {
      // enough indexed blocks that a rollback to the start is no answer
      await rpc(running, "anvil_mine", ["0x50"]);
      await new Promise((r) => setTimeout(r, 1_000));
      await rpc(running, "anvil_reset", []);
      await rpc(running, "anvil_mine", ["0x5"]);
      await until(
        "the chain-changed line",
        () => logs.some((l) => l.msg === "chain changed under the agent") ? true : undefined,
        10_000,
      );
    });
    await t.step("one line, no loop, a state in status", async () => {
      await new Promise((r) => setTimeout(r, 2_000)); // ten polls more
      assert.equal(logs.filter((l) => l.msg === "chain changed under the agent").length, 1);
      assert.equal(logs.filter((l) => /reorg deeper/.test(JSON.stringify(l))).length, 0);
      const state = openState({ path: join(dir, "data", "agent.sqlite") });
      try {
        const s = readStatusSnapshot(state.db);
        assert.ok(s.chain.changedSince !== null, JSON.stringify(s.chain));
        assert.match(s.chain.changedReason ?? "", /chain changed under the agent/);
        assert.equal(s.chain.unreachableSince, null);
      } finally {
        state.close();
      }
    });
    await t.step("the agent runs on, and stops cleanly", async () => {
      await agent?.stop();
      agent = undefined;
    });
  } finally {
    await agent?.stop().catch(() => {});
    await devnet?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
