import {
  attachExec,
  containerLogs,
  DockerApiError,
  DockerValidationError,
  ImagePolicyError,
  inspectContainer,
} from "../../docker/mod.ts";
import {
  type AdminAction,
  type ExecSession,
  RequestRefusedError,
  type TaskRequestHandler,
  type TaskStatus,
  type VerifiedRequest,
} from "../../nat/mod.ts";
import {
  type AdminActions,
  type AdminRequest,
  createAdminActions,
  stopTaskRow,
} from "./admin_actions.ts";
import { killPoint } from "../base/mod.ts";
import { quoteValue } from "../../internal/mod.ts";
import type { TaskRuntime } from "./task_runtime.ts";
import { FINISHED_TASK_STATES, type TaskRow } from "../state/mod.ts";

/** Options of {@linkcode createTaskHandler}. */
export type TaskHandlerOptions = {
  /** Addresses allowed to send admin actions (config `admins`; a function is read per request). */
  admins: readonly string[] | (() => readonly string[]);
  /**
   * The admin actions, shared with the dashboard. @default {over `runtime`, with no plan
   * controls: only `admin.status` and `admin.stop-task` work}
   */
  adminActions?: AdminActions | undefined;
  /** Unix seconds now. @default {the runtime's clock} */
  nowSeconds?: (() => bigint) | undefined;
  /**
   * Called after an accepted request changed a task (submit, stop, an admin
   * action): the agent raises the scheduler's `tasks` event, so the task
   * step converges what the request started.
   */
  onChange?: (() => void) | undefined;
  /**
   * Unix seconds from which the state's record of used nonces is complete (when its
   * `request_nonces` table was created): a request signed before it may have been used
   * with a state that was lost, so it is refused.
   * @default {the tasks table's `noncesRecordedSince()`}
   */
  signedSince?: bigint | undefined;
  /**
   * Told the code of each refusal (`policy`, `bad-request`, `replay`, ...): the consumer's
   * mistakes, counted for `/metrics` rather than logged as the rig's errors.
   */
  onRefused?: ((code: RequestRefusedError["code"]) => void) | undefined;
  /**
   * The rig's latest signed bench report (its JSON as signed), for `report`;
   * undefined when the rig has none. @default {none: `report` is refused as unavailable}
   */
  benchReport?: (() => Promise<unknown>) | undefined;
  /**
   * Exec and shell sessions a deal may hold open at once (config
   * `docker.max_shells_per_deal`; a function is read per request). @default {4}
   */
  maxShellsPerDeal?: number | (() => number) | undefined;
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
 *    a restart is refused too), and it was signed after the state's record of
 *    nonces began (`signedSince`: a state lost or new cannot vouch for older
 *    requests, so one captured before is refused, not replayed);
 * 4. report: the rig has a signed bench report (any of its deals' consumers may ask);
 * 5. submit: its image is a valid name that an entry of the rig's allowlist
 *    could allow (checked before anything is journaled or any registry is
 *    asked: `bad-request`, `policy`), the spec fits the plan the deal bought,
 *    and the deal has no running task.
 *
 * 5. exec (a shell or a command): the deal's task is running and the deal
 *    holds fewer open sessions than `maxShellsPerDeal`; all of this is checked
 *    before Docker is called. The exec runs as the container's user with its
 *    limits (nothing added), and each one's start, end and exit code is logged.
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
  const adminList = options.admins;
  const isAdmin = (signer: string) =>
    (typeof adminList === "function" ? adminList() : adminList)
      .some((a) => a.toLowerCase() === signer.toLowerCase());
  const adminActions = options.adminActions ?? createAdminActions(runtime, {});
  const nowSeconds = options.nowSeconds ??
    (() => BigInt(Math.floor(runtime.clock.now() / 1000)));
  const changed = () => options.onChange?.();
  const signedSince = options.signedSince ?? tasks.noncesRecordedSince();
  const maxShells = () =>
    typeof options.maxShellsPerDeal === "function"
      ? options.maxShellsPerDeal()
      : options.maxShellsPerDeal ?? 4;
  /** Open exec sessions per deal (this process's: they end with it). */
  const openShells = new Map<bigint, number>();
  const log = () => runtime.logger.child("shell");

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
    if (request.issuedAt < signedSince) {
      throw new RequestRefusedError(
        "expired",
        `request was signed at ${request.issuedAt}, before this rig's record of used nonces ` +
          `begins (${signedSince}): sign it again`,
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

  /** Records the nonce (and a submit's task); a twin that won the race makes this a replay. */
  function accept(request: VerifiedRequest, task?: { spec: string; image: string }) {
    try {
      return tasks.accept(record(request), task, runtime.clock.now());
    } catch (error) {
      if (tasks.nonceSeen(request.signer, request.nonce)) {
        throw new RequestRefusedError(
          "replay",
          `nonce ${request.nonce} of ${request.signer} was used before`,
        );
      }
      throw error;
    }
  }

  function latestTask(dealId: bigint): TaskRow {
    const row = tasks.latest(dealId);
    if (row === undefined) {
      throw new RequestRefusedError("unknown-task", `deal ${dealId} has no task yet`);
    }
    return row;
  }

  const handler: TaskRequestHandler = {
    async submit(request, signal): Promise<TaskStatus> {
      const deal = await consumerDeal(request, signal);
      if (runtime.faults.lostDeals().has(deal.id)) {
        // its task was lost more often than the rig allows: it bills the deal no more
        throw new RequestRefusedError(
          "unavailable",
          `the rig gave deal ${deal.id} up (its task was lost too often); close the deal`,
        );
      }
      const plan = runtime.planOfDeal(deal);
      // the image before anything: an invalid name or one the allowlist cannot allow changes
      // nothing, journals nothing and asks no registry (the consumer's mistake, not the rig's)
      precheckTaskImage(runtime, request.args.spec.image);
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
      const { taskId } = accept(request, { spec, image: request.args.spec.image });
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
          throw new RequestRefusedError(
            error.field === "image" ? "bad-request" : "over-limits",
            error.message,
          );
        }
        return runtime.statusOf(tasks.get(deal.id, taskId!) ?? row);
      } finally {
        changed(); // the task step converges: a start left for it (dockerd down), an exit
      }
    },

    async status(request, signal): Promise<TaskStatus> {
      const deal = await consumerDeal(request, signal);
      const row = tasks.latest(deal.id);
      accept(request);
      // a deal without a task is a state the consumer asks about, not an error
      return row === undefined ? noTask(deal.id) : runtime.statusOf(row);
    },

    async *logs(request, signal): AsyncIterable<Uint8Array> {
      const deal = await consumerDeal(request, signal);
      const row = latestTask(deal.id);
      if (row.containerId === undefined) {
        throw new RequestRefusedError("unknown-task", `task ${row.taskId} has no container yet`);
      }
      // a stopped or failed task's container is removed, and its output with it
      const gone = () =>
        new RequestRefusedError(
          "unknown-task",
          `task ${row.taskId} of deal ${deal.id} is ${row.state}${
            row.message === undefined ? "" : ` (${row.message})`
          }: its container was removed with its output; read the logs before stopping a task`,
        );
      if (row.state === "stopped" || row.state === "failed") throw gone();
      try {
        await inspectContainer(runtime.docker, { id: row.containerId, signal });
      } catch (error) {
        if (error instanceof DockerApiError && error.isNotFound) throw gone();
        throw error;
      }
      accept(request);
      yield new Uint8Array(0); // accepted: the transport may answer before the first output
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
      const row = latestTask(deal.id);
      accept(request);
      try {
        return await stopTaskRow(runtime, row, { message: "stopped by the consumer", signal });
      } finally {
        changed();
      }
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
      accept(request);
      return { hostname: "127.0.0.1", port: port.hostPort };
    },

    async report(request, signal): Promise<unknown> {
      await consumerDeal(request, signal);
      const report = await options.benchReport?.();
      if (report === undefined) {
        throw new RequestRefusedError(
          "unavailable",
          "this rig has no signed bench report (its owner runs `sonm-agent bench`, then restarts)",
        );
      }
      accept(request);
      return report;
    },

    async exec(request, signal): Promise<ExecSession> {
      const deal = await consumerDeal(request, signal);
      const row = latestTask(deal.id);
      if (row.state !== "running" || row.containerId === undefined) {
        throw new RequestRefusedError(
          "unknown-task",
          `task ${row.taskId} of deal ${deal.id} is ${row.state}: a shell needs a running task`,
        );
      }
      const open = openShells.get(deal.id) ?? 0;
      const limit = maxShells();
      if (open >= limit) {
        throw new RequestRefusedError(
          "unavailable",
          `deal ${deal.id} has ${open} open shells, this rig's limit (docker.max_shells_per_deal ${limit}): ` +
            "close one first",
        );
      }
      accept(request);
      openShells.set(deal.id, open + 1);
      const release = () => {
        const left = (openShells.get(deal.id) ?? 1) - 1;
        if (left > 0) openShells.set(deal.id, left);
        else openShells.delete(deal.id);
      };
      const { command, tty, size } = request.args;
      let exec;
      try {
        exec = await attachExec(runtime.docker, {
          id: row.containerId,
          cmd: command,
          tty,
          signal,
        });
      } catch (error) {
        release();
        if (error instanceof DockerApiError && (error.status === 409 || error.isNotFound)) {
          throw new RequestRefusedError(
            "unknown-task",
            `task ${row.taskId} of deal ${deal.id} is not running`,
          );
        }
        throw error;
      }
      if (tty && size !== undefined) await exec.resize(size).catch(() => {});
      const fields = {
        deal: deal.id.toString(),
        task: row.taskId,
        exec: exec.execId.slice(0, 12),
        tty,
        command: command[0],
      };
      log().info(tty ? "shell opened" : "exec started", fields);
      let closed = false;
      return {
        tty,
        output: exec.output,
        // a process that stopped reading (it exited) refuses stdin: the output tells the rest
        write: (data) => exec.write(data).catch(() => {}),
        closeStdin: () => exec.closeStdin(),
        resize: (next) => tty ? exec.resize(next) : Promise.resolve(),
        exitCode: () => exec.exitCode(),
        async close(end) {
          if (closed) return;
          closed = true;
          release();
          await exec.close().catch(() => {});
          log().info(tty ? "shell closed" : "exec ended", {
            ...fields,
            exitCode: end.exitCode ?? null,
            reason: end.reason,
          });
        },
      };
    },

    async admin(request: VerifiedRequest<AdminAction>, signal): Promise<unknown> {
      if (!isAdmin(request.signer)) {
        throw new RequestRefusedError(
          "not-authorized",
          `${request.signer} is not an administrator of this rig`,
        );
      }
      checkFresh(request);
      // checked in full before the nonce is journaled: a refusal changes nothing
      const run = adminActions.check(adminRequestOf(request), request.signer);
      accept(request);
      try {
        return await run(signal);
      } finally {
        changed();
      }
    },
  };
  return options.onRefused === undefined ? handler : countRefusals(handler, options.onRefused);
}

