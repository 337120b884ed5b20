import { parseUsdPerHour } from "../../chain/mod.ts";
import type { DashboardAction } from "../../dashboard/mod.ts";
import { RequestRefusedError, type TaskStatus } from "../../nat/mod.ts";
import type { Logger } from "../base/mod.ts";
import type { TaskRuntime } from "./task_runtime.ts";
import { FINISHED_TASK_STATES, type TaskRow } from "../state/mod.ts";

/** What a rig's administrator may change about its plans (the market side owns it). */
export type AdminControls = {
  /** A snapshot for `admin.status` (plans, orders, deals). */
  status(): unknown;
  /** Whether `plan` is one of the config's plans. */
  hasPlan(plan: string): boolean;
  /** `by`: who asked (an administrator's address, or `dashboard`). */
  pausePlan(plan: string, by: string): Promise<void> | void;
  resumePlan(plan: string, by: string): Promise<void> | void;
  setPrice(plan: string, priceUsdPerHour: string, by: string): Promise<void> | void;
};

/** One administrative change, from the task protocol or from the dashboard. */
export type AdminRequest =
  | { kind: "status" }
  | { kind: "pause-plan"; plan: string }
  | { kind: "resume-plan"; plan: string }
  | { kind: "set-price"; plan: string; priceUsdPerHour: string }
  /** Without `taskId`: the deal's latest task. */
  | { kind: "stop-task"; dealId: bigint; taskId?: number | undefined };

/** A checked request: running it makes the change and answers what changed. */
export type PreparedAdminAction = (signal?: AbortSignal) => Promise<unknown>;

/** The rig owner's administrative actions, shared by the task protocol and the dashboard. */
export type AdminActions = {
  /**
   * Checks `request` (the plan is known, the task exists, the price parses,
   * the controls exist) without changing anything, and returns the change to
   * run. Throws {@linkcode RequestRefusedError} to refuse.
   */
  check(request: AdminRequest, by: string): PreparedAdminAction;
};

/**
 * The one code path of administrative actions: the task protocol's
 * `admin.*` requests (after their signature, signer and expiry were checked)
 * and the dashboard's controls (after its token and origin were) both end
 * here. A request is checked in full before anything changes, so a caller can
 * journal it (the protocol's nonce) between `prepare` and the run, and a
 * refusal changes nothing. Stopping a task journals its end, then stops and
 * removes its container; a finished task is answered as it is.
 *
 * @example
 * ```ts ignore
 * const actions = createAdminActions(runtime, { controls });
 * const run = actions.check({ kind: "pause-plan", plan: "gpu-a" }, "dashboard");
 * await run(signal); // the plan's ASK is cancelled at the market's next step
 * ```
 */
