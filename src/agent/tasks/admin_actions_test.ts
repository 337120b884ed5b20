import assert from "node:assert/strict";
import { RequestRefusedError } from "../../nat/mod.ts";
import { createAdminActions, dashboardAct } from "./admin_actions.ts";
import type { PlanConfig } from "../config/config.ts";
import { createLogger } from "../base/logger.ts";
import { createPlanAdminControls } from "./plan_admin_controls.ts";
import { planOverridesTable } from "../state/plan_overrides.ts";
import { openState } from "../state/state.ts";
import { type TaskRow, tasksTable } from "../state/tasks_table.ts";

/** Real sqlite tables; the container side is recorded (the devnet + dockerd test runs it for real). */
function setup() {
  const state = openState({ path: ":memory:" });
  const tasks = tasksTable(state.db);
  let changes = 0;
  const controls = createPlanAdminControls(state.db, {
    plans: [{ name: "gpu-a", priceUsdPerHour: "1" }] as PlanConfig[],
    onChange: () => changes++,
  });
  const stopped: { taskId: number; message: string }[] = [];
  const runtime = {
    tasks,
    stop: (row: TaskRow, end: { state: string; message: string }) => {
      stopped.push({ taskId: row.taskId, message: end.message });
      return Promise.resolve({ ...row, state: "stopped" as const, message: end.message });
    },
    statusOf: (row: TaskRow) =>
      ({ taskId: row.taskId, state: row.state, message: row.message ?? "" }) as never,
  };
  const task = (taskId: number, state: TaskRow["state"]) =>
    tasks.insert({
      dealId: 7n,
      taskId,
      spec: "{}",
      image: "busybox",
      containerId: `c${taskId}`,
      state,
      exitCode: undefined,
      message: undefined,
      createdAt: taskId,
      startedAt: undefined,
      finishedAt: undefined,
    });
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({ format: "json", write: (line) => logs.push(JSON.parse(line)) });
  const actions = createAdminActions(runtime, { controls, logger });
  const overrides = () => planOverridesTable(state.db).all();
  return { state, actions, task, stopped, overrides, logs, changes: () => changes };
}

function refusedWith(code: string, message: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof RequestRefusedError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  };
}

Deno.test("createAdminActions() refuses in prepare, before anything changes", () => {
  const { state, actions, overrides, logs, changes } = setup();
  try {
    assert.throws(
      () => actions.check({ kind: "pause-plan", plan: "nope" }, "dashboard"),
      refusedWith("malformed", /plan "nope" is not in this rig's config/),
    );
    assert.throws(
      () => actions.check({ kind: "set-price", plan: "gpu-a", priceUsdPerHour: "-1" }, "0xadmin"),
      refusedWith("malformed", /price "-1"/),
    );
    assert.throws(
      () => actions.check({ kind: "stop-task", dealId: 7n }, "dashboard"),
      refusedWith("unknown-task", /deal 7 has no task yet/),
    );
    const bare = createAdminActions(
      { tasks: tasksTable(state.db), stop: () => Promise.reject(), statusOf: () => ({}) as never },
      {},
    );
    assert.throws(
      () => bare.check({ kind: "resume-plan", plan: "gpu-a" }, "dashboard"),
      refusedWith("unavailable", /admin.resume-plan is not available/),
    );
    assert.deepEqual(overrides(), []);
    assert.equal(changes(), 0);
    assert.deepEqual(logs, []);
  } finally {
    state.close();
  }
});

Deno.test("createAdminActions() pauses and resumes a plan and tells the market", async () => {
  const { state, actions, overrides, logs, changes } = setup();
  try {
    const run = actions.check({ kind: "pause-plan", plan: "gpu-a" }, "dashboard");
    assert.deepEqual(overrides(), [], "prepare alone changes nothing");
    assert.deepEqual(await run(), { plan: "gpu-a", paused: true });
    assert.deepEqual(overrides(), [{ plan: "gpu-a", paused: true, priceUsdPerHour: undefined }]);
    assert.equal(changes(), 1);
    await actions.check({ kind: "resume-plan", plan: "gpu-a" }, "dashboard")();
    assert.equal(overrides()[0]!.paused, false);
    assert.equal(changes(), 2);
    // who changed what, for the rig owner's log
    assert.deepEqual(logs.map((l) => [l.msg, l.plan, l.by]), [
      ["plan paused", "gpu-a", "dashboard"],
      ["plan resumed", "gpu-a", "dashboard"],
    ]);
  } finally {
    state.close();
  }
});

Deno.test("createAdminActions() stops the named or latest task; a failed one is left as it is", async () => {
  const { state, actions, task, stopped } = setup();
  try {
    task(1, "failed");
    task(2, "running");
    const latest = await actions.check({ kind: "stop-task", dealId: 7n }, "0xAdmin")();
    assert.deepEqual(latest, {
      taskId: 2,
      state: "stopped",
      message: "stopped by administrator 0xAdmin",
    });
    const failed = await actions.check(
      { kind: "stop-task", dealId: 7n, taskId: 1 },
      "dashboard",
    )();
    assert.deepEqual(failed, { taskId: 1, state: "failed", message: "" });
    assert.deepEqual(stopped, [{ taskId: 2, message: "stopped by administrator 0xAdmin" }]);
    assert.throws(
      () => actions.check({ kind: "stop-task", dealId: 7n, taskId: 9 }, "dashboard"),
      refusedWith("unknown-task", /deal 7 has no task 9/),
    );
  } finally {
    state.close();
  }
});

Deno.test("dashboardAct() maps the page's actions onto the admin actions", async () => {
  const { state, actions, task, stopped, overrides } = setup();
  try {
    const act = dashboardAct(actions);
    assert.deepEqual(await act({ kind: "pause-plan", plan: "gpu-a", paused: true }), {
      plan: "gpu-a",
      paused: true,
    });
    await act({ kind: "pause-plan", plan: "gpu-a", paused: false });
    assert.equal(overrides()[0]!.paused, false);
    task(1, "running");
    await act({ kind: "stop-task", dealId: "7", taskId: "1" });
    assert.deepEqual(stopped, [{ taskId: 1, message: "stopped from the dashboard" }]);
    await assert.rejects(
      act({ kind: "stop-task", dealId: "7; DROP", taskId: "1" }),
      refusedWith("malformed", /deal id "7; DROP" is not a number/),
    );
    await assert.rejects(
      act({ kind: "stop-task", dealId: "7", taskId: "1e3" }),
      refusedWith("malformed", /task id "1e3"/),
    );
    await assert.rejects(
      act({ kind: "pause-plan", plan: "nope", paused: true }),
      refusedWith("malformed", /plan "nope"/),
    );
  } finally {
    state.close();
  }
});

Deno.test("createAdminActions() answers a deal id past int64 as a deal with no task, not a bind error", async () => {
  const { state, actions } = setup();
  try {
    for (const dealId of [2n ** 63n, 10n ** 77n]) {
      assert.throws(
        () => actions.check({ kind: "stop-task", dealId }, "0xadmin"),
        refusedWith("unknown-task", new RegExp(`^deal ${dealId} has no task yet$`)),
      );
    }
    await assert.rejects(
      dashboardAct(actions)({ kind: "stop-task", dealId: "9223372036854775808", taskId: "1" }),
      refusedWith("unknown-task", /^deal 9223372036854775808 has no task 1$/),
    );
  } finally {
    state.close();
  }
});
