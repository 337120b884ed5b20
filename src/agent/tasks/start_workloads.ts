import type { DatabaseSync } from "node:sqlite";
import {
  type ChainClient,
  type ChainStore,
  createMarketClient,
  type MarketAddresses,
} from "../../chain/mod.ts";
import { createDockerClient, type RegistryAuth } from "../../docker/mod.ts";
import type { ProtocolDomain, TaskRequestHandler } from "../../nat/mod.ts";
import { type AgentConfig, checkOvercommit } from "../config/mod.ts";
import type { Logger } from "../base/mod.ts";
import { planAsk, type PlannedAsk, type RigCapacity } from "../market/mod.ts";
import { type AdminActions, type AdminControls, createAdminActions } from "./admin_actions.ts";
import { createTaskHandler } from "./task_handler.ts";
import { createTaskReconciler, type TaskReconciler } from "./task_reconciler.ts";
import { createTaskRuntime } from "./task_runtime.ts";

/** What {@linkcode startWorkloads} works with. */
export type WorkloadsComponents = {
  db: DatabaseSync;
  chain: ChainClient;
  /** The indexed chain (open deals). */
  store: Pick<ChainStore, "deals">;
  logger: Logger;
};

/** Options of {@linkcode startWorkloads}. */
export type StartWorkloadsOptions = {
  config: AgentConfig;
  addresses: MarketAddresses;
  /** This agent's address. */
  supplier: `0x${string}`;
  rig: RigCapacity;
  measured: ReadonlyMap<number, bigint>;
  /** `Market.benchmarksQuantity()`. */
  benchmarksQuantity: number;
  /** `sonm.agent` label of this agent's containers. */
  agentId: string;
  registryAuth?: ((image: string) => RegistryAuth | undefined) | undefined;
  adminControls?: AdminControls | undefined;
};

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
   * The reconciler as a scheduler step: a failure (dockerd down) is logged
   * and retried in 5 s, never fatal to the agent.
   */
  step(options: { signal: AbortSignal }): Promise<{ wakeAt?: number | undefined }>;
  /** Starts following Docker's events; resolves when `signal` aborts. */
  watch(signal: AbortSignal): Promise<void>;
  /**
   * Follows a config reload: the plans, `admins` and `docker.allowed_images`
   * (for new tasks) are read from `config` from now on; the rest stays as at start.
   */
  setConfig(config: AgentConfig): void;
  close(): void;
};

/**
 * Builds the deal -> task side: a Docker client on `docker.socket`, the task
 * runtime (journal, limits, image policy), the request handler and the
 * reconciler.
 *
 * @example
 * ```ts ignore
 * const workloads = await startWorkloads({ db, chain, store, logger }, {
 *   config, addresses, supplier: account.address, rig, measured, agentId: "rig1",
 * });
 * ```
 */
export function startWorkloads(
  components: WorkloadsComponents,
  options: StartWorkloadsOptions,
): Workloads {
  const { db, chain, store, logger } = components;
  const { addresses } = options;
  let config = options.config;
  // what each plan sells, to know a deal's plan from its ASK (an auto price is left out of that)
  const plannedOf = (plans: AgentConfig["plans"]): PlannedAsk[] =>
    plans.map((plan) =>
      planAsk(plan.priceUsdPerHour === "auto" ? { ...plan, priceUsdPerHour: "1" } : plan, {
        rig: options.rig,
        measured: options.measured,
        benchmarksQuantity: options.benchmarksQuantity,
      })
    );
  let planned = plannedOf(config.plans);
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
  const docker = createDockerClient({ socketPath: config.docker.socket });
  const runtime = createTaskRuntime({
    db,
    docker,
    market: createMarketClient(chain, { addresses }),
    logger,
  }, {
    agentId: options.agentId,
    supplier: options.supplier,
    plans: () => config.plans,
    planned: () => planned,
    docker: () => config.docker,
    rigGpus: options.rig.gpus,
    registryAuth: options.registryAuth,
  });
  const admin = createAdminActions(runtime, {
    controls: options.adminControls,
    logger: logger.child("admin"),
  });
  const handler = createTaskHandler(runtime, { admins: () => config.admins, adminActions: admin });
  const reconciler = createTaskReconciler({ runtime, store });
  return {
    handler,
    admin,
    domain: { chainId: chain.chain.id, market: addresses.market },
    reconciler,
    async step({ signal }) {
      try {
        await reconciler.step({ signal });
        return {};
      } catch (error) {
        if (signal.aborted) throw error;
        logger.warn("the deal -> task step failed; retrying", {
          error: error instanceof Error ? error.message : String(error),
        });
        return { wakeAt: Date.now() + 5_000 };
      }
    },
    watch: (signal) => reconciler.watch(signal),
    setConfig(next) {
      config = next;
      planned = plannedOf(next.plans);
    },
    close: () => docker.close(),
  };
}
