import type { DatabaseSync } from "node:sqlite";
import { type ChainClient, createMarketClient, type MarketAddresses } from "../../chain/mod.ts";
import {
  createDockerClient,
  type DockerClient,
  inspectImage,
  type RegistryAuth,
} from "../../docker/mod.ts";
import { runSelftest, type SelftestComponents } from "./selftest_checks.ts";
import type { ProtocolDomain, TaskRequestHandler } from "../../nat/mod.ts";
import { type AgentConfig, checkOvercommit } from "../config/mod.ts";
import {
  type Logger,
  type SchedulerClock,
  type SchedulerEvent,
  type SelftestReport,
  systemClock,
} from "../base/mod.ts";
import type { MarketView, RigCapacity } from "../market/mod.ts";
import { type AdminActions, type AdminControls, createAdminActions } from "./admin_actions.ts";
import { createTaskHandler } from "./task_handler.ts";
import { createTaskReconciler, type TaskReconciler } from "./task_reconciler.ts";
import { createTaskRuntime } from "./task_runtime.ts";

/** What {@linkcode startWorkloads} works with. */
export type WorkloadsComponents = {
  db: DatabaseSync;
  chain: ChainClient;
  /** Our open deals and the plan each bought. */
  view: Pick<MarketView, "ownDeals" | "planOf">;
  logger: Logger;
  clock?: SchedulerClock | undefined;
  /** Raises a scheduler event (`tasks`, `own`); the agent passes its scheduler's trigger. */
  raise?: ((event: SchedulerEvent) => void) | undefined;
  /**
   * The agent's one Docker client (its owner closes it). @default {one on `docker.socket`,
   * closed by {@linkcode Workloads.close}}
   */
  docker?: DockerClient | undefined;
};

/** Options of {@linkcode startWorkloads}. */
export type StartWorkloadsOptions = {
  config: AgentConfig;
  addresses: MarketAddresses;
  /** This agent's address. */
  supplier: `0x${string}`;
  rig: RigCapacity;
  /** `sonm.agent` label of this agent's containers. */
  agentId: string;
  registryAuth?: ((image: string) => RegistryAuth | undefined) | undefined;
  adminControls?: AdminControls | undefined;
  /**
   * The chain is a new devnet: the journal's tasks and every container of
   * this agent belong to the old chain, whose deal ids name nothing now.
   * They are forgotten and removed before the first task step. @default {false}
   */
  freshChain?: boolean | undefined;
  /** Told the code of each consumer or admin request the handler refused (for `/metrics`). */
  onRefused?: ((code: string) => void) | undefined;
  /** The rig's latest signed bench report, for the task protocol's `report`. */
  benchReport?: (() => Promise<unknown>) | undefined;
};

/**
 * The probe images a consumer may run when `docker.allow_probe_images` says so
 * (`client verify` runs `sonm-probe/sysbench:1` inside its deal): allowed by
 * the ids the rig's own Docker gives their local tags.
 */
export const PROBE_TASK_IMAGES = [
  "sonm-probe/sysbench:1",
  "sonm-probe/gpu-opencl:2",
  "sonm-probe/gpu-cuda:2",
] as const;

/** The running deal -> task side of the agent. */
export type Workloads = {
  /** The task protocol's handler (src/nat's transport calls it through `dispatchTaskRequest`). */
  handler: TaskRequestHandler;
  /** The rig owner's admin actions: the handler's `admin.*` and the dashboard's controls. */
  admin: AdminActions;
  /** The EIP-712 domain requests must be signed for. */
  domain: ProtocolDomain;
  reconciler: TaskReconciler;
  /**
   * The reconciler as a scheduler step (event `tasks`): dockerd unreachable
   * throws, and the scheduler backs the step off (an expected failure).
   */
  step(options: { signal: AbortSignal }): Promise<{ wakeAt?: number | undefined }>;
  /** Follows Docker's events, raising `tasks`; resolves when `signal` aborts. */
  watch(signal: AbortSignal): Promise<void>;
  /** Deals given up on (their task lost too often): the bill step never bills them. */
  lostDeals(): ReadonlySet<bigint>;
  /**
   * Runs the self-test ({@linkcode runSelftest}) on this side's Docker client
   * and the config as the last reload left it; its containers are labelled
   * `<agentId>-selftest`, apart from the tasks.
   */
  selftest(
    components: Omit<SelftestComponents, "docker">,
    options?: { signal?: AbortSignal | undefined },
  ): Promise<SelftestReport>;
  /**
   * Follows a config reload: the plans, `admins` and `docker.allowed_images`
   * (for new tasks) are read from `config` from now on; the rest stays as at start.
   */
  setConfig(config: AgentConfig): void;
  /** Settles once the probe images' ids were looked up at start (`docker.allow_probe_images`). */
  probeImagesFound: Promise<void>;
  /**
   * Stops using Docker. With `removeTasks` (the devnet: its chain stops with
   * the agent), first removes every task container, network and volume and
   * journals the tasks `stopped`; on a real chain the tasks keep running.
   */
  close(
    options?: { removeTasks?: string | undefined; signal?: AbortSignal | undefined },
  ): Promise<void>;
};