/** The handler with each refusal's code told to `onRefused` (the refusal still goes on). */
function countRefusals(
  handler: TaskRequestHandler,
  onRefused: (code: RequestRefusedError["code"]) => void,
): TaskRequestHandler {
  const seen = (error: unknown): never => {
    if (error instanceof RequestRefusedError) onRefused(error.code);
    throw error;
  };
  return {
    submit: (request, signal) => handler.submit(request, signal).catch(seen),
    status: (request, signal) => handler.status(request, signal).catch(seen),
    async *logs(request, signal) {
      try {
        yield* handler.logs(request, signal);
      } catch (error) {
        seen(error);
      }
    },
    stop: (request, signal) => handler.stop(request, signal).catch(seen),
    forward: (request, signal) => handler.forward(request, signal).catch(seen),
    report: (request, signal) => handler.report(request, signal).catch(seen),
    exec: (request, signal) => handler.exec(request, signal).catch(seen),
    admin: (request, signal) => handler.admin(request, signal).catch(seen),
  };
}

/**
 * Refuses a task's image before it is journaled: an invalid name is a bad
 * request (the name quoted once), one that no entry of the rig's allowlist
 * could allow is refused by policy. No I/O.
 */
function precheckTaskImage(runtime: TaskRuntime, image: string): void {
  try {
    runtime.precheckImage(image);
  } catch (error) {
    if (error instanceof DockerValidationError) {
      throw new RequestRefusedError("bad-request", `image ${quoteValue(image)} ${error.detail}`);
    }
    if (error instanceof ImagePolicyError) throw new RequestRefusedError("policy", error.message);
    throw error;
  }
}

/** What `status` answers for a deal with no task yet. */
function noTask(dealId: bigint): TaskStatus {
  return {
    dealId: dealId.toString(),
    taskId: "",
    image: "",
    state: "none",
    ports: [],
    message: "no task submitted yet",
  };
}

/** The protocol's admin request as an {@linkcode AdminRequest} (its args were parsed by src/nat). */
function adminRequestOf(request: VerifiedRequest<AdminAction>): AdminRequest {
  const args = request.args as Record<string, string>;
  switch (request.action) {
    case "admin.status":
      return { kind: "status" };
    case "admin.pause-plan":
      return { kind: "pause-plan", plan: args.plan! };
    case "admin.resume-plan":
      return { kind: "resume-plan", plan: args.plan! };
    case "admin.set-price":
      return { kind: "set-price", plan: args.plan!, priceUsdPerHour: args.priceUsdPerHour! };
    case "admin.stop-task":
      return { kind: "stop-task", dealId: BigInt(args.dealId!) };
  }
}
