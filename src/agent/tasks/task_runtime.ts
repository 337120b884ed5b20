import { errorText } from "../../internal/mod.ts";
import type { DatabaseSync } from "node:sqlite";
import { type DealState, getDeal, type MarketClient } from "../../chain/mod.ts";
import {
  DockerApiError,
  type DockerClient,
  DockerSocketError,
  DockerTimeoutError,
  DockerValidationError,
  findTasks,
  ImagePolicyError,
  parseImagePolicy,
  precheckImage,
  type RegistryAuth,
  removeContainer,
  startTask,
  stopTask,
} from "../../docker/mod.ts";
import {
  type ConsumerTaskSpec,
  consumerTaskSpecSchema,
  RequestRefusedError,
  type TaskStatus,
} from "../../nat/mod.ts";
import type { AgentConfig, PlanConfig } from "../config/mod.ts";
import { isDealOf, type MarketView } from "../market/mod.ts";
import { killPoint, type Logger, type SchedulerClock, sleepOn, systemClock } from "../base/mod.ts";
import { imagePolicyOf, taskSpecForDeal } from "./task_limits.ts";
import {
  type TaskFaultsTable,
  taskFaultsTable,
  type TaskRow,
  type TasksTable,
  tasksTable,
  type TaskState,
} from "../state/mod.ts";

/** What the task runtime works with. */
export type TaskRuntimeComponents = {
  db: DatabaseSync;
  docker: DockerClient;
  /** Reads a requested deal from the chain (not the local index). */
  market: MarketClient;
  /** Which plan a deal bought (the market view: the plan of its ASK). */
  view: Pick<MarketView, "planOf">;
  logger: Logger;
  clock?: SchedulerClock | undefined;
};

/** Options of {@linkcode createTaskRuntime}. */
export type TaskRuntimeOptions = {
  /** `sonm.agent` label of this agent's containers (1-64 of a-z, 0-9, `_.-`). */
  agentId: string;
  /** This agent's address: the supplier of its deals. */
  supplier: `0x${string}`;
  /** The plans (a function is read at each use: a config reload changes them). */
  plans: readonly PlanConfig[] | (() => readonly PlanConfig[]);
  /** Docker settings (a function is read for each new task: a reload changes `allowedImages`). */
  docker: AgentConfig["docker"] | (() => AgentConfig["docker"]);
  rigGpus: readonly { index: number; vendor: string }[];
  /** Credentials for private registries, by registry host (`127.0.0.1:5000`). */
  registryAuth?: ((image: string) => RegistryAuth | undefined) | undefined;
  /** Seconds between SIGTERM and SIGKILL when a task is stopped. @default {5} */
  stopTimeoutSeconds?: number | undefined;
};

/** The deal -> task operations shared by the request handler and the reconciler. */
export type TaskRuntime = {
  readonly agentId: string;
  readonly supplier: `0x${string}`;
  readonly tasks: TasksTable;
  /** Restarts of lost tasks, and deals given up on. */
  readonly faults: TaskFaultsTable;
  readonly docker: DockerClient;
  readonly logger: Logger;
  readonly clock: SchedulerClock;
  /** The deal from the chain when it is open and this agent's; refuses otherwise. */
  openDeal(dealId: bigint, signal?: AbortSignal): Promise<DealState>;
  /** The plan a deal serves (the market view's answer), as configured now; refuses an unknown one. */
  planOfDeal(deal: Pick<DealState, "id" | "askId">): PlanConfig;
  /** The runtime spec for a consumer spec on a plan (refuses over-limit specs). */
  specFor(plan: PlanConfig, spec: ConsumerTaskSpec): ReturnType<typeof taskSpecForDeal>;
  /**
   * Checks an image against the rig's allowlist as it is now, before any call:
   * `DockerValidationError` for an invalid name, `ImagePolicyError` when no entry could allow it.
   */
  precheckImage(image: string): void;
  /**
   * Starts a journaled task (state `starting`): removes a half-made container
   * of an earlier attempt, starts the container under the plan's limits,
   * journals its id before it starts and `running` after. A failure marks the
   * task failed (policy and validation errors are rethrown for the caller),
   * except dockerd unreachable: the task stays `starting` and the reconciler
   * starts it when the daemon is back.
   */
  start(
    row: TaskRow,
    plan: PlanConfig,
    signal?: AbortSignal,
    options?: {
      fresh?: boolean | undefined;
      /** A failure leaves the task `starting` for the caller to decide (a restart after a loss). */
      keepOnFailure?: boolean | undefined;
    },
  ): Promise<TaskRow>;
  /** Journals a task's end, then stops and removes its container. Idempotent. */
  stop(
    row: TaskRow,
    end: { state: TaskState; message: string },
    signal?: AbortSignal,
  ): Promise<TaskRow>;
  /** A task as the protocol shows it, with the restarts the rig made of it. */
  statusOf(row: TaskRow): TaskStatus;
  /** Whether a start or stop of this task is under way in this process (the reconciler leaves it alone). */
  busy(dealId: bigint, taskId: number): boolean;
};

