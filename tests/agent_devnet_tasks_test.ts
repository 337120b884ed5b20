/**
 * The devnet's tasks live and die with its chain (issue 19, live truth): on
 * `chain: devnet` the chain stops with the agent, so Ctrl-C removes the task
 * containers, networks and volumes (on a real chain they keep running: the
 * deals stay open); and the next start, on a new chain whose deal ids start
 * again at 1, forgets the old chain's tasks and removes any container the
 * old chain left (a crash): the old deal 1's task never answers for the new
 * deal 1. Real components: the agent in-process with its embedded devnet,
 * the shared dockerd, a registry.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { discoverHardware } from "../src/bench/mod.ts";
import { type ChainClient, connectChain, getDeal } from "../src/chain/mod.ts";
import { loadConfig } from "../src/agent/config/mod.ts";
import { openState, tasksTable } from "../src/agent/state/mod.ts";
import { findTasks, LABEL_AGENT, listNetworks, listVolumes, startTask } from "../src/docker/mod.ts";
import { ensureDockerd, lockDockerd } from "./_fixtures/dockerd.ts";
import { ensureBusyboxImage } from "./_fixtures/images.ts";
import { startRegistry } from "./_fixtures/registry.ts";
import {
  consumerOf,
  removeAgentObjects,
  type RunningAgent,
  startAgent,
  until,
} from "./_fixtures/workloads.ts";

Deno.test("devnet: Ctrl-C removes the task containers; a new chain forgets the old chain's tasks", async () => {
  const lock = await lockDockerd("shared");
  const docker = await ensureDockerd();
  const registry = await startRegistry();
  const dir = await Deno.makeTempDir({ prefix: "faults-devnet-" });
  const agentId = `faults-devnet-${Date.now().toString(36)}`;
  const auth = { username: registry.username, password: registry.password };
  let agent: RunningAgent | undefined;
  let chain: ChainClient | undefined;
  try {
    const local = await ensureBusyboxImage("workloads-test/busybox:e2e", "workloads-e2e");
    const { reference: image } = await registry.push(local, "faults/devnet:1");
    await Deno.writeTextFile(
      join(dir, "rig.yaml"),
      `data_dir: ./data
chain: devnet
keystore: { path: ./data/key.json, passphrase_file: ./data/key.pass }
dashboard: { enabled: false }
docker:
  allowed_images: ["${registry.address}/faults/*"]
  default_limits: { pids: 64 }
plans:
  - name: demo
    price_usd_per_hour: "0.36"
    resources: { cpu_cores: 0.5, ram: 64MiB, net: { outbound: true } }
`,
    );
    const config = await loadConfig(join(dir, "rig.yaml"), { gpuIndexes: [] });
    const hardware = await discoverHardware({ dataDir: dir });
    const ours = { labels: { [LABEL_AGENT]: agentId } };
    const left = async () =>
      (await findTasks(docker, { agentId })).length + (await listNetworks(docker, ours)).length +
      (await listVolumes(docker, ours)).length;
    const tasks = () => {
      const s = openState({ path: join(dir, "data", "agent.sqlite") });
      try {
        return tasksTable(s.db).list();
      } finally {
        s.close();
      }
    };
    /** Starts the agent on a new devnet; its demo consumer's BID makes deal 1. */
    const start = async () => {
      agent = await startAgent(config, { hardware, agentId, registryAuth: auth });
      const devnet = agent.ready.devnet!;
      chain = await connectChain({ url: devnet.rpcUrl, chainId: devnet.chainId });
      const c = chain;
      const consumer = consumerOf(c, devnet, devnet.consumer.privateKey);
      await until("the demo deal", async () => {
        const deal = await getDeal(consumer.market, { dealId: 1n });
        return deal?.status === "ACCEPTED" ? deal : undefined;
      }, 60_000);
      return consumer;
    };

    // run 1: a task on deal 1, then Ctrl-C
    let consumer = await start();
    const submitted = await consumer.send(
      agent!,
      await consumer.sign("submit", 1n, { spec: { image, command: ["sleep", "900"] } }),
    );
    assert.equal(submitted.kind, "ok", JSON.stringify(submitted));
    assert.equal((await findTasks(docker, { agentId })).length, 1);
    await agent!.stop();
    agent = undefined;
    await chain?.close();
    assert.equal(await left(), 0, "the devnet's task container, network and volume are gone");
    assert.deepEqual(
      tasks().map((t) => [t.dealId, t.state, t.message]),
      [[1n, "stopped", "the devnet chain stopped with the agent"]],
    );

    // a crash would have left the old chain's container behind: one is planted here
    await startTask(docker, {
      spec: {
        image,
        command: ["sleep", "900"],
        limits: { memoryBytes: 32 * 2 ** 20, pidsLimit: 16 },
      },
      policy: { allowPatterns: [`${registry.address}/faults/*`], pull: "missing" },
      registryAuth: auth,
      agentId,
      dealId: "1",
      taskId: "1",
    });

    // run 2: a new chain; its deal 1 is not the old deal 1
    consumer = await start();
    await until("the old chain's container removed", async () => (await left()) === 0 || undefined);
    assert.deepEqual(tasks(), [], "the old chain's tasks are forgotten");
    const status = await consumer.send(agent!, await consumer.sign("status", 1n, {}));
    assert.deepEqual(
      [status.kind, (status as { result?: { state?: string } }).result?.state],
      ["ok", "none"],
      "the new deal 1 has no task: the old deal 1's task never answers for it",
    );
  } catch (e) {
    throw new Error(`${e}\n${agent?.logs.map((l) => JSON.stringify(l)).join("\n") ?? ""}`);
  } finally {
    await agent?.stop().catch(() => {});
    await chain?.close();
    await removeAgentObjects(docker, agentId);
    docker.close();
    await registry.close();
    lock.release();
    await Deno.remove(dir, { recursive: true });
  }
});
