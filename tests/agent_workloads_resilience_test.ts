/**
 * The deal -> task life when things go wrong around it, with real
 * components: Docker's events (a task that exits, one OOM-killed), a dockerd
 * restart while a task runs, the RPC endpoint unreachable (a loopback TCP
 * proxy the test stops), and a deal closed by its consumer while the agent
 * was down (SIGKILL).
 *
 * The RPC outage lasts `WORKLOADS_RPC_OUTAGE_S` seconds (default 15, scaled
 * down from the 60 s to keep the suite short on 2 shared cores; the
 * agent's behaviour does not depend on the length: every poll fails until the
 * proxy is back). Run with `WORKLOADS_RPC_OUTAGE_S=60` for the full minute.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { discoverHardware, type Hardware } from "../src/bench/mod.ts";
import {
  type ChainClient,
  closeDeal,
  connectChain,
  createMarketClient,
  getActiveOrders,
  getOrder,
  marketAbi,
  type MarketClient,
  parseUsdPerHour,
  placeOrder,
} from "../src/chain/mod.ts";
import { createLogger } from "../src/agent/base/mod.ts";
import type { AgentConfig } from "../src/agent/config/mod.ts";
import { type Devnet, startDevnet } from "../src/agent/setup/mod.ts";
import { openState, tasksTable } from "../src/agent/state/mod.ts";
import {
  type DockerClient,
  findTasks,
  LABEL_AGENT,
  listNetworks,
  listVolumes,
} from "../src/docker/mod.ts";
import { dockerdArgs, ensureDockerd, lockDockerd, restartDockerd } from "./_fixtures/dockerd.ts";
import { ensureBusyboxImage } from "./_fixtures/images.ts";
import { startRegistry, type TestRegistry } from "./_fixtures/registry.ts";
import { agentLog, spawnAgent } from "./_fixtures/workloads_agent_process.ts";
import {
  type Consumer,
  consumerOf,
  createRigKeystore,
  removeAgentObjects,
  rpc,
  type RunningAgent,
  startAgent,
  until,
  writeRigConfig,
} from "./_fixtures/workloads.ts";

const PRICE = "0.36";

type Rig = {
  dir: string;
  agentId: string;
  address: `0x${string}`;
  devnet: Devnet;
  chain: ChainClient;
  reader: MarketClient;
  consumer: Consumer;
  docker: DockerClient;
  registry: TestRegistry;
  image: string;
  hardware: Hardware;
  /** Writes rig.yaml with this RPC url (default: the devnet's) and loads it. */
  config(rpcUrl?: string): Promise<AgentConfig>;
  /** The consumer's BID, and the deal the agent opens for it. */
  deal(): Promise<bigint>;
  tasks(): ReturnType<ReturnType<typeof tasksTable>["list"]>;
  ourAsks(): ReturnType<typeof getActiveOrders>;
};

