import type { DatabaseSync } from "node:sqlite";
import type { ChainClient, ChainStore, MarketAddresses } from "../chain/mod.ts";
import { createMarketClient, marketAbi } from "../chain/mod.ts";
import { createDockerClient, type RegistryAuth } from "../docker/mod.ts";
import type { ProtocolDomain, TaskRequestHandler } from "../nat/mod.ts";
import type { AgentConfig } from "./config.ts";
import type { Logger } from "./logger.ts";
import { planAsk, type PlannedAsk, type RigCapacity } from "./plan_ask.ts";
import { type AdminControls, createTaskHandler } from "./task_handler.ts";
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
  /** `sonm.agent` label of this agent's containers. */
  agentId: string;
  registryAuth?: ((image: string) => RegistryAuth | undefined) | undefined;
  adminControls?: AdminControls | undefined;
};

/** The running deal -> task side of the agent. */
export type Workloads = {
  /** The task protocol's handler (src/nat's transport calls it through `dispatchTaskRequest`). */
  handler: TaskRequestHandler;
  /** The EIP-712 domain requests must be signed for. */
  domain: ProtocolDomain;
  reconciler: TaskReconciler;
  /** Starts following Docker's events; resolves when `signal` aborts. */
  watch(signal: AbortSignal): Promise<void>;
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
export async function startWorkloads(
  components: WorkloadsComponents,
  options: StartWorkloadsOptions,
): Promise<Workloads> {
  const { db, chain, store, logger } = components;
  const { config, addresses } = options;
  const benchmarksQuantity = Number(
    await chain.public.readContract({
      address: addresses.market,
      abi: marketAbi,
      functionName: "benchmarksQuantity",
    }),
  );
  const planned: PlannedAsk[] = config.plans.map((plan) =>
    planAsk(plan, { rig: options.rig, measured: options.measured, benchmarksQuantity })
  );
  const docker = createDockerClient({ socketPath: config.docker.socket });
  const runtime = createTaskRuntime({
    db,
    docker,
    market: createMarketClient(chain, { addresses }),
    logger,
  }, {
    agentId: options.agentId,
    supplier: options.supplier,
    plans: config.plans,
    planned: () => planned,
    docker: config.docker,
    rigGpus: options.rig.gpus,
    registryAuth: options.registryAuth,
  });
  const handler = createTaskHandler(runtime, {
    admins: config.admins,
    adminControls: options.adminControls,
  });
  const reconciler = createTaskReconciler({ runtime, store });
  return {
    handler,
    domain: { chainId: chain.chain.id, market: addresses.market },
    reconciler,
    watch: (signal) => reconciler.watch(signal),
    close: () => docker.close(),
  };
}
