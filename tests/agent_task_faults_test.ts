/**
 * Tasks the rig loses, with real components (anvil with the market, the real
 * agent in-process, the shared dockerd, a registry): a task container removed
 * from outside (`docker rm -f`) and a dockerd restart without live-restore
 * (the daemon kills every task) are the rig's losses: the task is started
 * again within its deal and the consumer sees each restart in its status;
 * past `docker.task_restarts` the rig gives the deal up: it closes it and
 * bills it no more. (A task that exits by itself or runs out of memory is the
 * consumer's: agent_workloads_resilience_test.ts checks it is not restarted.)
 *
 * Each test writes its timeline (task died -> restarted -> consumer sees it)
 * to bench/results/task_restarts.json.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { discoverHardware, type Hardware } from "../src/bench/mod.ts";
import {
  getActiveOrders,
  getDeal,
  getOrder,
  parseUsdPerHour,
  placeOrder,
} from "../src/chain/mod.ts";
import type { AgentConfig } from "../src/agent/config/mod.ts";
import { openState, type TaskRow, tasksTable } from "../src/agent/state/mod.ts";
import { getInfo } from "../src/docker/mod.ts";
import { dockerdArgs, ensureDockerd, lockDockerd, restartDockerd } from "./_fixtures/dockerd.ts";
import { dockerCli, ensureBusyboxImage } from "./_fixtures/images.ts";
import { startRegistry, type TestRegistry } from "./_fixtures/registry.ts";
import { type RigDevnet, startRigDevnet } from "./_fixtures/agent_rig.ts";
import {
  type Consumer,
  consumerOf,
  removeAgentObjects,
  type RunningAgent,
  startAgent,
  until,
  writeRigConfig,
} from "./_fixtures/workloads.ts";

const PRICE = "0.36";
const RESULTS = join(dirname(new URL(import.meta.url).pathname), "..", "bench", "results");

type Rig = RigDevnet & {
  dir: string;
  agentId: string;
  consumer: Consumer;
  registry: TestRegistry;
  image: string;
  hardware: Hardware;
  config(): Promise<AgentConfig>;
  /** The consumer's BID, and the deal the agent opens for it. */
  deal(): Promise<bigint>;
  /** The deal's task as the journal has it. */
  task(dealId: bigint): TaskRow | undefined;
};

async function withRig(
  name: string,
  lockMode: "shared" | "exclusive",
  fn: (rig: Rig) => Promise<void>,
): Promise<void> {
  const lock = await lockDockerd(lockMode);
  const registry = await startRegistry();
  const dir = await Deno.makeTempDir({ prefix: `faults-${name}-` });
  const agentId = `faults-${name}-${Date.now().toString(36)}`;
  let devnet: RigDevnet | undefined;
  try {
    const local = await ensureBusyboxImage("workloads-test/busybox:e2e", "workloads-e2e");
    const { reference: image } = await registry.push(local, "faults/app:1");
    devnet = await startRigDevnet(dir);
    const d = devnet;
    const consumer = consumerOf(d.chain, d.devnet, d.devnet.consumer.privateKey);
    const hardware = await discoverHardware({ dataDir: dir });
    const extra = `docker:
  allowed_images: ["${registry.address}/faults/*"]
  default_limits: { pids: 64 }
  task_restarts: { max: 2, window: 1h }
plans:
  - name: steady
    price_usd_per_hour: "${PRICE}"
    resources: { cpu_cores: 0.5, ram: 64MiB, net: { outbound: true } }
`;
    await fn({
      ...d,
      dir,
      agentId,
      consumer,
      registry,
      image,
      hardware,
      config: () => writeRigConfig(dir, d.devnet, extra),
      async deal() {
        const ours = async () =>
          (await getActiveOrders(d.reader)).find((o) =>
            o.type === "ASK" && o.author.toLowerCase() === d.address.toLowerCase()
          );
        await until("the plan's ASK", ours);
        const { orderId } = await placeOrder(consumer.market, {
          type: "BID",
          duration: 0n,
          price: parseUsdPerHour(PRICE),
          netflags: [false, true, false],
        });
        return await until("the deal", async () => {
          const o = await getOrder(d.reader, { orderId });
          return o?.dealId ? o.dealId : undefined;
        });
      },
      task(dealId) {
        const s = openState({ path: join(dir, "data", "agent.sqlite") });
        try {
          return tasksTable(s.db).latest(dealId);
        } finally {
          s.close();
        }
      },
    });
  } finally {
    const docker = await ensureDockerd(); // a fresh client, whatever the test did to the daemon
    await removeAgentObjects(docker, agentId);
    docker.close();
    await devnet?.close();
    await registry.close();
    lock.release();
    await Deno.remove(dir, { recursive: true });
  }
}

type ShownTask = { state: string; restarts?: { at: string; reason: string }[] };

/** The task as the consumer sees it (`client status`). */
async function consumerStatus(rig: Rig, agent: RunningAgent, dealId: bigint): Promise<ShownTask> {
  const reply = await rig.consumer.send(agent, await rig.consumer.sign("status", dealId, {}));
  assert.equal(reply.kind, "ok", JSON.stringify(reply));
  return (reply as { result: ShownTask }).result;
}

/** Waits until the deal's task runs in another container than `before`. */
function restarted(rig: Rig, dealId: bigint, before: string | undefined, ms = 60_000) {
  return until("the task running again", () => {
    const row = rig.task(dealId);
    return row?.state === "running" && row.containerId !== before ? row : undefined;
  }, ms);
}

