import { errorText } from "../../internal/mod.ts";
import {
  collectGarbage,
  DockerApiError,
  DockerSocketError,
  DockerTimeoutError,
  findTasks,
  inspectContainer,
  LABEL_AGENT,
  ping,
  removeContainer,
  streamEvents,
} from "../../docker/mod.ts";
import { RequestRefusedError } from "../../nat/mod.ts";
import { killPoint, type SchedulerEvent, sleepOn } from "../base/mod.ts";
import type { MarketView } from "../market/mod.ts";
import { reconcileTasks, type TaskAction } from "./reconcile_tasks.ts";
import { classifyTaskEnd, decideRestart, type RestartPolicy, type TaskEnd } from "./task_loss.ts";
import type { TaskRuntime } from "./task_runtime.ts";
import type { TaskRow } from "../state/mod.ts";

/** What the task reconciler reads besides the runtime. */
export type TaskReconcilerComponents = {
  runtime: TaskRuntime;
  /** Our open deals and the plan each bought (the market view). */
  view: Pick<MarketView, "ownDeals" | "planOf">;
  /**
   * Raises a scheduler event: `tasks` for a Docker event to converge, `own`
   * for a deal given up on (the bill step closes it). @default {nothing}
   */
  raise?: ((event: SchedulerEvent) => void) | undefined;
};

/** Options of {@linkcode createTaskReconciler}. */
export type TaskReconcilerOptions = {
  /** How often a task the rig lost is started again. @default {DEFAULT_RESTART_POLICY} */
  restarts?: RestartPolicy | (() => RestartPolicy) | undefined;
  /**
   * Remove every container, network and volume of this agent before the first
   * step (a new devnet chain: the old chain's deal ids name nothing any more).
   * @default {false}
   */
  purgeFirst?: boolean | undefined;
};

/** Three restarts within an hour, then the rig gives the deal up. */
export const DEFAULT_RESTART_POLICY: RestartPolicy = { max: 3, windowMs: 3_600_000 };

/** The deal -> task reconciler. */
export type TaskReconciler = {
  /**
   * Compares the open deals (the market view), this agent's containers
   * (Docker, by label) and the journal, and converges
   * ({@linkcode reconcileTasks}); a task the rig lost is started again
   * within its budget, past it its deal is given up. Steps never overlap: a
   * call during a step runs one more step after it. Throws when dockerd
   * cannot be reached (the scheduler backs the step off).
   */
  step(options?: { signal?: AbortSignal | undefined }): Promise<TaskAction[]>;
  /**
   * Follows Docker's event stream for this agent's containers and raises
   * `tasks` for each exit, OOM kill, outside kill or removal (the task step
   * journals it at once). Reconnects after a daemon restart (noting the
   * outage: a task that ended in it was the rig's loss) and raises `tasks`
   * then. Resolves when `signal` aborts, at once.
   */
  watch(signal: AbortSignal): Promise<void>;
  /**
   * Removes every container, network and volume of this agent and journals
   * its running tasks `stopped` with `message` (the devnet's chain stopped
   * with the agent: its deals are gone).
   */
  purge(message: string, options?: { signal?: AbortSignal | undefined }): Promise<void>;
  /** When the step should run again to look at an exit Docker announced early, if any (wall ms). */
  recheckAt(): number | undefined;
};

/**
 * Creates the deal -> task reconciler over the task runtime.
 *
 * @example
 * ```ts ignore
 * const tasks = createTaskReconciler({ runtime, view, raise: scheduler.trigger });
 * await tasks.step();              // the scheduler's "tasks" step
 * void tasks.watch(signal);        // docker events raise "tasks"
 * ```
 */
