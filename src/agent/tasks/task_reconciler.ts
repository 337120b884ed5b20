import type { ChainStore } from "../../chain/mod.ts";
import {
  collectGarbage,
  DockerApiError,
  findTasks,
  inspectContainer,
  LABEL_AGENT,
  removeContainer,
  streamEvents,
} from "../../docker/mod.ts";
import { RequestRefusedError } from "../../nat/mod.ts";
import { killPoint } from "../base/mod.ts";
import { reconcileTasks, type TaskAction } from "./reconcile_tasks.ts";
import type { TaskRuntime } from "./task_runtime.ts";
import type { TaskRow } from "../state/mod.ts";

/** What the task reconciler reads besides the runtime. */
export type TaskReconcilerComponents = {
  runtime: TaskRuntime;
  /** The indexed chain: which deals of this agent are open. */
  store: Pick<ChainStore, "deals">;
};

/** The deal -> task reconciler. */
export type TaskReconciler = {
  /**
   * Compares the open deals (chain), this agent's containers (Docker, by
   * label) and the journal, and converges ({@linkcode reconcileTasks}).
   * Steps never overlap: a call during a step runs one more step after it.
   */
  step(options?: { signal?: AbortSignal | undefined }): Promise<TaskAction[]>;
  /**
   * Follows Docker's event stream for this agent's containers: a task that
   * exits, dies or is OOM-killed is journaled at once (`status` shows it).
   * Reconnects after a daemon restart and reconciles then. Resolves when
   * `signal` aborts.
   */
  watch(signal: AbortSignal): Promise<void>;
};

/**
 * Creates the deal -> task reconciler over the task runtime.
 *
 * @example
 * ```ts ignore
 * const tasks = createTaskReconciler({ runtime, store });
 * await tasks.step();              // after every chain sync
 * void tasks.watch(signal);        // docker events
 * ```
 */
export function createTaskReconciler(components: TaskReconcilerComponents): TaskReconciler {
  const { runtime, store } = components;
  const { tasks, docker, logger, agentId } = runtime;
  const me = runtime.supplier.toLowerCase();
  /** Open deals at the last step (undefined before the first): a deal gone from it closed. */
  let lastOpen: ReadonlySet<string> | undefined;

  function openDeals(): Set<string> {
    return new Set(
      store.deals({ party: runtime.supplier, status: "ACCEPTED" })
        .filter((d) => d.supplier.toLowerCase() === me || d.master.toLowerCase() === me)
        .map((d) => d.id.toString()),
    );
  }

  async function stepOnce(signal?: AbortSignal): Promise<TaskAction[]> {
    // an expired request is refused anyway: its nonce need not be kept (a minute of clock skew)
    tasks.pruneNonces(BigInt(Math.floor(Date.now() / 1000) - 60));
    const open = openDeals();
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

  /** Containers Docker reported an `oom` event for (it may come before or after `die`). */
  const oomSeen = new Set<string>();
  const context: ActionContext = { runtime, oomSeen };

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
      event: ["die", "oom"],
    };
    let backoffMs = 500;
    while (!signal.aborted) {
      try {
        const since = Math.floor(Date.now() / 1000);
        // a daemon restart ends the stream: what happened meanwhile is reconciled
        await step({ signal }).catch((e) =>
          logger.warn("task step failed", { error: errorText(e) })
        );
        for await (const event of streamEvents(docker, { since, filters, signal })) {
          backoffMs = 500;
          await onEvent(event.action, event.id, event.attributes, signal);
        }
      } catch (error) {
        if (signal.aborted) return;
        logger.debug("docker event stream ended; reconnecting", { error: errorText(error) });
      }
      await new Promise((r) => setTimeout(r, backoffMs));
      backoffMs = Math.min(backoffMs * 2, 10_000);
    }
  }

  async function onEvent(
    action: string,
    containerId: string,
    attributes: Record<string, string>,
    signal: AbortSignal,
  ) {
    const dealId = attributes["sonm.deal"];
    const taskId = attributes["sonm.task"];
    if (dealId === undefined || taskId === undefined || !/^\d+$/.test(dealId)) return;
    if (action === "oom") {
      oomSeen.add(containerId);
      logger.warn("task hit its memory limit", { dealId, taskId });
      return;
    }
    const row = tasks.get(BigInt(dealId), Number(taskId));
    if (row?.state !== "running" || row.containerId !== containerId) return;
    await recordTaskExit(context, row.dealId, row.taskId, containerId, signal).catch((e) =>
      logger.warn("cannot record a task's exit", { dealId, taskId, error: errorText(e) })
    );
  }

  return { step, watch };
}

/** What executing one task action needs: the runtime and the OOM events seen so far. */
type ActionContext = { runtime: TaskRuntime; oomSeen: Set<string> };

async function executeTaskAction(
  ctx: ActionContext,
  action: TaskAction,
  open: ReadonlySet<string>,
  signal?: AbortSignal,
): Promise<void> {
  const { tasks, docker, logger, agentId } = ctx.runtime;
  const now = Date.now();
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
      }).catch(notFound);
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
  const { tasks, logger } = runtime;
  const row = tasks.get(dealId, taskId);
  if (row === undefined || row.state !== "starting") return;
  try {
    const deal = await runtime.openDeal(dealId, signal);
    const plan = await runtime.planOfDeal(deal, signal);
    logger.info("starting a journaled task again (interrupted start)", { dealId, taskId });
    await runtime.start(row, plan, signal);
  } catch (error) {
    if (error instanceof RequestRefusedError && error.code === "deal-not-open") {
      tasks.finish(dealId, taskId, { state: "stopped", message: "deal closed", at: Date.now() });
      return;
    }
    throw error;
  }
}

/** Journals a task's end as Docker tells it: exit code, or out of memory. */
async function recordTaskExit(
  ctx: ActionContext,
  dealId: bigint,
  taskId: number,
  containerId: string,
  signal?: AbortSignal,
): Promise<void> {
  const { tasks, docker, logger } = ctx.runtime;
  const info = await inspectContainer(docker, { id: containerId, signal }).catch((e) => {
    notFound(e);
    return undefined;
  });
  const oom = ctx.oomSeen.delete(containerId) || info?.state.oomKilled === true;
  const exitCode = info?.state.exitCode;
  const ended = tasks.finish(dealId, taskId, {
    state: oom ? "oom-killed" : "exited",
    exitCode,
    message: oom ? "killed: out of memory (the plan's RAM limit)" : `exited with code ${exitCode}`,
    at: Date.now(),
  });
  if (ended) {
    logger.info("task ended", { dealId, taskId, exitCode, oomKilled: oom });
  }
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

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