export function createAdminActions(
  runtime: Pick<TaskRuntime, "tasks" | "stop" | "statusOf">,
  options: {
    controls?: AdminControls | undefined;
    /** Each change is logged with who asked (the rig owner's audit trail). */
    logger?: Logger | undefined;
  },
): AdminActions {
  const { tasks } = runtime;
  const { controls, logger } = options;

  function planControls(plan: string, what: string): AdminControls {
    if (controls === undefined) {
      throw new RequestRefusedError("unavailable", `${what} is not available on this rig`);
    }
    if (!controls.hasPlan(plan)) {
      throw new RequestRefusedError("malformed", `plan "${plan}" is not in this rig's config`);
    }
    return controls;
  }

  function taskOf(dealId: bigint, taskId: number | undefined): TaskRow {
    // a deal id may have 78 digits (uint256); the journal's are int64: a larger one has no task
    const row = dealId > MAX_INT64
      ? undefined
      : taskId === undefined
      ? tasks.latest(dealId)
      : tasks.get(dealId, taskId);
    if (row === undefined) {
      throw new RequestRefusedError(
        "unknown-task",
        taskId === undefined
          ? `deal ${dealId} has no task yet`
          : `deal ${dealId} has no task ${taskId}`,
      );
    }
    return row;
  }

  return {
    check(request, by): PreparedAdminAction {
      switch (request.kind) {
        case "status":
          return () =>
            Promise.resolve({
              market: controls?.status(),
              tasks: tasks.list().slice(0, 100).map(runtime.statusOf),
            });
        case "pause-plan":
        case "resume-plan": {
          const { plan, kind } = request;
          const c = planControls(plan, `admin.${kind}`);
          const paused = kind === "pause-plan";
          return async () => {
            await (paused ? c.pausePlan(plan, by) : c.resumePlan(plan, by));
            logger?.info(paused ? "plan paused" : "plan resumed", { plan, by });
            return { plan, paused };
          };
        }
        case "set-price": {
          const { plan, priceUsdPerHour } = request;
          const c = planControls(plan, "admin.set-price");
          try {
            parseUsdPerHour(priceUsdPerHour);
          } catch (error) {
            throw new RequestRefusedError(
              "malformed",
              `price "${priceUsdPerHour}": ${error instanceof Error ? error.message : error}`,
            );
          }
          return async () => {
            await c.setPrice(plan, priceUsdPerHour, by);
            logger?.info("plan re-priced", { plan, usdPerHour: priceUsdPerHour, by });
            return { plan, priceUsdPerHour };
          };
        }
        case "stop-task": {
          const row = taskOf(request.dealId, request.taskId);
          return async (signal) => {
            const status = await stopTaskRow(runtime, row, { message: stoppedBy(by), signal });
            logger?.info("task stopped", { dealId: row.dealId, taskId: row.taskId, by });
            return status;
          };
        }
      }
    },
  };
}

/**
 * Stops one task: journals its end as `stopped` with `message`, then stops
 * and removes its container ({@linkcode TaskRuntime.stop}, idempotent). A task
 * that exited on its own still has a container to remove; one that failed,
 * was OOM-killed or stopped is answered as it is.
 *
 * @example
 * ```ts ignore
 * const status = await stopTaskRow(runtime, row, { message: "stopped by the consumer", signal });
 * ```
 */
export async function stopTaskRow(
  runtime: Pick<TaskRuntime, "stop" | "statusOf">,
  row: TaskRow,
  options: { message: string; signal?: AbortSignal | undefined },
): Promise<TaskStatus> {
  const stopped = FINISHED_TASK_STATES.has(row.state) && row.state !== "exited"
    ? row
    : await runtime.stop(row, { state: "stopped", message: options.message }, options.signal);
  return runtime.statusOf(stopped);
}

/**
 * The dashboard's `act` over the admin actions: pause or resume a plan, stop
 * a deal's task, as the rig owner (`by` is `dashboard`). Answers what changed
 * (the plan's new state, the stopped task's status); throws
 * {@linkcode RequestRefusedError} to refuse (an unknown plan or task).
 *
 * @example
 * ```ts ignore
 * const act = dashboardAct(workloads.admin);
 * await act({ kind: "pause-plan", plan: "gpu-a", paused: true });
 * ```
 */
export function dashboardAct(
  actions: AdminActions,
): (action: DashboardAction) => Promise<unknown> {
  // async: a refusal is always a rejected promise, never a throw from the call
  return async (action) => {
    const request: AdminRequest = action.kind === "pause-plan"
      ? { kind: action.paused ? "pause-plan" : "resume-plan", plan: action.plan }
      : {
        kind: "stop-task",
        dealId: parseId(action.dealId, "deal", 78),
        taskId: Number(parseId(action.taskId, "task", 9)),
      };
    return await actions.check(request, "dashboard")();
  };
}

/** The largest deal id the tasks journal can hold (sqlite's INTEGER). */
const MAX_INT64 = 2n ** 63n - 1n;

function parseId(value: string, what: string, maxDigits: number): bigint {
  if (!new RegExp(`^\\d{1,${maxDigits}}$`).test(value)) {
    throw new RequestRefusedError("malformed", `${what} id "${value}" is not a number`);
  }
  return BigInt(value);
}

function stoppedBy(by: string): string {
  return by === "dashboard" ? "stopped from the dashboard" : `stopped by administrator ${by}`;
}