/** Adds one test's timeline to bench/results/task_restarts.json. */
async function recordTimeline(name: string, figures: Record<string, unknown>): Promise<void> {
  const file = join(RESULTS, "task_restarts.json");
  const all = JSON.parse(await Deno.readTextFile(file).catch(() => "{}"));
  all[name] = { ...figures, date: new Date().toISOString() };
  await Deno.writeTextFile(file, JSON.stringify(all, null, 2) + "\n");
}

const ms = (from: number, to: number) => Math.round(to - from);

Deno.test("a task removed from outside (docker rm -f) is restarted within its deal; past the budget the rig closes the deal and bills it no more", async () => {
  await withRig("rmf", "shared", async (rig) => {
    const agent = await startAgent(await rig.config(), {
      hardware: rig.hardware,
      agentId: rig.agentId,
      registryAuth: { username: rig.registry.username, password: rig.registry.password },
    });
    try {
      const dealId = await rig.deal();
      const reply = await rig.consumer.send(
        agent,
        await rig.consumer.sign("submit", dealId, {
          spec: { image: rig.image, command: ["sleep", "900"] },
        }),
      );
      assert.equal(reply.kind, "ok", JSON.stringify(reply));
      let row = await restarted(rig, dealId, undefined);
      const timeline: Record<string, number>[] = [];
      for (const n of [1, 2]) {
        const before = row.containerId!;
        const died = performance.now();
        await dockerCli(["rm", "-f", before]);
        row = await restarted(rig, dealId, before);
        const running = performance.now();
        const shown = await until("the consumer sees the restart", async () => {
          const s = await consumerStatus(rig, agent, dealId);
          return s.state === "running" && s.restarts?.length === n ? s : undefined;
        });
        const seen = performance.now();
        // docker rm -f kills, then removes: either is seen first
        assert.match(shown.restarts![n - 1]!.reason, /container disappeared|killed from outside/);
        timeline.push({
          restart: n,
          diedToRunningMs: ms(died, running),
          diedToSeenMs: ms(died, seen),
        });
      }

      // the third loss within the hour is past the budget (2): the deal is given up
      const gaveUpAt = performance.now();
      await dockerCli(["rm", "-f", row.containerId!]);
      const failed = await until("the task given up", () => {
        const r = rig.task(dealId);
        return r?.state === "failed" ? r : undefined;
      });
      assert.match(failed.message ?? "", /lost 3 times .* gives the deal up and bills it no more/);
      await until("the deal closed by the rig", async () => {
        const deal = await getDeal(rig.reader, { dealId });
        return deal?.status === "CLOSED" ? deal : undefined;
      });
      const closedMs = ms(gaveUpAt, performance.now());
      // the chain shows it closed a moment before the agent logs its receipt
      await until(
        "the agent's close logged",
        () =>
          agent.logs.some((l) => /closed deal: the rig lost its task/.test(String(l.msg))) ||
          undefined,
      );
      assert.ok(!agent.logs.some((l) => l.msg === "billed deal"), "never billed after the loss");
      const shown = await consumerStatus(rig, agent, dealId).catch(() => undefined);
      if (shown !== undefined) assert.equal(shown.restarts?.length, 2);
      await recordTimeline("docker rm -f", {
        restarts: timeline,
        thirdLossToDealClosedMs: closedMs,
      });
    } catch (e) {
      throw new Error(`${e}\n${agent.logs.map((l) => JSON.stringify(l)).join("\n")}`);
    } finally {
      await agent.stop();
    }
  });
});

Deno.test("a dockerd restart without live-restore kills the task: the rig starts it again and the consumer sees it", async () => {
  await withRig("dockerd", "exclusive", async (rig) => {
    const liveRestore = dockerdArgs().includes("--live-restore");
    const agent = await startAgent(await rig.config(), {
      hardware: rig.hardware,
      agentId: rig.agentId,
      registryAuth: { username: rig.registry.username, password: rig.registry.password },
    });
    try {
      const dealId = await rig.deal();
      const reply = await rig.consumer.send(
        agent,
        await rig.consumer.sign("submit", dealId, {
          spec: { image: rig.image, command: ["sleep", "900"] },
        }),
      );
      assert.equal(reply.kind, "ok", JSON.stringify(reply));
      const before = (await restarted(rig, dealId, undefined)).containerId;

      // without live-restore the daemon stops every container when it stops
      const stopping = performance.now();
      let down = 0;
      await restartDockerd({
        dropArgs: ["--live-restore"],
        whileDown: () => Promise.resolve(void (down = performance.now())),
      });
      const back = performance.now();
      const docker = await ensureDockerd();
      try {
        assert.equal((await getInfo(docker)).liveRestoreEnabled, false);
      } finally {
        docker.close();
      }
      const row = await restarted(rig, dealId, before, 120_000);
      const running = performance.now();
      const shown = await until("the consumer sees the restart", async () => {
        const s = await consumerStatus(rig, agent, dealId);
        return s.state === "running" && s.restarts?.length === 1 ? s : undefined;
      });
      const seen = performance.now();
      assert.match(shown.restarts![0]!.reason, /dockerd|SIGTERM|SIGKILL|outside the task/);
      assert.notEqual(row.containerId, before);
      assert.equal(rig.task(dealId)?.state, "running");
      await recordTimeline("dockerd restart without live-restore", {
        daemonStopMs: ms(stopping, down),
        daemonDownToAnsweringMs: ms(down, back),
        daemonBackToTaskRunningMs: ms(back, running),
        daemonBackToConsumerSeesMs: ms(back, seen),
        reason: shown.restarts![0]!.reason,
      });
    } catch (e) {
      throw new Error(`${e}\n${agent.logs.map((l) => JSON.stringify(l)).join("\n")}`);
    } finally {
      await agent.stop();
      // the other tests expect the daemon as it was (tasks outliving its restarts)
      if (liveRestore) await restartDockerd({ extraArgs: ["--live-restore"] });
    }
  });
});
