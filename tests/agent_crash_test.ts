/**
 * Crash safety of the deal -> task life: the real agent in its own process,
 * SIGKILLed by itself at one kill point per test (`SONM_TEST_KILL_AT`, see
 * src/agent/kill_point.ts), then started again on the same state. Each run
 * drives one whole deal (ASK, BID, deal, task, a bill, the consumer's close,
 * the plan's next ASK) on a fresh anvil, a real dockerd and a real registry,
 * and ends with: the kill happened; one deal, never a second; one active ASK;
 * the supplier got exactly the deal's payout and the consumer paid exactly
 * it; the task ran while the deal was open and nothing of it is left after.
 *
 * When the kill leaves the agent down before its deal is opened (at
 * `ask-sent` / `ask-placed`), the consumer opens the deal itself while the
 * agent is down: the case of an ASK mined but never recorded.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type ChainClient,
  closeDeal,
  connectChain,
  createMarketClient,
  getActiveOrders,
  getDeal,
  getOrder,
  marketAbi,
  type MarketClient,
  openDeal,
  parseUsdPerHour,
  placeOrder,
  tokenBalance,
} from "../src/chain/mod.ts";
import { createLogger, KILL_POINTS } from "../src/agent/base/mod.ts";
import { runDealsCommand } from "../src/agent/commands/mod.ts";
import { type Devnet, startDevnet } from "../src/agent/setup/mod.ts";
import { findTasks, LABEL_AGENT, listNetworks, listVolumes } from "../src/docker/mod.ts";
import { ensureDockerd, lockDockerd } from "./_fixtures/dockerd.ts";
import { ensureBusyboxImage } from "./_fixtures/images.ts";
import { startRegistry, type TestRegistry } from "./_fixtures/registry.ts";
import { agentLog, type AgentProcess, spawnAgent } from "./_fixtures/workloads_agent_process.ts";
import {
  billsOf,
  consumerOf,
  createRigKeystore,
  removeAgentObjects,
  rpc,
  writeRigConfig,
} from "./_fixtures/workloads.ts";

const PRICE = "0.36";

function rigPlans(registry: TestRegistry, price: string): string {
  return `docker:
  allowed_images: ["${registry.address}/workloads/*"]
  default_limits: { pids: 64 }
plans:
  - name: crash
    price_usd_per_hour: "${price}"
    resources: { cpu_cores: 0.5, ram: 64MiB, storage: 16MiB, net: { outbound: true } }
`;
}

type Rig = {
  dir: string;
  agentId: string;
  devnet: Devnet;
  chain: ChainClient;
  reader: MarketClient;
  address: `0x${string}`;
  registry: TestRegistry;
  image: string;
};

async function setUp(registry: TestRegistry, image: string): Promise<Rig> {
  const dir = await Deno.makeTempDir({ prefix: "workloads-crash-" });
  const agentId = `workloads-crash-${Date.now().toString(36)}`;
  const address = await createRigKeystore(dir);
  const devnet = await startDevnet({
    logger: createLogger({ level: "error", write: () => {} }),
    fund: [address],
  });
  await writeRigConfig(dir, devnet, rigPlans(registry, PRICE));
  const chain = await connectChain({ url: devnet.rpcUrl, chainId: devnet.chainId });
  const reader = createMarketClient(chain, { addresses: devnet.contracts });
  return { dir, agentId, devnet, chain, reader, address, registry, image };
}

async function tearDown(rig: Rig, docker: Awaited<ReturnType<typeof ensureDockerd>>) {
  await removeAgentObjects(docker, rig.agentId);
  await rig.chain.close();
  await rig.devnet.stop();
  await Deno.remove(rig.dir, { recursive: true });
}

/** Drives one deal's whole life through a kill at `point` and checks the end state. */
async function killRun(point: string, rig: Rig, docker: Awaited<ReturnType<typeof ensureDockerd>>) {
  const consumer = consumerOf(rig.chain, rig.devnet, rig.devnet.consumer.privateKey);
  const auth = { username: rig.registry.username, password: rig.registry.password };
  const spawn = (killAt?: string) =>
    spawnAgent({ dir: rig.dir, agentId: rig.agentId, killAt, registryAuth: auth });
  const killed: string[] = [];
  const reprice = point === "ask-cancelled"; // reached only when a changed plan's ASK is cancelled
  let agent: AgentProcess = await spawn(reprice ? undefined : point);
  let onDown: (() => Promise<void>) | undefined;
  /** Restarts the agent when the kill point took it down (once, without the kill point). */
  const alive = async () => {
    if (!agent.dead) return;
    const status = await agent.exited;
    killed.push(status.signal ?? `exit ${status.code}`);
    assert.equal(killed.length, 1, `the agent died twice:\n${await agentLog(rig.dir)}`);
    await onDown?.();
    agent = await spawn();
  };
  const until = async <T>(
    what: string,
    fn: () => Promise<T | undefined>,
    { ms = 40_000, restart = true } = {},
  ) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (restart) await alive();
      const v = await fn();
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`[${point}] timed out waiting for ${what}:\n${await agentLog(rig.dir)}`);
  };
  const ourAsks = async () =>
    (await getActiveOrders(rig.reader)).filter((o) =>
      o.type === "ASK" && o.author.toLowerCase() === rig.address.toLowerCase()
    );
  const ours = { labels: { [LABEL_AGENT]: rig.agentId } };
  const { balance: supplierBefore } = await tokenBalance(rig.reader, { who: rig.address });
  const { balance: consumerBefore } = await tokenBalance(rig.reader, {
    who: consumer.account.address,
  });

  try {
    // no restart yet: a kill around the ASK leaves the agent down while the consumer trades
    const ask = await until("the plan's ASK", async () => (await ourAsks())[0], {
      restart: false,
    });
    const { orderId: bidId } = await placeOrder(consumer.market, {
      type: "BID",
      duration: 0n,
      price: parseUsdPerHour(PRICE),
      netflags: [false, true, false],
    });
    // the agent down before it matched: the consumer opens the deal on the unrecorded ASK itself
    onDown = async () => {
      const bid = await getOrder(rig.reader, { orderId: bidId });
      const a = await getOrder(rig.reader, { orderId: ask.id });
      if (bid?.dealId === 0n && a?.active) {
        await openDeal(consumer.market, { askId: ask.id, bidId });
      }
    };
    if (agent.dead) await alive();
    const dealId = await until("the deal", async () => {
      const o = await getOrder(rig.reader, { orderId: bidId });
      return o !== undefined && o.dealId !== 0n ? o.dealId : undefined;
    });
    onDown = undefined;

    const submit = await consumer.sign("submit", dealId, {
      spec: { image: rig.image, command: ["sleep", "900"] },
    });
    const reply = await until("an answer to the submit", async () => {
      const r = await agent.send(submit);
      if (r === undefined) return agent.dead ? { restarted: true } : undefined;
      return r;
    });
    assert.ok(
      "restarted" in reply || reply.kind === "ok" ||
        // killed after the journal but before the reply: a resend is a replay
        (reply.kind === "refused" && reply.code === "replay"),
      `[${point}] submit: ${JSON.stringify(reply)}`,
    );
    await until("the task running", async () => {
      const tasks = await findTasks(docker, { agentId: rig.agentId });
      return tasks.length === 1 && tasks[0]!.running ? true : undefined;
    });

    const from = await rig.chain.public.getBlockNumber({ cacheTime: 0 });
    await rpc(rig.devnet, "evm_increaseTime", [3600]);
    await rpc(rig.devnet, "evm_mine", []);
    await until("a bill", async () => {
      const b = await billsOf(rig.chain, rig.devnet, dealId, from);
      return b.length > 0 ? b : undefined;
    });
    const running = await findTasks(docker, { agentId: rig.agentId });
    assert.deepEqual(running.map((t) => [t.dealId, t.running]), [[dealId.toString(), true]]);

    await closeDeal(consumer.market, { dealId, blacklistOther: false });
    await until("the task, its network and volume removed", async () => {
      const left = (await findTasks(docker, { agentId: rig.agentId })).length +
        (await listNetworks(docker, ours)).length + (await listVolumes(docker, ours)).length;
      return left === 0 ? true : undefined;
    });
    const next = await until("the plan's next ASK", async () => {
      const asks = await ourAsks();
      return asks.length > 0 && asks[0]!.id !== ask.id ? asks : undefined;
    });
    // the agent caught up with the chain and its scheduler is idle: nothing more is coming
    await until("the agent settled", async () => (await agent.settled()) ? true : undefined);
    await alive();
    if (reprice) {
      await agent.stop();
      await writeRigConfig(rig.dir, rig.devnet, rigPlans(rig.registry, "0.40"));
      agent = await spawn(point);
      next.splice(
        0,
        next.length,
        ...await until("the re-priced ASK", async () => {
          const asks = await ourAsks();
          return asks.length === 1 && asks[0]!.price === parseUsdPerHour("0.40") ? asks : undefined;
        }),
      );
      await until("the agent settled", async () => (await agent.settled()) ? true : undefined);
      await alive();
    }

    assert.deepEqual(killed, ["SIGKILL"], `[${point}] the kill point was reached`);
    if (point === "ask-sent" || point === "ask-placed") {
      // case (a): the ASK was mined, not recorded, and taken while the agent was down
      assert.match(await agentLog(rig.dir), /its plan recovered from the chain/);
    }
    assert.equal(next.length, 1, "one active ASK");
    assert.equal((await ourAsks()).length, 1, "still one active ASK");
    const dealsAmount = await rig.chain.public.readContract({
      address: rig.devnet.contracts.market,
      abi: marketAbi,
      functionName: "dealsAmount",
    }) as bigint;
    assert.equal(dealsAmount, 1n, "one deal, never a second");
    // the deal is on the agent's books (`sonm-agent deals`), with its plan, even when its ASK
    // was never recorded before the kill
    const { deals } = await runDealsCommand({ dataDir: join(rig.dir, "data") });
    assert.deepEqual(
      deals.map((d) => [d.dealId, d.plan, d.status]),
      [[dealId.toString(), "crash", "CLOSED"]],
    );
    const deal = (await getDeal(rig.reader, { dealId }))!;
    assert.equal(deal.status, "CLOSED");
    const { balance: supplierAfter } = await tokenBalance(rig.reader, { who: rig.address });
    const { balance: consumerAfter } = await tokenBalance(rig.reader, {
      who: consumer.account.address,
    });
    assert.ok(deal.totalPayout > 0n);
    assert.equal(supplierAfter - supplierBefore, deal.totalPayout, "the supplier got the payout");
    assert.equal(consumerBefore - consumerAfter, deal.totalPayout, "the consumer paid the payout");
  } finally {
    await agent.stop();
  }
}