export function createTaskReconciler(
  components: TaskReconcilerComponents,
  options: TaskReconcilerOptions = {},
): TaskReconciler {
  const { runtime, view } = components;
  const { tasks, docker, logger, agentId, clock } = runtime;
  const raise = (event: SchedulerEvent) => components.raise?.(event);
  const policy = () =>
    typeof options.restarts === "function"
      ? options.restarts()
      : (options.restarts ?? DEFAULT_RESTART_POLICY);
  /** Open deals at the last step (undefined before the first): a deal gone from it closed. */
  let lastOpen: ReadonlySet<string> | undefined;
  let purgePending = options.purgeFirst === true;

  const openDeals = () => new Set([...view.ownDeals().keys()].map((id) => id.toString()));

  async function stepOnce(signal?: AbortSignal): Promise<TaskAction[]> {
    if (purgePending) {
      await purge("a new devnet chain: the old chain's deals are gone", { signal });
      purgePending = false;
    }
    // an expired request is refused anyway: its nonce need not be kept (a minute of clock skew)
    tasks.pruneNonces(BigInt(Math.floor(clock.now() / 1000) - 60));
    const open = openDeals();
    // the exits Docker announced first, from each container's own state: the container list
    // may still show a container running just after its `die` event
    recheckAt = undefined;
    for (const [containerId, ids] of [...seen.ended]) {
      const row = tasks.get(ids.dealId, ids.taskId);
      if (
        row?.state !== "running" || row.containerId !== containerId ||
        runtime.busy(row.dealId, row.taskId) || !open.has(row.dealId.toString())
      ) {
        seen.ended.delete(containerId); // already journaled, or the deal closed (converged below)
        continue;
      }
      const done = await recordTaskExit(context, row.dealId, row.taskId, containerId, signal);
      if (done) seen.ended.delete(containerId);
      else recheckAt = clock.now() + 500; // not stopped yet: looked at again shortly
    }
    const containers = await findTasks(docker, { agentId, signal });
    const rows = new Map<string, TaskRow>();
    for (const r of tasks.active()) rows.set(`${r.dealId}/${r.taskId}`, r);
    for (const c of containers) {
      if (!/^\d+$/.test(c.dealId) || !/^\d+$/.test(c.taskId)) continue;
      const r = tasks.get(BigInt(c.dealId), Number(c.taskId));
      if (r !== undefined) rows.set(`${r.dealId}/${r.taskId}`, r);
    }
    const live = [...rows.values()].filter((r) => !runtime.busy(r.dealId, r.taskId));
    const dealsClosed = containers.some((c) => !open.has(c.dealId)) ||
      live.some((r) => !open.has(r.dealId.toString())) ||
      [...(lastOpen ?? [])].some((d) => !open.has(d));
    const actions = reconcileTasks({
      openDeals: open,
      rows: live,
      containers: containers.filter((c) =>
        !(/^\d+$/.test(c.dealId) && /^\d+$/.test(c.taskId) &&
          runtime.busy(BigInt(c.dealId), Number(c.taskId)))
      ),
      collect: lastOpen === undefined || dealsClosed,
    });
    let failed = false;
    for (const action of actions) {
      try {
        await executeTaskAction(context, action, open, signal);
      } catch (error) {
        if (signal?.aborted) throw error;
        // dockerd gone or failing mid-step: the whole step is retried (backed off) by the scheduler
        if (daemonTrouble(error)) throw error;
        failed = true;
        logger.error(`cannot ${action.kind} a task`, {
          ...describe(action),
          error: errorText(error),
        });
      }
    }
    if (!failed) lastOpen = open; // after a failure, the next step collects again
    return actions;
  }

  /** What Docker's events told about the containers (read when a task's end is classified). */
  const seen: Seen = { oom: new Set(), killed: new Map(), outages: [], ended: new Map() };
  /** When a container announced as ended still ran: the step asks to run again then. */
  let recheckAt: number | undefined;
  const context: ActionContext = {
    runtime,
    view,
    seen,
    policy,
    raise,
    startFailures: new Map(),
  };

  async function purge(message: string, opts: { signal?: AbortSignal | undefined } = {}) {
    const now = clock.now();
    for (const r of tasks.active()) {
      tasks.finish(r.dealId, r.taskId, { state: "stopped", message, at: now });
    }
    const removed = await collectGarbage(docker, { agentId, openDeals: [], signal: opts.signal });
    if (removed.containers.length + removed.networks.length + removed.volumes.length > 0) {
      logger.info("removed the task containers, networks and volumes", {
        reason: message,
        ...removed,
      });
    }
  }

  let running: Promise<TaskAction[]> | undefined;
  let again = false;
  function step(options: { signal?: AbortSignal | undefined } = {}): Promise<TaskAction[]> {
    if (running !== undefined) {
      again = true;
      return running;
    }
    const run = async () => {
      try {
        let actions = await stepOnce(options.signal);
        while (again && !options.signal?.aborted) {
          again = false;
          actions = await stepOnce(options.signal);
        }
        return actions;
      } finally {
        running = undefined;
      }
    };
    running = run();
    return running;
  }

  async function watch(signal: AbortSignal): Promise<void> {
    const filters = {
      type: ["container"],
      label: [`${LABEL_AGENT}=${agentId}`],
      event: ["die", "oom", "kill", "destroy"],
    };
    let backoffMs = 500;
    while (!signal.aborted) {
      try {
        await ping(docker, { signal });
        const outage = seen.outages.at(-1);
        if (outage !== undefined && outage.to === undefined) {
          outage.to = clock.now();
          logger.info("dockerd answers again", { downMs: outage.to - outage.from });
        }
        const since = Math.floor(clock.now() / 1000);
        // a daemon restart ends the stream: what happened meanwhile is reconciled
        raise("tasks");
        for await (const event of streamEvents(docker, { since, filters, signal })) {
          backoffMs = 500;
          onEvent(event.action, event.id, event.attributes);
        }
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof DockerSocketError || error instanceof DockerTimeoutError) {
          const outage = seen.outages.at(-1);
          if (outage === undefined || outage.to !== undefined) {
            seen.outages.push({ from: clock.now(), to: undefined });
            if (seen.outages.length > 16) seen.outages.shift();
            logger.warn("dockerd cannot be reached; tasks are checked again when it answers", {
              error: errorText(error),
            });
          }
        } else logger.debug("docker event stream ended; reconnecting", { error: errorText(error) });
      }
      await sleepOn(clock, backoffMs, signal);
      backoffMs = Math.min(backoffMs * 2, 10_000);
    }
  }

  function onEvent(action: string, containerId: string, attributes: Record<string, string>) {
    const dealId = attributes["sonm.deal"];
    const taskId = attributes["sonm.task"];
    if (dealId === undefined || taskId === undefined || !/^\d+$/.test(dealId)) return;
    if (!/^\d+$/.test(taskId)) return;
    const row = tasks.get(BigInt(dealId), Number(taskId));
    // the agent's own stops and removals come after it journaled the end: not running any more
    const ours = row?.state === "running" && row.containerId === containerId &&
      !runtime.busy(row.dealId, row.taskId);
    logger.debug("docker event", { action, dealId, taskId, ours });
    switch (action) {
      case "oom":
        seen.oom.add(containerId);
        logger.warn("task hit its memory limit", { dealId, taskId });
        return;
      case "kill":
        if (ours) seen.killed.set(containerId, attributes.signal ?? "?");
        return;
      default: // die, destroy
        if (!ours) return;
        seen.ended.set(containerId, { dealId: row.dealId, taskId: row.taskId });
        raise("tasks");
    }
  }

  return { step, watch, purge, recheckAt: () => recheckAt };
}

