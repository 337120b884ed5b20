/**
 * Hostile workloads under the task runtime's hardening, on the real dockerd:
 * a fork bomb meets the pids limit, a memory hog is OOM-killed at the deal's
 * limit, a CPU burner is throttled to its share, `mount` and raw sockets are
 * refused, and the agent and the host stay healthy.
 */
import assert from "node:assert/strict";
import {
  collectGarbage,
  containerLogs,
  containerStats,
  type ContainerStatsSample,
  type DockerClient,
  execContainer,
  findTasks,
  inspectContainer,
  ping,
  startTask,
  type StartTaskReturnType,
  stopTask,
  streamEvents,
  type TaskSpecInput,
  waitContainer,
} from "../src/docker/mod.ts";
import { ensureDockerd, lockDockerd } from "./_fixtures/dockerd.ts";
import { ensureBusyboxImage } from "./_fixtures/images.ts";
import { startRegistry } from "./_fixtures/registry.ts";

const AGENT = `hostile${Date.now().toString(36)}`;
const MiB = 2 ** 20;

function hostProcessCount(): number {
  let n = 0;
  for (const e of Deno.readDirSync("/proc")) if (/^\d+$/.test(e.name)) n++;
  return n;
}

async function logsOf(docker: DockerClient, id: string): Promise<string> {
  let text = "";
  for await (const c of containerLogs(docker, { id })) text += new TextDecoder().decode(c.data);
  return text;
}

async function samples(
  docker: DockerClient,
  id: string,
  n: number,
): Promise<ContainerStatsSample[]> {
  const ac = new AbortController();
  const out: ContainerStatsSample[] = [];
  for await (const s of containerStats(docker, { id, signal: ac.signal })) {
    out.push(s);
    if (out.length === n) ac.abort();
  }
  return out;
}

function readCgroup(controller: string, id: string, file: string): string | undefined {
  try {
    return Deno.readTextFileSync(`/sys/fs/cgroup/${controller}/docker/${id}/${file}`);
  } catch {
    return undefined; // cgroup v2 or another cgroup parent: the Docker-level checks still run
  }
}

