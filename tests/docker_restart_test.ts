/**
 * dockerd restarted while a task runs: the same client reconnects, the task
 * is found again by its labels and still runs (live restore). The fixture
 * restarts the real daemon with its own flags and leaves it running.
 */
import assert from "node:assert/strict";
import {
  collectGarbage,
  containerLogs,
  DockerSocketError,
  findTasks,
  getInfo,
  inspectContainer,
  ping,
  startTask,
  stopTask,
} from "../src/docker/mod.ts";
import { dockerdArgs, ensureDockerd, lockDockerd, restartDockerd } from "./_fixtures/dockerd.ts";
import { ensureBusyboxImage } from "./_fixtures/images.ts";
import { startRegistry } from "./_fixtures/registry.ts";

const AGENT = `restart${Date.now().toString(36)}`;

Deno.test("a task survives a dockerd restart and is found again by label", async () => {
  const lock = await lockDockerd("exclusive");
  const docker = await ensureDockerd();
  const registry = await startRegistry();
  try {
    if (!(await getInfo(docker)).liveRestoreEnabled) {
      // Once per machine: from now on the daemon keeps containers across restarts.
      await restartDockerd({ extraArgs: ["--live-restore"] });
    }
    assert.ok(dockerdArgs().includes("--live-restore"));
    const pushed = await registry.push(await ensureBusyboxImage(), "sonm/busybox:1");
    const task = await startTask(docker, {
      spec: {
        image: pushed.reference,
        command: ["sh", "-c", "while :; do echo tick; sleep 0.2; done"],
        limits: { memoryBytes: 16 * 2 ** 20, pidsLimit: 8 },
      },
      policy: { allowPatterns: [`${registry.address}/sonm/*`], pull: "missing" },
      registryAuth: { username: registry.username, password: registry.password },
      agentId: AGENT,
      dealId: "7",
      taskId: "a",
    });
    const pidBefore = (await inspectContainer(docker, { id: task.containerId })).state.pid;

    await restartDockerd({
      whileDown: async () => {
        const t0 = Date.now();
        await assert.rejects(findTasks(docker, { agentId: AGENT }), DockerSocketError);
        assert.ok(Date.now() - t0 < 5_000, "a dead socket must fail fast, not hang");
      },
    });

    await ping(docker); // the same client, no re-creation
    const found = await findTasks(docker, { agentId: AGENT });
    assert.deepEqual(found.map((f) => [f.containerId, f.dealId, f.taskId, f.running]), [
      [task.containerId, "7", "a", true],
    ]);
    const info = await inspectContainer(docker, { id: task.containerId });
    assert.equal(info.state.pid, pidBefore, "the same process kept running");
    let ticks = 0;
    for await (const c of containerLogs(docker, { id: task.containerId, tail: 5 })) {
      ticks += new TextDecoder().decode(c.data).split("tick").length - 1;
    }
    assert.ok(ticks >= 1);
    const stopped = await stopTask(docker, { containerId: task.containerId, timeoutSeconds: 0 });
    assert.equal(stopped.found, true);
  } finally {
    // Whatever happened, the daemon must be up for the other tests.
    const up = await ensureDockerd();
    await collectGarbage(up, { agentId: AGENT, openDeals: [] });
    up.close();
    await registry.close();
    docker.close();
    lock.release();
  }
});