/** What Docker's events told: OOM kills, kills the agent did not send, daemon outages. */
type Seen = {
  oom: Set<string>;
  killed: Map<string, string>;
  outages: { from: number; to: number | undefined }[];
  /** Containers of running tasks that Docker said died or were removed, not journaled yet. */
  ended: Map<string, { dealId: bigint; taskId: number }>;
};

/** What executing one task action needs. */
type ActionContext = {
  runtime: TaskRuntime;
  view: Pick<MarketView, "ownDeals" | "planOf">;
  seen: Seen;
  policy: () => RestartPolicy;
  raise: (event: SchedulerEvent) => void;
  /** Failed tries to start a lost task again, by `deal/task` (the daemon may still be restarting). */
  startFailures: Map<string, number>;
};

/** Tries to start a lost task again before the rig gives its deal up. */
const RESTART_TRIES = 5;

async function executeTaskAction(
  ctx: ActionContext,
  action: TaskAction,
  open: ReadonlySet<string>,
  signal?: AbortSignal,
): Promise<void> {
  const { tasks, docker, logger, agentId, clock } = ctx.runtime;
  const now = clock.now();
  switch (action.kind) {
    case "finish":
      if (action.message === "deal closed") killPoint("deal-closed");
      tasks.finish(action.dealId, action.taskId, { ...action, at: now });
      if (action.message === "deal closed") killPoint("task-stop-journaled");
      logger.info("task ended", describe(action));
      return;
    case "record-exit":
      await recordTaskExit(ctx, action.dealId, action.taskId, action.containerId, signal);
      return;
    case "lost":
      await recoverLostTask(ctx, action.dealId, action.taskId, {
        reason: classifyTaskEnd({ containerGone: true }),
        signal,
      });
      return;
    case "mark-running": {
      const info = await inspectContainer(docker, { id: action.containerId, signal });
      tasks.markRunning(action.dealId, action.taskId, {
        containerId: action.containerId,
        ports: info.ports.map((p) => ({
          containerPort: p.containerPort,
          protocol: p.protocol === "udp" ? "udp" : "tcp",
          hostPort: p.hostPort,
        })),
        startedAt: now,
      });
      return;
    }
    case "adopt": {
      const c = action.container;
      tasks.insert({
        dealId: BigInt(c.dealId),
        taskId: Number(c.taskId),
        spec: JSON.stringify({ image: c.image }),
        image: c.image,
        containerId: c.containerId,
        state: c.running ? "running" : "exited",
        exitCode: undefined,
        message: "found by its labels; the journal had no row",
        createdAt: now,
        startedAt: c.running ? now : undefined,
        finishedAt: c.running ? undefined : now,
      });
      logger.warn("adopted a task container the journal did not know", describe(action));
      return;
    }
    case "remove":
      await removeContainer(docker, {
        id: action.containerId,
        force: true,
        volumes: true,
        signal,
      }).catch(goneOrGoing);
      killPoint("container-removed");
      logger.info("removed task container", describe(action));
      return;
    case "start":
      await restartTask(ctx, action.dealId, action.taskId, signal);
      return;
    case "collect": {
      const removed = await collectGarbage(docker, { agentId, openDeals: [...open], signal });
      if (removed.networks.length + removed.volumes.length + removed.containers.length > 0) {
        logger.info("removed closed deals' containers, networks and volumes", removed);
      }
      return;
    }
  }
}