async function withRig(
  name: string,
  fn: (rig: Rig) => Promise<void>,
  lockMode: "shared" | "exclusive" = "shared",
): Promise<void> {
  // exclusive: the test restarts dockerd, so no other test may use it meanwhile
  const lock = await lockDockerd(lockMode);
  let docker = await ensureDockerd();
  const registry = await startRegistry();
  const dir = await Deno.makeTempDir({ prefix: `workloads-${name}-` });
  const agentId = `workloads-${name}-${Date.now().toString(36)}`;
  let devnet: Devnet | undefined;
  let chain: ChainClient | undefined;
  try {
    const local = await ensureBusyboxImage("workloads-test/busybox:e2e", "workloads-e2e");
    const { reference: image } = await registry.push(local, "workloads/app:1");
    const address = await createRigKeystore(dir);
    devnet = await startDevnet({
      logger: createLogger({ level: "error", write: () => {} }),
      fund: [address],
    });
    const d = devnet;
    chain = await connectChain({ url: d.rpcUrl, chainId: d.chainId });
    const c = chain;
    const reader = createMarketClient(c, { addresses: d.contracts });
    const consumer = consumerOf(c, d, d.consumer.privateKey);
    const hardware = await discoverHardware({ dataDir: dir });
    const plans = `docker:
  allowed_images: ["${registry.address}/workloads/*"]
  default_limits: { pids: 64 }
plans:
  - name: steady
    price_usd_per_hour: "${PRICE}"
    resources: { cpu_cores: 0.5, ram: 64MiB, net: { outbound: true } }
`;
    const ourAsks = async () =>
      (await getActiveOrders(reader)).filter((o) =>
        o.type === "ASK" && o.author.toLowerCase() === address.toLowerCase()
      );
    await fn({
      dir,
      agentId,
      address,
      devnet: d,
      chain: c,
      reader,
      consumer,
      get docker() {
        return docker;
      },
      registry,
      image,
      hardware,
      async config(rpcUrl) {
        const config = await writeRigConfig(dir, d, plans);
        if (rpcUrl !== undefined && config.chain.kind === "rpc") config.chain.rpcUrl = rpcUrl;
        return config;
      },
      async deal() {
        await until("the plan's ASK", async () => (await ourAsks())[0]);
        const { orderId } = await placeOrder(consumer.market, {
          type: "BID",
          duration: 0n,
          price: parseUsdPerHour(PRICE),
          netflags: [false, true, false],
        });
        return await until("the deal", async () => {
          const o = await getOrder(reader, { orderId });
          return o?.dealId ? o.dealId : undefined;
        });
      },
      tasks() {
        const s = openState({ path: join(dir, "data", "agent.sqlite") });
        try {
          return tasksTable(s.db).list();
        } finally {
          s.close();
        }
      },
      ourAsks,
    });
  } finally {
    docker = await ensureDockerd(); // a fresh client, whatever the test did to the daemon
    await removeAgentObjects(docker, agentId);
    docker.close();
    await chain?.close();
    await devnet?.stop();
    await registry.close();
    lock.release();
    await Deno.remove(dir, { recursive: true });
  }
}

function submit(rig: Rig, agent: RunningAgent, dealId: bigint, command: string[]) {
  return rig.consumer.sign("submit", dealId, { spec: { image: rig.image, command } })
    .then((e) => rig.consumer.send(agent, e));
}

Deno.test("Docker's events: a task's exit code and an OOM kill reach the journal and status", async () => {
  await withRig("events", async (rig) => {
    const agent = await startAgent(await rig.config(), {
      hardware: rig.hardware,
      agentId: rig.agentId,
      registryAuth: { username: rig.registry.username, password: rig.registry.password },
    });
    try {
      const dealId = await rig.deal();
      const first = await submit(rig, agent, dealId, ["sh", "-c", "sleep 1; exit 3"]);
      assert.equal(first.kind, "ok", JSON.stringify(first));
      const exited = await until("the exit recorded", () => {
        const row = rig.tasks().find((r) => r.dealId === dealId && r.taskId === 1);
        return row?.state === "exited" ? row : undefined;
      });
      assert.equal(exited.exitCode, 3);
      const status = await rig.consumer.send(
        agent,
        await rig.consumer.sign("status", dealId, {}),
      );
      const shown = (status as { result: { state: string; exitCode: number; restarts?: [] } })
        .result;
      // the task ended by itself: the consumer's own end, recorded and never restarted
      assert.deepEqual([shown.state, shown.exitCode, shown.restarts], ["exited", 3, undefined]);

      // 64 MiB sold: a string doubling without end gets the task OOM-killed
      const hog = await submit(rig, agent, dealId, [
        "sh",
        "-c",
        "sleep 1; x=0123456789abcdef; while true; do x=$x$x; done",
      ]);
      assert.equal(hog.kind, "ok", JSON.stringify(hog));
      const killed = await until("the OOM kill recorded", () => {
        const row = rig.tasks().find((r) => r.dealId === dealId && r.taskId === 2);
        return row !== undefined && row.state !== "running" && row.state !== "starting"
          ? row
          : undefined;
      });
      assert.equal(killed.state, "oom-killed", `${killed.state}: ${killed.message}`);
      assert.ok(agent.logs.some((l) => l.msg === "task hit its memory limit"));
      assert.ok(!agent.logs.some((l) => l.msg === "the rig lost a task; starting it again"));
    } catch (e) {
      throw new Error(`${e}\n${agent.logs.map((l) => JSON.stringify(l)).join("\n")}`);
    } finally {
      await agent.stop();
    }
  });
});

