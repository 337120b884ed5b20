/**
 * The task runtime's bookkeeping on the real dockerd: 100 start/stop/remove
 * cycles leave nothing behind, garbage collection removes exactly the closed
 * deals' objects, and images are pruned least recently used first.
 */
import assert from "node:assert/strict";
import {
  collectGarbage,
  createContainer,
  type DockerClient,
  findTasks,
  inspectContainer,
  inspectImage,
  listContainers,
  listNetworks,
  listVolumes,
  pruneImages,
  removeContainer,
  removeImage,
  startTask,
  stopTask,
} from "../src/docker/mod.ts";
import { ensureDockerd, lockDockerd } from "./_fixtures/dockerd.ts";
import { dockerCli, ensureBusyboxImage } from "./_fixtures/images.ts";
import { startRegistry } from "./_fixtures/registry.ts";

const RUN = Date.now().toString(36);
const MiB = 2 ** 20;
/** Cycles in the leak test; 100 by default (the number), lower for a quick local run. */
const CYCLES = Number(Deno.env.get("SONM_DOCKER_CYCLES") ?? 100);
const LANES = 5;

async function leftovers(docker: DockerClient, agentId: string) {
  const labels = { "sonm.agent": agentId };
  return {
    containers: (await listContainers(docker, { labels })).map((c) => c.names[0]),
    networks: (await listNetworks(docker, { labels })).map((n) => n.name),
    volumes: (await listVolumes(docker, { labels })).map((v) => v.name),
  };
}

Deno.test("task runtime lifecycle on the real dockerd", async (t) => {
  const lock = await lockDockerd("shared");
  const docker = await ensureDockerd();
  const registry = await startRegistry();
  const agents: string[] = [];
  try {
    const pushed = await registry.push(await ensureBusyboxImage(), "sonm/busybox:1");
    const base = {
      policy: { allowPatterns: [`${registry.address}/sonm/*`], pull: "missing" as const },
      registryAuth: { username: registry.username, password: registry.password },
    };
    const spec = {
      image: pushed.reference,
      command: ["sleep", "60"],
      limits: { memoryBytes: 16 * MiB, pidsLimit: 8, cpus: 0.5 },
      scratchPath: "/scratch",
      ports: [{ containerPort: 8080 }],
    };

    await t.step(
      `${CYCLES} start/stop/remove cycles leave no container, network or volume`,
      async () => {
        // 5 lanes of CYCLES/5 cycles each, one agent id per lane, so that each lane's
        // garbage collection sees only its own deals.
        const lanes = Array.from({ length: LANES }, (_, l) => `cycle${l}${RUN}`);
        agents.push(...lanes);
        const cycleSpec = { ...spec, ports: [] };
        await Promise.all(lanes.map(async (agentId) => {
          for (let i = 0; i < Math.ceil(CYCLES / LANES); i++) {
            const task = await startTask(docker, {
              ...base,
              spec: cycleSpec,
              agentId,
              dealId: String(i),
              taskId: "t",
            });
            const stopped = await stopTask(docker, {
              containerId: task.containerId,
              timeoutSeconds: 0,
            });
            assert.equal(stopped.found, true);
            const removed = await collectGarbage(docker, { agentId, openDeals: [] });
            assert.deepEqual(removed, {
              containers: [],
              networks: [`sonm-${agentId}-deal-${i}`],
              volumes: [`sonm-${agentId}-deal-${i}-scratch`],
            });
          }
        }));
        for (const agentId of lanes) {
          assert.deepEqual(await leftovers(docker, agentId), {
            containers: [],
            networks: [],
            volumes: [],
          });
        }
      },
    );

    await t.step("collectGarbage() removes only closed deals' objects of this agent", async () => {
      const agentId = `gc${RUN}`;
      const other = `gcother${RUN}`;
      agents.push(agentId, other);
      const start = (a: string, dealId: string) =>
        startTask(docker, { ...base, spec, agentId: a, dealId, taskId: "1" });
      const open = await start(agentId, "10");
      assert.equal(open.ports.length, 1);
      assert.equal(open.ports[0]?.containerPort, 8080);
      assert.equal(open.ports[0]?.hostIp, "127.0.0.1");
      assert.ok((open.ports[0]?.hostPort ?? 0) > 0);
      const closed = await start(agentId, "11");
      const foreign = await start(other, "11");
      const r = await collectGarbage(docker, { agentId, openDeals: ["10"] });
      assert.deepEqual(r, {
        containers: [`sonm-${agentId}-deal-11-task-1`],
        networks: [`sonm-${agentId}-deal-11`],
        volumes: [`sonm-${agentId}-deal-11-scratch`],
      });
      assert.equal((await inspectContainer(docker, { id: open.containerId })).state.running, true);
      assert.equal(
        (await inspectContainer(docker, { id: foreign.containerId })).state.running,
        true,
      );
      assert.deepEqual(
        (await findTasks(docker, { agentId })).map((f) => [f.dealId, f.running]),
        [["10", true]],
      );
      assert.notEqual(closed.containerId, open.containerId);
      // A second run finds nothing more to do.
      assert.deepEqual(await collectGarbage(docker, { agentId, openDeals: ["10"] }), {
        containers: [],
        networks: [],
        volumes: [],
      });
    });

    await t.step(
      "pruneImages() removes least recently used images that no container uses",
      async () => {
        const tags = [1, 2, 3].map((n) => `sonm-test/prune-${RUN}:${n}`);
        const ids: string[] = [];
        for (const [n, tag] of tags.entries()) {
          await ensureBusyboxImage(tag, `prune-${RUN}-${n}`);
          ids.push((await inspectImage(docker, { image: tag })).id);
        }
        const [inUse, newer, older] = ids as [string, string, string];
        const holder = await createContainer(docker, {
          config: { Image: inUse, Cmd: ["true"], Labels: { "sonm.test": RUN } },
        });
        try {
          const lastUsedMs = { [inUse]: 1_000, [newer]: 3_000, [older]: 2_000 };
          const plan = await pruneImages(docker, {
            budgetBytes: 0,
            lastUsedMs,
            onlyRecorded: true,
            dryRun: true,
          });
          assert.deepEqual(plan.removed.map((r) => r.id), [older, newer], "LRU order, in-use kept");
          const size = plan.removed[0]?.sizeBytes ?? 0;
          assert.ok(size > 0);
          const r = await pruneImages(docker, {
            budgetBytes: plan.totalBytes - 1,
            lastUsedMs,
            onlyRecorded: true,
          });
          assert.equal(r.removed[0]?.id, older);
          assert.ok(!r.removed.some((x) => x.id === inUse));
          await assert.rejects(inspectImage(docker, { image: older }));
          assert.equal((await inspectImage(docker, { image: inUse })).id, inUse);
        } finally {
          await removeContainer(docker, { id: holder.id, force: true });
          for (const tag of tags) {
            await removeImage(docker, { image: tag, force: true }).catch(() => {});
          }
        }
      },
    );
  } finally {
    for (const a of agents) await collectGarbage(docker, { agentId: a, openDeals: [] });
    for (const a of agents) {
      assert.deepEqual(await leftovers(docker, a), { containers: [], networks: [], volumes: [] });
    }
    await dockerCli(["rmi", `${registry.address}/sonm/busybox:1`]).catch(() => {});
    await registry.close();
    docker.close();
    lock.release();
  }
});
