import { containerLogs, DockerValidationError, ImagePolicyError } from "../docker/mod.ts";
import {
  type AdminAction,
  RequestRefusedError,
  type TaskRequestHandler,
  type TaskStatus,
  type VerifiedRequest,
} from "../nat/mod.ts";
import { killPoint } from "./kill_point.ts";
import type { TaskRuntime } from "./task_runtime.ts";
import { FINISHED_TASK_STATES, type TaskRow } from "./tasks_table.ts";

/** What an administrator may change through the task protocol (the market side owns it). */
export type AdminControls = {
  /** A snapshot for `admin.status` (plans, orders, deals). */
  status(): unknown;
  /** `by`: the administrator's address. */
  pausePlan(plan: string, by: string): Promise<void> | void;
  resumePlan(plan: string, by: string): Promise<void> | void;
  setPrice(plan: string, priceUsdPerHour: string, by: string): Promise<void> | void;
};

/** Options of {@linkcode createTaskHandler}. */
export type TaskHandlerOptions = {
  /** Addresses allowed to send admin actions (config `admins`). */
  admins: readonly string[];
  /** The market side of admin actions; without it, only `admin.status` and `admin.stop-task` work. */
  adminControls?: AdminControls | undefined;
  /** Unix seconds now. @default {wall clock} */
  nowSeconds?: (() => bigint) | undefined;
};

/**
 * The agent's side of the task protocol. Every request, after its signature
 * was checked by the transport ({@linkcode dispatchTaskRequest}), is accepted
 * only when, in this order:
 *
 * 1. its expiry is ahead;
 * 2. consumer actions: the deal is open on chain (read from the chain, not the
 *    index) and this rig's, and the signer is the deal's consumer; admin
 *    actions: the signer is in `admins`;
 * 3. its nonce is new for the signer (nonces persist in sqlite: a replay after
 *    a restart is refused too);
 * 4. submit: the spec fits the plan the deal bought and its image may pass the
 *    rig's policy, and the deal has no running task.
 *
 * A refusal throws {@linkcode RequestRefusedError} and changes nothing. An
 * accepted submit is journaled (nonce and task row in one transaction) before
 * any container call; its container then runs with the plan's limits.
 *
 * @example
 * ```ts ignore
 * const handler = createTaskHandler(runtime, { admins: config.admins });
 * const reply = await dispatchTaskRequest(handler, envelope, { domain, signal });
 * ```
 */