Deno.test("a deal closed by its consumer while the agent was down: its task goes at restart", async () => {
  await withRig("down", async (rig) => {
    await rig.config();
    const auth = { username: rig.registry.username, password: rig.registry.password };
    let agent = await spawnAgent({ dir: rig.dir, agentId: rig.agentId, registryAuth: auth });
    try {
      const dealId = await rig.deal();
      const reply = await agent.send(
        await rig.consumer.sign("submit", dealId, {
          spec: { image: rig.image, command: ["sleep", "900"] },
        }),
      );
      assert.equal(reply?.kind, "ok", JSON.stringify(reply));
      await agent.kill();
      await closeDeal(rig.consumer.market, { dealId, blacklistOther: false });
      assert.equal((await findTasks(rig.docker, { agentId: rig.agentId })).length, 1);
      agent = await spawnAgent({ dir: rig.dir, agentId: rig.agentId, registryAuth: auth });
      const ours = { labels: { [LABEL_AGENT]: rig.agentId } };
      await until("the task, network and volume removed", async () => {
        const left = (await findTasks(rig.docker, { agentId: rig.agentId })).length +
          (await listNetworks(rig.docker, ours)).length +
          (await listVolumes(rig.docker, ours)).length;
        return left === 0 ? true : undefined;
      });
      const row = rig.tasks().find((r) => r.dealId === dealId)!;
      assert.deepEqual([row.state, row.message], ["stopped", "deal closed"]);
      await until("the plan's next ASK", async () => (await rig.ourAsks())[0]);
    } catch (e) {
      throw new Error(`${e}\n${await agentLog(rig.dir)}`);
    } finally {
      await agent.stop();
    }
  });
});

Deno.test("a dockerd restart while a task runs: the task is found again by its label", async () => {
  await withRig("dockerd", async (rig) => {
    // tasks outlive a daemon restart only with live-restore (another test may have dropped it)
    if (!dockerdArgs().includes("--live-restore")) {
      await restartDockerd({ extraArgs: ["--live-restore"] });
    }
    const agent = await startAgent(await rig.config(), {
      hardware: rig.hardware,
      agentId: rig.agentId,
      registryAuth: { username: rig.registry.username, password: rig.registry.password },
    });
    try {
      const dealId = await rig.deal();
      const reply = await submit(rig, agent, dealId, ["sleep", "900"]);
      assert.equal(reply.kind, "ok", JSON.stringify(reply));
      const before = await findTasks(rig.docker, { agentId: rig.agentId });
      await restartDockerd({ extraArgs: ["--live-restore"] });
      const docker = await ensureDockerd();
      try {
        const after = await findTasks(docker, { agentId: rig.agentId });
        assert.deepEqual(after.map((t) => [t.containerId, t.running]), [[
          before[0]!.containerId,
          true,
        ]]);
        // the agent's event stream is back: an exit after the restart is recorded
        await new Promise((r) => setTimeout(r, 2000));
        const stop = await rig.consumer.send(agent, await rig.consumer.sign("stop", dealId, {}));
        assert.equal((stop as { result: { state: string } }).result.state, "stopped");
        assert.equal((await findTasks(docker, { agentId: rig.agentId })).length, 0);
        assert.ok(!agent.logs.some((l) => l.level === "error" && /task/.test(String(l.msg))));
      } finally {
        docker.close();
      }
    } finally {
      await agent.stop();
    }
  }, "exclusive");
});