/** Starts a task whose start was journaled but interrupted (a crash between the two). */
async function restartTask(
  ctx: ActionContext,
  dealId: bigint,
  taskId: number,
  signal?: AbortSignal,
): Promise<void> {
  const { runtime } = ctx;
  const { tasks, logger, clock } = runtime;
  const row = tasks.get(dealId, taskId);
  if (row === undefined || row.state !== "starting") return;
  const deal = ctx.view.ownDeals().get(dealId);
  if (deal === undefined) {
    tasks.finish(dealId, taskId, { state: "stopped", message: "deal closed", at: clock.now() });
    return;
  }
  // a task the rig restarted after a loss: a failure to start it is the rig's too
  const afterLoss = runtime.faults.restarts(dealId, taskId, 1).length > 0;
  const key = `${dealId}/${taskId}`;
  try {
    const plan = runtime.planOfDeal(deal);
    logger.info("starting a journaled task (an interrupted start, or a restart)", {
      dealId,
      taskId,
    });
    await runtime.start(row, plan, signal, { keepOnFailure: afterLoss });
    ctx.startFailures.delete(key);
  } catch (error) {
    if (error instanceof RequestRefusedError) {
      // no plan of the config explains the deal any more: the task cannot get its limits
      tasks.finish(dealId, taskId, { state: "failed", message: error.message, at: clock.now() });
      return;
    }
    if (signal?.aborted || !afterLoss) throw error;
    // a daemon still restarting fails a few tries: the task stays `starting`, tried again later
    const tries = (ctx.startFailures.get(key) ?? 0) + 1;
    ctx.startFailures.set(key, tries);
    if (tries < RESTART_TRIES) throw error;
    ctx.startFailures.delete(key);
    giveUp(ctx, dealId, taskId, `the rig cannot start it again: ${errorText(error)}`);
  }
}

/** Ends a task the rig lost for good and gives its deal up: never billed again, closed where it may. */
function giveUp(ctx: ActionContext, dealId: bigint, taskId: number, message: string): void {
  const { tasks, faults, logger, clock } = ctx.runtime;
  const now = clock.now();
  const why = `${message}; the rig gives the deal up and bills it no more`;
  tasks.finish(dealId, taskId, { state: "failed", message: why, at: now });
  faults.markLost(dealId, why, now);
  logger.error("a task was lost too often: its deal is given up (no further bill)", {
    dealId,
    taskId,
    reason: message,
  });
  ctx.raise("own"); // the bill step closes the deal where the rig may
}

