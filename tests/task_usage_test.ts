/**
 * createTaskUsageReader() on a real dockerd: a busy task container of this
 * agent (found by its sonm.* labels) shows CPU and memory use; a container
 * of another agent and a stopped one are left out.
 */
import assert from "node:assert/strict";
import { createTaskUsageReader, taskUsageKey } from "../src/agent/status/mod.ts";
import { ensureDockerd, lockDockerd } from "./_fixtures/dockerd.ts";
import { dockerCli, ensureBusyboxImage } from "./_fixtures/images.ts";

const AGENT = `dash-usage-${Deno.pid}`;

Deno.test("createTaskUsageReader() reads a running task's CPU and memory from Docker's stats", async () => {
  const lock = await lockDockerd("shared");
  const docker = await ensureDockerd();
  const names: string[] = [];
  const start = async (name: string, agent: string, deal: string, command: string[]) => {
    names.push(name);
    await dockerCli([
      "run",
      "-d",
      "--name",
      name,
      "--label",
      `sonm.agent=${agent}`,
      "--label",
      `sonm.deal=${deal}`,
      "--label",
      "sonm.task=1",
      "--memory",
      "64m",
      await ensureBusyboxImage(),
      ...command,
    ]);
  };
  try {
    await start(`${AGENT}-busy`, AGENT, "7", ["sh", "-c", "while :; do :; done"]);
    await start(`${AGENT}-done`, AGENT, "8", ["true"]);
    await start(`${AGENT}-other`, `${AGENT}-x`, "9", ["sh", "-c", "while :; do :; done"]);
    const reader = createTaskUsageReader(docker, { agentId: AGENT });
    assert.equal(reader.current().size, 0, "nothing read yet");
    const usage = await reader.refresh();
    assert.deepEqual([...usage.keys()], [taskUsageKey("7", "1")]);
    const busy = usage.get("7/1")!;
    assert.ok(busy.cpuPercent > 20, `cpu ${busy.cpuPercent}%`);
    assert.ok(busy.memBytes > 0 && busy.memBytes <= 64 * 2 ** 20, `mem ${busy.memBytes}`);
    assert.equal(reader.current(), usage, "current() returns the last readings at once");
  } finally {
    for (const name of names) await dockerCli(["rm", "-f", name]).catch(() => {});
    docker.close();
    lock.release();
  }
});