Deno.test("hostile tasks are contained and the host stays healthy", async (t) => {
  const lock = await lockDockerd("shared");
  const docker = await ensureDockerd();
  const registry = await startRegistry();
  const hostProcsBefore = hostProcessCount();
  let deal = 0;
  try {
    const pushed = await registry.push(await ensureBusyboxImage(), "sonm/busybox:1");
    const run = (spec: Omit<TaskSpecInput, "image">): Promise<StartTaskReturnType> =>
      startTask(docker, {
        spec: { image: pushed.reference, ...spec },
        policy: { allowPatterns: [`${registry.address}/sonm/*`], pull: "missing" },
        registryAuth: { username: registry.username, password: registry.password },
        agentId: AGENT,
        dealId: String(++deal),
        taskId: "1",
      });

    await t.step("a fork bomb is stopped by the pids limit", async () => {
      const task = await run({
        command: ["sh", "-c", "bomb() { bomb | bomb & }; bomb; sleep 60"],
        limits: { memoryBytes: 128 * MiB, pidsLimit: 32, cpus: 0.5 },
      });
      await new Promise((r) => setTimeout(r, 1500));
      const s = await samples(docker, task.containerId, 2);
      for (const x of s) assert.ok(x.pids <= 32, `pids ${x.pids} over the limit of 32`);
      const max = readCgroup("pids", task.containerId, "pids.max");
      if (max !== undefined) {
        assert.equal(max.trim(), "32");
        const events = readCgroup("pids", task.containerId, "pids.events") ?? "";
        assert.ok(Number(/max (\d+)/.exec(events)?.[1] ?? 0) > 0, `limit never hit: ${events}`);
      }
      const stopped = await stopTask(docker, { containerId: task.containerId, timeoutSeconds: 0 });
      assert.equal(stopped.found, true);
      assert.ok(hostProcessCount() < hostProcsBefore + 40, "bomb processes left on the host");
    });

    await t.step("a memory hog is OOM-killed at the deal's memory limit", async () => {
      const task = await run({
        command: ["dd", "if=/dev/zero", "of=/dev/null", "bs=96M", "count=1"],
        limits: { memoryBytes: 32 * MiB, pidsLimit: 16 },
      });
      const { exitCode } = await waitContainer(docker, { id: task.containerId, timeoutMs: 60_000 });
      const info = await inspectContainer(docker, { id: task.containerId });
      assert.equal(exitCode, 137);
      assert.equal(info.state.oomKilled, true);
      assert.equal(info.hostConfig.Memory, 32 * MiB);
      assert.equal(info.hostConfig.MemorySwap, 32 * MiB, "no swap to escape to");
      // The agent learns of it from the event stream too.
      const seen: string[] = [];
      const ac = new AbortController();
      for await (
        const e of streamEvents(docker, {
          since: Math.floor(Date.parse(info.state.startedAt) / 1000) - 1,
          filters: { type: ["container"], container: [task.containerId] },
          signal: ac.signal,
        })
      ) {
        seen.push(e.action);
        if (e.action === "die") ac.abort();
      }
      assert.ok(seen.includes("oom"), `no oom event in ${seen.join(", ")}`);
      const limit = readCgroup("memory", task.containerId, "memory.limit_in_bytes");
      if (limit !== undefined) assert.equal(Number(limit), 32 * MiB);
      await stopTask(docker, { containerId: task.containerId });
    });

    await t.step("a CPU burner is throttled to its share", async () => {
      const task = await run({
        command: ["sh", "-c", "while :; do :; done"],
        limits: { memoryBytes: 32 * MiB, pidsLimit: 16, cpus: 0.25 },
      });
      const s = await samples(docker, task.containerId, 4);
      const first = s[1]!; // the first sample has no previous CPU reading to pair with
      const last = s[s.length - 1]!;
      const wallNs = (Date.parse(last.read) - Date.parse(first.read)) * 1e6;
      const cores = (last.cpuTotalNs - first.cpuTotalNs) / wallNs;
      assert.ok(cores <= 0.25 * 1.3, `used ${cores.toFixed(3)} cores with a share of 0.25`);
      assert.ok(cores > 0.05, `the burner hardly ran: ${cores.toFixed(3)} cores`);
      assert.ok(last.throttledPeriods > first.throttledPeriods, "never throttled");
      await stopTask(docker, { containerId: task.containerId, timeoutSeconds: 0 });
    });

    await t.step(
      "mount and raw sockets are refused; no capabilities, no new privileges",
      async () => {
        const task = await run({
          command: [
            "sh",
            "-c",
            [
              "mount -t tmpfs none /tmp; echo mount=$?",
              "arping -c 1 -w 1 -I eth0 127.0.0.1; echo arping=$?",
              "ping -c 1 -W 1 127.0.0.1; echo ping=$?",
              "grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status",
            ].join("; "),
          ],
          limits: { memoryBytes: 32 * MiB, pidsLimit: 16 },
        });
        await waitContainer(docker, { id: task.containerId, timeoutMs: 30_000 });
        const out = await logsOf(docker, task.containerId);
        assert.match(out, /mount: permission denied/);
        assert.match(out, /mount=1/);
        assert.match(out, /arping: socket: Operation not permitted/);
        assert.match(out, /arping=1/);
        assert.match(out, /ping=1/);
        assert.match(out, /CapEff:\s+0000000000000000/);
        assert.match(out, /CapBnd:\s+0000000000000000/);
        assert.match(out, /NoNewPrivs:\s+1/);
        const info = await inspectContainer(docker, { id: task.containerId });
        assert.equal(info.hostConfig.Privileged, false);
        assert.deepEqual(info.hostConfig.CapDrop, ["ALL"]);
        assert.notEqual(info.hostConfig.PidMode, "host");
        assert.notEqual(info.hostConfig.NetworkMode, "host");
        assert.deepEqual(info.networks, [`sonm-${AGENT}-deal-${deal}`]);
        await stopTask(docker, { containerId: task.containerId });
      },
    );

    await t.step("a read-only root filesystem refuses writes outside /tmp", async () => {
      const task = await run({
        command: ["sh", "-c", "sleep 30"],
        limits: { memoryBytes: 32 * MiB, pidsLimit: 16, networkMode: "none" },
        readOnlyRootfs: true,
      });
      const denied = await execContainer(docker, {
        id: task.containerId,
        cmd: ["touch", "/etc/x"],
      });
      assert.notEqual(denied.exitCode, 0);
      assert.match(denied.stderr, /Read-only file system/);
      const tmp = await execContainer(docker, { id: task.containerId, cmd: ["touch", "/tmp/x"] });
      assert.equal(tmp.exitCode, 0);
      const net = await execContainer(docker, {
        id: task.containerId,
        cmd: ["ls", "/sys/class/net"],
      });
      assert.equal(net.stdout.trim(), "lo", "networkMode none has only loopback");
      await stopTask(docker, { containerId: task.containerId, timeoutSeconds: 0 });
    });

    await t.step(
      "a storage limit is applied where the driver can, and reported where not",
      async () => {
        const task = await run({
          command: ["sleep", "30"],
          limits: { memoryBytes: 32 * MiB, pidsLimit: 16, storageBytes: 64 * MiB },
        });
        const info = await inspectContainer(docker, { id: task.containerId });
        const applied = (info.hostConfig.StorageOpt as Record<string, string> | null)?.size;
        if (applied !== undefined) {
          assert.equal(applied, String(64 * MiB));
          assert.ok(!task.warnings.some((w) => w.startsWith("storage limit not applied")));
        } else {
          // vfs or overlay2 without project quotas (this machine): the task runs, the agent is told.
          assert.ok(
            task.warnings.some((w) => /^storage limit not applied: .*quota/i.test(w)),
            `no warning in ${JSON.stringify(task.warnings)}`,
          );
          assert.equal(info.state.running, true);
        }
        await stopTask(docker, { containerId: task.containerId, timeoutSeconds: 0 });
      },
    );

    await t.step("the agent and the host stay healthy", async () => {
      await ping(docker);
      assert.ok(hostProcessCount() < hostProcsBefore + 40);
      const task = await run({
        command: ["echo", "still fine"],
        limits: { memoryBytes: 32 * MiB, pidsLimit: 16 },
      });
      assert.equal(
        (await waitContainer(docker, { id: task.containerId, timeoutMs: 30_000 })).exitCode,
        0,
      );
      assert.equal(await logsOf(docker, task.containerId), "still fine\n");
      const mem = Deno.memoryUsage().rss;
      assert.ok(mem < 1024 * MiB, `agent process grew to ${mem} bytes`);
    });
  } finally {
    await collectGarbage(docker, { agentId: AGENT, openDeals: [] });
    assert.deepEqual(await findTasks(docker, { agentId: AGENT }), []);
    await registry.close();
    docker.close();
    lock.release();
  }
});