/** A loopback TCP proxy to `target` that the test can stop and start again on the same port. */
function startProxy(target: { hostname: string; port: number }) {
  let listener: Deno.Listener | undefined;
  const conns = new Set<Deno.Conn>();
  let port = 0;
  const serve = (l: Deno.Listener) =>
    (async () => {
      for await (const conn of l) {
        conns.add(conn);
        (async () => {
          try {
            const upstream = await Deno.connect(target);
            conns.add(upstream);
            await Promise.all([
              conn.readable.pipeTo(upstream.writable).catch(() => {}),
              upstream.readable.pipeTo(conn.writable).catch(() => {}),
            ]);
          } catch {
            // a side closed
          } finally {
            conns.delete(conn);
          }
        })();
      }
    })().catch(() => {});
  const start = () => {
    listener = Deno.listen({ hostname: "127.0.0.1", port });
    port = (listener.addr as Deno.NetAddr).port;
    serve(listener);
  };
  start();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    stop() {
      listener?.close();
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // closed already
        }
      }
      conns.clear();
    },
    start,
  };
}

Deno.test("the RPC endpoint unreachable for a while: no duplicate transaction, catch-up afterwards", async () => {
  const outage = Number(Deno.env.get("WORKLOADS_RPC_OUTAGE_S") ?? "15");
  await withRig("rpc", async (rig) => {
    const anvil = new URL(rig.devnet.rpcUrl);
    const proxy = startProxy({ hostname: anvil.hostname, port: Number(anvil.port) });
    const agent = await startAgent(await rig.config(proxy.url), {
      hardware: rig.hardware,
      agentId: rig.agentId,
      registryAuth: { username: rig.registry.username, password: rig.registry.password },
    });
    try {
      const dealId = await rig.deal();
      const reply = await submit(rig, agent, dealId, ["sleep", "900"]);
      assert.equal(reply.kind, "ok", JSON.stringify(reply));
      const ordersBefore = await rig.chain.public.readContract({
        address: rig.devnet.contracts.market,
        abi: marketAbi,
        functionName: "ordersAmount",
      }) as bigint;
      const txBefore = await rig.chain.public.getTransactionCount({ address: rig.address });

      proxy.stop();
      // while the agent cannot see the chain: a bill falls due and the consumer closes
      await rpc(rig.devnet, "evm_increaseTime", [3600]);
      await rpc(rig.devnet, "evm_mine", []);
      await closeDeal(rig.consumer.market, { dealId, blacklistOther: false });
      await new Promise((r) => setTimeout(r, outage * 1000));
      assert.equal(
        (await findTasks(rig.docker, { agentId: rig.agentId })).length,
        1,
        "the task stays while the agent cannot know the deal closed",
      );
      proxy.start();

      await until(
        "the task removed",
        async () =>
          (await findTasks(rig.docker, { agentId: rig.agentId })).length === 0 ? true : undefined,
      );
      const next = await until("the plan's next ASK", async () => (await rig.ourAsks())[0]);
      await agent.ready.settled(); // caught up, nothing pending: no second ASK is coming
      assert.deepEqual((await rig.ourAsks()).map((o) => o.id), [next.id], "one ASK");
      assert.equal(
        await rig.chain.public.readContract({
          address: rig.devnet.contracts.market,
          abi: marketAbi,
          functionName: "ordersAmount",
        }),
        ordersBefore + 1n,
        "exactly one order placed after the outage",
      );
      const txAfter = await rig.chain.public.getTransactionCount({ address: rig.address });
      assert.equal(txAfter, txBefore + 1, "one transaction (the new ASK): no resend, no duplicate");
      assert.ok(agent.logs.some((l) => l.msg === "indexer poll failed"));
    } finally {
      await agent.stop();
      proxy.stop();
    }
  });
});