export function createTaskHandler(
  runtime: TaskRuntime,
  options: TaskHandlerOptions,
): TaskRequestHandler {
  const { tasks } = runtime;
  const admins = new Set(options.admins.map((a) => a.toLowerCase()));
  const nowSeconds = options.nowSeconds ?? (() => BigInt(Math.floor(Date.now() / 1000)));

  function checkFresh(request: VerifiedRequest) {
    const now = nowSeconds();
    if (request.expiry <= now) {
      throw new RequestRefusedError("expired", `request expired at ${request.expiry} (now ${now})`);
    }
    if (tasks.nonceSeen(request.signer, request.nonce)) {
      throw new RequestRefusedError(
        "replay",
        `nonce ${request.nonce} of ${request.signer} was used before`,
      );
    }
  }

  /** Checks a consumer request up to its nonce; records nothing. */
  async function consumerDeal(request: VerifiedRequest, signal: AbortSignal) {
    checkFresh(request);
    const deal = await runtime.openDeal(request.dealId, signal);
    if (deal.consumer.toLowerCase() !== request.signer.toLowerCase()) {
      throw new RequestRefusedError(
        "not-authorized",
        `${request.signer} is not the consumer of deal ${deal.id}`,
      );
    }
    checkFresh(request); // the chain read awaited: a concurrent twin may have used the nonce
    return deal;
  }

  const record = (request: VerifiedRequest) => ({
    signer: request.signer,
    nonce: request.nonce,
    action: request.action,
    dealId: request.dealId,
    expiry: request.expiry,
  });

  function latestTask(dealId: bigint): TaskRow {
    const row = tasks.latest(dealId);
    if (row === undefined) {
      throw new RequestRefusedError("unknown-task", `deal ${dealId} has no task yet`);
    }
    return row;
  }

  async function stopLatest(dealId: bigint, message: string, signal: AbortSignal) {
    const row = latestTask(dealId);
    const stopped = FINISHED_TASK_STATES.has(row.state) && row.state !== "exited"
      ? row
      : await runtime.stop(row, { state: "stopped", message }, signal);
    return runtime.statusOf(stopped);
  }

  return {
    async submit(request, signal): Promise<TaskStatus> {
      const deal = await consumerDeal(request, signal);
      const plan = await runtime.planOfDeal(deal, signal);
      runtime.specFor(plan, request.args.spec); // refuses a spec over the plan's limits
      const current = tasks.latest(deal.id);
      if (current !== undefined && !FINISHED_TASK_STATES.has(current.state)) {
        throw new RequestRefusedError(
          "unavailable",
          `deal ${deal.id} already runs task ${current.taskId}: stop it first`,
        );
      }
      checkFresh(request);
      const spec = JSON.stringify(request.args.spec);
      const { taskId } = tasks.accept(record(request), { spec, image: request.args.spec.image });
      killPoint("task-accepted");
      const row = tasks.get(deal.id, taskId!)!;
      try {
        return runtime.statusOf(await runtime.start(row, plan, signal, { fresh: true }));
      } catch (error) {
        if (error instanceof ImagePolicyError) {
          tasks.undoAccept(record(request), taskId);
          throw new RequestRefusedError("policy", error.message);
        }
        if (error instanceof DockerValidationError) {
          tasks.undoAccept(record(request), taskId);
          throw new RequestRefusedError("over-limits", error.message);
        }
        return runtime.statusOf(tasks.get(deal.id, taskId!) ?? row);
      }
    },

    async status(request, signal): Promise<TaskStatus> {
      const deal = await consumerDeal(request, signal);
      const row = latestTask(deal.id);
      tasks.accept(record(request));
      return runtime.statusOf(row);
    },

    async *logs(request, signal): AsyncIterable<Uint8Array> {
      const deal = await consumerDeal(request, signal);
      const row = latestTask(deal.id);
      if (row.containerId === undefined) {
        throw new RequestRefusedError("unknown-task", `task ${row.taskId} has no container yet`);
      }
      tasks.accept(record(request));
      for await (
        const chunk of containerLogs(runtime.docker, {
          id: row.containerId,
          follow: request.args.follow,
          tail: request.args.tail,
          signal,
        })
      ) {
        yield chunk.data;
      }
    },

    async stop(request, signal): Promise<TaskStatus> {
      const deal = await consumerDeal(request, signal);
      latestTask(deal.id);
      tasks.accept(record(request));
      return await stopLatest(deal.id, "stopped by the consumer", signal);
    },

    async forward(request, signal) {
      const deal = await consumerDeal(request, signal);
      const row = latestTask(deal.id);
      const port = row.ports.find((p) => p.containerPort === request.args.containerPort);
      if (row.state !== "running" || port === undefined) {
        throw new RequestRefusedError(
          "unknown-task",
          `task ${row.taskId} of deal ${deal.id} publishes no running port ${request.args.containerPort}`,
        );
      }
      tasks.accept(record(request));
      return { hostname: "127.0.0.1", port: port.hostPort };
    },

    async admin(request: VerifiedRequest<AdminAction>, signal): Promise<unknown> {
      if (!admins.has(request.signer.toLowerCase())) {
        throw new RequestRefusedError(
          "not-authorized",
          `${request.signer} is not an administrator of this rig`,
        );
      }
      checkFresh(request);
      const controls = options.adminControls;
      const need = (): AdminControls => {
        if (controls === undefined) {
          throw new RequestRefusedError("unavailable", `${request.action} is not available here`);
        }
        return controls;
      };
      const args = request.args as Record<string, string>;
      switch (request.action) {
        case "admin.status":
          tasks.accept(record(request));
          return {
            market: controls?.status(),
            tasks: tasks.list().slice(0, 100).map(runtime.statusOf),
          };
        case "admin.stop-task": {
          const dealId = BigInt(args.dealId!);
          latestTask(dealId);
          tasks.accept(record(request));
          return await stopLatest(dealId, `stopped by administrator ${request.signer}`, signal);
        }
        case "admin.pause-plan":
          need();
          tasks.accept(record(request));
          await controls!.pausePlan(args.plan!, request.signer);
          return { plan: args.plan, paused: true };
        case "admin.resume-plan":
          need();
          tasks.accept(record(request));
          await controls!.resumePlan(args.plan!, request.signer);
          return { plan: args.plan, paused: false };
        case "admin.set-price":
          need();
          tasks.accept(record(request));
          await controls!.setPrice(args.plan!, args.priceUsdPerHour!, request.signer);
          return { plan: args.plan, priceUsdPerHour: args.priceUsdPerHour };
      }
    },
  };
}