/** dockerd unreachable, not answering, or failing inside (a 5xx, as while it restarts). */
function daemonTrouble(error: unknown): boolean {
  return error instanceof DockerSocketError || error instanceof DockerTimeoutError ||
    (error instanceof DockerApiError && error.status >= 500);
}

/**
 * A running task the rig lost: journals a restart and starts it again while
 * the budget allows (the consumer sees each restart in the task's status);
 * past it, ends the task `failed` and gives the deal up (never billed again;
 * the bill step closes it where the contract lets the rig).
 */
async function recoverLostTask(
  ctx: ActionContext,
  dealId: bigint,
  taskId: number,
  options: { reason: TaskEnd; signal?: AbortSignal | undefined },
): Promise<void> {
  const { runtime } = ctx;
  const { tasks, faults, logger, clock } = runtime;
  if (options.reason.by !== "rig") return;
  const reason = options.reason.reason;
  const now = clock.now();
  const policy = ctx.policy();
  const restartsInWindow = faults.restartsSince(dealId, taskId, now - policy.windowMs);
  if (decideRestart({ restartsInWindow, policy }) === "give-up") {
    giveUp(
      ctx,
      dealId,
      taskId,
      `lost ${restartsInWindow + 1} times within ${
        Math.round(policy.windowMs / 60_000)
      } min (last: ${reason})`,
    );
    return;
  }
  // journaled before the container call: a crash now leaves a `starting` row that is started again
  faults.recordRestart(dealId, taskId, { at: now, reason });
  tasks.restart(dealId, taskId, `restarted by the rig: ${reason}`);
  logger.warn("the rig lost a task; starting it again", {
    dealId,
    taskId,
    reason,
    restart: restartsInWindow + 1,
    of: policy.max,
  });
  await restartTask(ctx, dealId, taskId, options.signal);
}

/**
 * Journals a task's end as Docker tells it (exit code, out of memory), or
 * restarts a task the rig lost. False when the container still runs.
 */
async function recordTaskExit(
  ctx: ActionContext,
  dealId: bigint,
  taskId: number,
  containerId: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const { tasks, docker, logger, clock } = ctx.runtime;
  const info = await inspectContainer(docker, { id: containerId, signal }).catch((e) => {
    notFound(e);
    return undefined;
  });
  if (info?.state.running === true) return false;
  const finishedAt = info === undefined ? NaN : Date.parse(info.state.finishedAt);
  const end = classifyTaskEnd({
    containerGone: info === undefined,
    exitCode: info?.state.exitCode,
    oomKilled: ctx.seen.oom.delete(containerId) || info?.state.oomKilled === true,
    killedFromOutside: ctx.seen.killed.get(containerId),
    finishedAt: Number.isFinite(finishedAt) ? finishedAt : undefined,
    daemonOutages: ctx.seen.outages,
  });
  ctx.seen.killed.delete(containerId);
  if (end.by === "rig") {
    await recoverLostTask(ctx, dealId, taskId, { reason: end, signal });
    return true;
  }
  const ended = tasks.finish(dealId, taskId, {
    state: end.state,
    exitCode: end.exitCode,
    message: end.message,
    at: clock.now(),
  });
  if (ended) {
    logger.info("task ended", {
      dealId,
      taskId,
      exitCode: end.exitCode,
      oomKilled: end.state === "oom-killed",
    });
  }
  return true;
}

function describe(action: TaskAction): Record<string, unknown> {
  if (action.kind === "adopt") {
    return { dealId: action.container.dealId, taskId: action.container.taskId };
  }
  const { kind: _kind, ...rest } = action;
  return rest;
}

function notFound(error: unknown): void {
  if (!(error instanceof DockerApiError && error.isNotFound)) throw error;
}

/** A container already gone, or whose removal someone else started (409: `docker rm -f`). */
function goneOrGoing(error: unknown): void {
  if (error instanceof DockerApiError && (error.isNotFound || error.isConflict)) return;
  throw error;
}