/**
 * Builds the deal -> task side: a Docker client on `docker.socket`, the task
 * runtime (journal, limits, image policy), the request handler and the
 * reconciler.
 *
 * @example
 * ```ts ignore
 * const workloads = startWorkloads({ db, chain, view, logger, raise: scheduler.trigger }, {
 *   config, addresses, supplier: account.address, rig, agentId: "rig1",
 * });
 * ```
 */
export function startWorkloads(
  components: WorkloadsComponents,
  options: StartWorkloadsOptions,
): Workloads {
  const { db, chain, view, logger } = components;
  const clock = components.clock ?? systemClock;
  const { addresses } = options;
  let config = options.config;
  // `config check` refuses this; a rig started anyway is told loudly
  const overcommit = checkOvercommit(config.plans, {
    cpuThreads: options.rig.threads,
    ramBytes: Deno.systemMemoryInfo().total,
  });
  for (const problem of overcommit) {
    logger.warn("the plans overcommit the rig: fix them (sonm-agent config check)", {
      problem: problem.message,
    });
  }
  const ownDocker = components.docker === undefined;
  const docker = components.docker ?? createDockerClient({ socketPath: config.docker.socket });
  // the probe images' local ids, when the config lets consumers run them (read again on reload)
  let probeImageIds: string[] = [];
  const findProbeImages = async () => {
    const allow = config.docker.allowProbeImages ?? config.chain.kind === "devnet";
    const ids: string[] = [];
    for (const image of allow ? PROBE_TASK_IMAGES : []) {
      const found = await inspectImage(docker, { image }).catch(() => undefined);
      if (found !== undefined) ids.push(found.id);
    }
    probeImageIds = ids;
    if (ids.length > 0) logger.debug("consumers may run the probe images", { ids });
  };
  const probeImagesFound = findProbeImages().catch(() => {});
  const runtime = createTaskRuntime({
    db,
    docker,
    market: createMarketClient(chain, { addresses }),
    view,
    logger,
    clock,
  }, {
    agentId: options.agentId,
    supplier: options.supplier,
    plans: () => config.plans,
    docker: () =>
      probeImageIds.length === 0 ? config.docker : {
        ...config.docker,
        allowedImages: [...config.docker.allowedImages, ...probeImageIds],
      },
    rigGpus: options.rig.gpus,
    registryAuth: options.registryAuth,
  });
  const admin = createAdminActions(runtime, {
    controls: options.adminControls,
    logger: logger.child("admin"),
  });
  const raise = (event: SchedulerEvent) => components.raise?.(event);
  const handler = createTaskHandler(runtime, {
    admins: () => config.admins,
    adminActions: admin,
    onChange: () => raise("tasks"),
    onRefused: options.onRefused,
    benchReport: options.benchReport,
    maxShellsPerDeal: () => config.docker.maxShellsPerDeal,
  });
  if (options.freshChain === true) {
    runtime.tasks.clear();
    runtime.faults.clear();
  }
  const reconciler = createTaskReconciler({ runtime, view, raise }, {
    restarts: () => ({
      max: config.docker.taskRestarts.max,
      windowMs: config.docker.taskRestarts.windowSeconds * 1000,
    }),
    purgeFirst: options.freshChain,
  });
  return {
    handler,
    admin,
    domain: { chainId: chain.chain.id, market: addresses.market },
    reconciler,
    async step({ signal }) {
      await reconciler.step({ signal });
      return { wakeAt: reconciler.recheckAt() };
    },
    watch: (signal) => reconciler.watch(signal),
    lostDeals: () => runtime.faults.lostDeals(),
    selftest: (parts, opts = {}) =>
      runSelftest({ ...parts, docker, now: () => clock.now() }, {
        config,
        rigGpus: options.rig.gpus,
        agentId: options.agentId,
        signal: opts.signal,
      }),
    setConfig(next) {
      config = next;
      void findProbeImages().catch(() => {});
    },
    probeImagesFound,
    async close(opts = {}) {
      try {
        if (opts.removeTasks !== undefined) {
          await reconciler.purge(opts.removeTasks, { signal: opts.signal });
        }
      } finally {
        if (ownDocker) docker.close();
      }
    },
  };
}