for (const point of KILL_POINTS) {
  Deno.test(`kill -9 at "${point}": the restarted agent converges`, async () => {
    const lock = await lockDockerd("shared");
    const docker = await ensureDockerd();
    const registry = await startRegistry();
    let rig: Rig | undefined;
    try {
      const local = await ensureBusyboxImage("workloads-test/busybox:e2e", "workloads-e2e");
      const { reference } = await registry.push(local, "workloads/app:1");
      rig = await setUp(registry, reference);
      await killRun(point, rig, docker);
    } finally {
      if (rig !== undefined) await tearDown(rig, docker);
      await registry.close();
      docker.close();
      lock.release();
    }
  });
}

Deno.test("an emptied state while a deal is open: the busy plan is not sold again", async () => {
  // covered per kill point above for an unrecorded ASK; here the whole state file goes
  const lock = await lockDockerd("shared");
  const docker = await ensureDockerd();
  const registry = await startRegistry();
  let rig: Rig | undefined;
  let agent: AgentProcess | undefined;
  try {
    const local = await ensureBusyboxImage("workloads-test/busybox:e2e", "workloads-e2e");
    const { reference } = await registry.push(local, "workloads/app:1");
    rig = await setUp(registry, reference);
    const r = rig;
    const auth = { username: registry.username, password: registry.password };
    const consumer = consumerOf(r.chain, r.devnet, r.devnet.consumer.privateKey);
    agent = await spawnAgent({ dir: r.dir, agentId: r.agentId, registryAuth: auth });
    const poll = async <T>(what: string, fn: () => Promise<T | undefined>) => {
      const end = Date.now() + 40_000;
      while (Date.now() < end) {
        const v = await fn();
        if (v !== undefined) return v;
        await new Promise((res) => setTimeout(res, 150));
      }
      throw new Error(`timed out waiting for ${what}:\n${await agentLog(r.dir)}`);
    };
    const ourAsks = async () =>
      (await getActiveOrders(r.reader)).filter((o) =>
        o.type === "ASK" && o.author.toLowerCase() === r.address.toLowerCase()
      );
    await poll("the ASK", async () => (await ourAsks())[0]);
    const { orderId: bidId } = await placeOrder(consumer.market, {
      type: "BID",
      duration: 0n,
      price: parseUsdPerHour(PRICE),
    });
    const dealId = await poll("the deal", async () => {
      const o = await getOrder(r.reader, { orderId: bidId });
      return o?.dealId ? o.dealId : undefined;
    });
    const reply = await agent.send(
      await consumer.sign("submit", dealId, {
        spec: { image: r.image, command: ["sleep", "900"] },
      }),
    );
    assert.equal(reply?.kind, "ok", JSON.stringify(reply));
    await agent.kill();
    for (const f of ["agent.sqlite", "agent.sqlite-wal", "agent.sqlite-shm"]) {
      await Deno.writeFile(join(r.dir, "data", f), new Uint8Array()).catch(() => {});
    }
    const ordersBefore = await r.chain.public.readContract({
      address: r.devnet.contracts.market,
      abi: marketAbi,
      functionName: "ordersAmount",
    });
    agent = await spawnAgent({ dir: r.dir, agentId: r.agentId, registryAuth: auth });
    await new Promise((res) => setTimeout(res, 3000));
    assert.deepEqual(await ourAsks(), [], "no ASK for the busy plan");
    assert.equal(
      await r.chain.public.readContract({
        address: r.devnet.contracts.market,
        abi: marketAbi,
        functionName: "ordersAmount",
      }),
      ordersBefore,
    );
    const tasks = await findTasks(docker, { agentId: r.agentId });
    assert.deepEqual(tasks.map((t) => [t.dealId, t.running]), [[dealId.toString(), true]]);
    const log = await agentLog(r.dir);
    assert.match(log, /plan recovered from the chain/);
    await closeDeal(consumer.market, { dealId, blacklistOther: false });
    await poll(
      "the container removed",
      async () => (await findTasks(docker, { agentId: r.agentId })).length === 0 ? true : undefined,
    );
    await poll("the plan offered again", async () => (await ourAsks())[0]);
  } finally {
    await agent?.stop();
    if (rig !== undefined) await tearDown(rig, docker);
    await registry.close();
    docker.close();
    lock.release();
  }
});