/**
 * Creates the task runtime over the agent's state, Docker and the chain.
 *
 * @example
 * ```ts ignore
 * const runtime = createTaskRuntime({ db, docker, market, view, logger }, {
 *   agentId: "rig1", supplier: account.address, plans: config.plans,
 *   docker: config.docker, rigGpus: [],
 * });
 * ```
 */
export function createTaskRuntime(
  components: TaskRuntimeComponents,
  options: TaskRuntimeOptions,
): TaskRuntime {
  const { db, docker, market, view, logger } = components;
  const clock = components.clock ?? systemClock;
  const { agentId, supplier, rigGpus } = options;
  const tasks = tasksTable(db);
  const faults = taskFaultsTable(db);
  const dockerConfig = () =>
    typeof options.docker === "function" ? options.docker() : options.docker;
  const plans = () => typeof options.plans === "function" ? options.plans() : options.plans;

  const planByName = (name: string) => plans().find((p) => p.name === name);

  async function openDeal(dealId: bigint, signal?: AbortSignal): Promise<DealState> {
    let deal: DealState | undefined;
    try {
      deal = await getDeal(market, { dealId, signal });
    } catch (error) {
      throw new RequestRefusedError(
        "unavailable",
        `cannot read deal ${dealId} from the chain: ${errorText(error)}`,
      );
    }
    if (
      deal === undefined ||
      !isDealOf(deal, supplier)
    ) {
      throw new RequestRefusedError("deal-not-open", `deal ${dealId} is not a deal of this rig`);
    }
    if (deal.status !== "ACCEPTED") {
      throw new RequestRefusedError("deal-not-open", `deal ${dealId} is closed`);
    }
    return deal;
  }

  function planOfDeal(deal: Pick<DealState, "id" | "askId">): PlanConfig {
    const name = view.planOf(deal);
    const plan = name === undefined ? undefined : planByName(name);
    if (plan === undefined) {
      throw new RequestRefusedError(
        "unavailable",
        `deal ${deal.id} is on ASK ${deal.askId}, which no plan of this rig's config explains`,
      );
    }
    return plan;
  }

  const precheck = (image: string) => {
    precheckImage(parseImagePolicy(imagePolicyOf(dockerConfig().allowedImages)), image);
  };

  const specFor = (plan: PlanConfig, spec: ConsumerTaskSpec) =>
    taskSpecForDeal(plan, spec, { defaultLimits: dockerConfig().defaultLimits, rigGpus });

  async function removeLeftovers(row: TaskRow, signal?: AbortSignal) {
    const found = await findTasks(docker, { agentId, dealId: row.dealId.toString(), signal });
    for (const c of found.filter((f) => f.taskId === String(row.taskId))) {
      // a removal from outside may be under way (docker rm -f): the name is free only once it is gone
      await removeContainer(docker, { id: c.containerId, force: true, signal }).catch(goneOrGoing);
      for (let i = 0; i < 100 && !signal?.aborted; i++) {
        const left = await findTasks(docker, { agentId, dealId: row.dealId.toString(), signal });
        if (!left.some((f) => f.containerId === c.containerId)) break;
        await sleepOn(clock, 100, signal);
      }
    }
  }

  const inFlight = new Set<string>();
  const busyKey = (dealId: bigint, taskId: number) => `${dealId}/${taskId}`;

  async function start(
    row: TaskRow,
    plan: PlanConfig,
    signal?: AbortSignal,
    opts: { fresh?: boolean | undefined; keepOnFailure?: boolean | undefined } = {},
  ): Promise<TaskRow> {
    const { dealId, taskId } = row;
    const k = busyKey(dealId, taskId);
    inFlight.add(k); // synchronously, before the first await
    try {
      return await startOnce(row, plan, signal, {
        fresh: opts.fresh === true,
        keep: opts.keepOnFailure === true,
      });
    } finally {
      inFlight.delete(k);
    }
  }

  async function startOnce(
    row: TaskRow,
    plan: PlanConfig,
    signal: AbortSignal | undefined,
    { fresh, keep }: { fresh: boolean; keep: boolean },
  ): Promise<TaskRow> {
    const { dealId, taskId } = row;
    try {
      const consumerSpec = consumerTaskSpecSchema.parse(JSON.parse(row.spec));
      // a task just journaled has no container yet; a restarted one may have a half-made one
      if (!fresh) await removeLeftovers(row, signal);
      const started = await startTask(docker, {
        spec: specFor(plan, consumerSpec),
        policy: imagePolicyOf(dockerConfig().allowedImages),
        agentId,
        dealId: dealId.toString(),
        taskId: String(taskId),
        registryAuth: options.registryAuth?.(consumerSpec.image),
        onCreated: (containerId) => {
          tasks.setContainer(dealId, taskId, containerId);
          killPoint("container-created");
        },
        signal,
      });
      killPoint("container-started");
      tasks.markRunning(dealId, taskId, {
        containerId: started.containerId,
        ports: started.ports.map((p) => ({
          containerPort: p.containerPort,
          protocol: p.protocol === "udp" ? "udp" : "tcp",
          hostPort: p.hostPort,
        })),
        startedAt: clock.now(),
      });
      logger.info("task started", {
        dealId,
        taskId,
        plan: plan.name,
        image: consumerSpec.image,
        container: started.containerName,
        warnings: started.warnings.length > 0 ? started.warnings : undefined,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      // dockerd down or not answering: the task waits (starting) for the daemon to come back
      if (error instanceof DockerSocketError || error instanceof DockerTimeoutError) throw error;
      if (keep) {
        await removeLeftovers(row).catch(() => {});
        throw error;
      }
      tasks.finish(dealId, taskId, {
        state: "failed",
        message: `cannot start: ${errorText(error)}`,
        at: clock.now(),
      });
      // an image the policy refuses is the consumer's mistake, not the rig's: info, not error
      const theirs = error instanceof ImagePolicyError || error instanceof DockerValidationError;
      (theirs ? logger.info : logger.error).call(logger, "cannot start task", {
        dealId,
        taskId,
        error: errorText(error),
      });
      await removeLeftovers(row).catch(() => {});
      throw error;
    }
    return tasks.get(dealId, taskId)!;
  }

  async function stop(
    row: TaskRow,
    end: { state: TaskState; message: string },
    signal?: AbortSignal,
  ): Promise<TaskRow> {
    const k = busyKey(row.dealId, row.taskId);
    inFlight.add(k);
    try {
      return await stopOnce(row, end, signal);
    } finally {
      inFlight.delete(k);
    }
  }

  async function stopOnce(
    row: TaskRow,
    end: { state: TaskState; message: string },
    signal?: AbortSignal,
  ): Promise<TaskRow> {
    // the end is journaled first: a crash before the removal leaves a container the reconciler removes
    tasks.finish(row.dealId, row.taskId, { ...end, at: clock.now() });
    killPoint("task-stop-journaled");
    const found = await findTasks(docker, { agentId, dealId: row.dealId.toString(), signal });
    for (const c of found.filter((f) => f.taskId === String(row.taskId))) {
      await stopTask(docker, {
        containerId: c.containerId,
        timeoutSeconds: options.stopTimeoutSeconds ?? 5,
        signal,
      });
    }
    logger.info("task stopped", { dealId: row.dealId, taskId: row.taskId, reason: end.message });
    return tasks.get(row.dealId, row.taskId) ?? row;
  }

  function statusOf(row: TaskRow): TaskStatus {
    const iso = (ms: number | undefined) =>
      ms === undefined ? undefined : new Date(ms).toISOString();
    const restarts = faults.restarts(row.dealId, row.taskId);
    return {
      dealId: row.dealId.toString(),
      taskId: String(row.taskId),
      image: row.image,
      state: row.state,
      exitCode: row.exitCode,
      ports: row.ports.map((p) => ({ containerPort: p.containerPort, protocol: p.protocol })),
      startedAt: iso(row.startedAt),
      finishedAt: iso(row.finishedAt),
      message: row.message,
      ...(restarts.length === 0
        ? {}
        : { restarts: restarts.map((r) => ({ at: iso(r.at)!, reason: r.reason })) }),
    };
  }

  return {
    agentId,
    supplier,
    tasks,
    faults,
    docker,
    logger,
    clock,
    openDeal,
    planOfDeal,
    specFor,
    precheckImage: precheck,
    start,
    stop,
    statusOf,
    busy: (dealId, taskId) => inFlight.has(busyKey(dealId, taskId)),
  };
}

/** A container already gone, or whose removal another caller started (409). */
function goneOrGoing(error: unknown): void {
  if (error instanceof DockerApiError && (error.isNotFound || error.isConflict)) return;
  throw error;
}
