import assert from "node:assert/strict";
import { join } from "node:path";
import { openState } from "./state.ts";
import { tasksTable } from "./tasks_table.ts";

Deno.test("tasksTable() keeps nonces across a reopen and refuses a second use", async () => {
  const dir = await Deno.makeTempDir({ prefix: "workloads-tasks-" });
  try {
    const path = join(dir, "agent.sqlite");
    const req = { signer: "0xAbC", nonce: 9n, action: "submit", dealId: 3n, expiry: 100n };
    let state = openState({ path });
    const { taskId } = tasksTable(state.db).accept(req, { spec: "{}", image: "i" }, 1);
    assert.equal(taskId, 1);
    state.close();
    state = openState({ path });
    const tasks = tasksTable(state.db);
    assert.equal(tasks.nonceSeen("0xabc", 9n), true);
    assert.throws(() => tasks.accept(req), /UNIQUE/);
    assert.equal(tasks.list().length, 1, "the failed accept added no task");
    tasks.undoAccept(req, taskId);
    assert.equal(tasks.nonceSeen("0xabc", 9n), false);
    assert.equal(tasks.list().length, 0);
    state.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tasksTable() journals a task's life and ends it once", () => {
  const state = openState({ path: ":memory:" });
  try {
    const tasks = tasksTable(state.db);
    const req = { signer: "0xa", nonce: 1n, action: "submit", dealId: 7n, expiry: 1n };
    tasks.accept(req, { spec: '{"image":"i"}', image: "i" }, 10);
    tasks.setContainer(7n, 1, "c1");
    tasks.markRunning(7n, 1, {
      containerId: "c1",
      ports: [{ containerPort: 80, protocol: "tcp", hostPort: 3000 }],
      startedAt: 11,
    });
    assert.deepEqual(tasks.active().map((r) => [r.state, r.containerId, r.ports.length]), [[
      "running",
      "c1",
      1,
    ]]);
    assert.equal(tasks.finish(7n, 1, { state: "exited", exitCode: 3, message: "m", at: 12 }), true);
    assert.equal(tasks.finish(7n, 1, { state: "stopped", message: "later", at: 13 }), false);
    const row = tasks.get(7n, 1)!;
    assert.deepEqual([row.state, row.exitCode, row.finishedAt], ["exited", 3, 12]);
    const second = tasks.accept({ ...req, nonce: 2n }, { spec: "{}", image: "j" }, 20);
    assert.equal(second.taskId, 2);
    assert.equal(tasks.latest(7n)?.taskId, 2);
    assert.equal(tasks.pruneNonces(2n), 2);
  } finally {
    state.close();
  }
});
