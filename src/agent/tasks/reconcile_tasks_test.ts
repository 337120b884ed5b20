import assert from "node:assert/strict";
import { reconcileTasks, type TaskContainer } from "./reconcile_tasks.ts";
import type { TaskRow, TaskState } from "../state/tasks_table.ts";

function row(dealId: bigint, taskId: number, state: TaskState, containerId?: string): TaskRow {
  return {
    dealId,
    taskId,
    spec: "{}",
    image: "img",
    containerId,
    state,
    exitCode: undefined,
    message: undefined,
    ports: [],
    createdAt: 1,
    startedAt: undefined,
    finishedAt: undefined,
  };
}

function container(dealId: string, taskId: string, running: boolean): TaskContainer {
  return {
    containerId: `c-${dealId}-${taskId}`,
    dealId,
    taskId,
    image: "img",
    running,
    state: running ? "running" : "exited",
  };
}

const kinds = (a: { kind: string }[]) => a.map((x) => x.kind);

Deno.test("reconcileTasks() stops and removes the task of a closed deal, journaling first", () => {
  const actions = reconcileTasks({
    openDeals: new Set(),
    rows: [row(1n, 1, "running", "c-1-1")],
    containers: [container("1", "1", true)],
    collect: true,
  });
  assert.deepEqual(kinds(actions), ["finish", "remove", "collect"]);
  assert.equal((actions[0] as { message: string }).message, "deal closed");
});

Deno.test("reconcileTasks() restarts an interrupted start and marks a running one", () => {
  const open = new Set(["1", "2", "3"]);
  const actions = reconcileTasks({
    openDeals: open,
    rows: [row(1n, 1, "starting"), row(2n, 1, "starting"), row(3n, 1, "starting")],
    containers: [container("2", "1", true), container("3", "1", false)],
    collect: false,
  });
  assert.deepEqual(
    actions.map((a) => [a.kind, "dealId" in a ? String(a.dealId) : ""]),
    [["mark-running", "2"], ["start", "1"], ["start", "3"]],
  );
});

Deno.test("reconcileTasks() records an exit, a lost container, adopts an unknown one", () => {
  const actions = reconcileTasks({
    openDeals: new Set(["1", "2", "3"]),
    rows: [row(1n, 1, "running"), row(2n, 1, "running")],
    containers: [container("1", "1", false), container("3", "4", true)],
    collect: false,
  });
  // the vanished container is the rig's loss, not the consumer's failure: it is restarted
  assert.deepEqual(kinds(actions), ["record-exit", "lost", "adopt"]);
  assert.deepEqual([actions[1]!.kind, (actions[1] as { dealId: bigint }).dealId], ["lost", 2n]);
});

Deno.test("reconcileTasks() keeps an exited task's container for its logs, removes a stopped one's", () => {
  const actions = reconcileTasks({
    openDeals: new Set(["1", "2"]),
    rows: [row(1n, 1, "exited"), row(2n, 1, "stopped")],
    containers: [container("1", "1", false), container("2", "1", false)],
    collect: false,
  });
  assert.deepEqual(
    actions.map((a) => [a.kind, "containerId" in a ? a.containerId : ""]),
    [["remove", "c-2-1"]],
  );
});

Deno.test("reconcileTasks() does nothing when all three sources agree", () => {
  const actions = reconcileTasks({
    openDeals: new Set(["1"]),
    rows: [row(1n, 1, "running")],
    containers: [container("1", "1", true)],
    collect: false,
  });
  assert.deepEqual(actions, []);
});
