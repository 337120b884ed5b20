import { join } from "node:path";
import {
  BENCHMARKS,
  createSqliteResultCache,
  discoverHardware,
  type Hardware,
  hardwareFingerprint,
  isCachedMeasurement,
  readNvidiaGpus,
} from "../bench/mod.ts";
import {
  type ChainClient,
  connectChain,
  getHeadBlock,
  getRate,
  type MarketAddresses,
} from "../chain/mod.ts";
import { startDashboard } from "../dashboard/mod.ts";
import type { LocalAccount } from "viem";
import {
  createDockerClient,
  type DockerClient,
  DockerError,
  type RegistryAuth,
} from "../docker/mod.ts";
import { NatError, RequestRefusedError } from "../nat/mod.ts";
import {
  type AgentConfig,
  loadConfig,
  reloadConfigFile,
  type ReloadOutcome,
} from "./config/mod.ts";
import {
  type Devnet,
  ensureDevnetKeystore,
  ensureWorkerBinding,
  gpuIndexesOf,
  placeDemoBid,
  publishBenchReport,
  publishDevnet,
  readBenchReportFile,
  startDevnet,
  unlockAgentKey,
} from "./setup/mod.ts";
import {
  type AgentState,
  createErrorLog,
  type ErrorLog,
  openState,
  recordRunStart,
  recordRunStop,
  writeStatusMeta,
} from "./state/mod.ts";
import {
  createPlanAdminControls,
  dashboardAct,
  startWorkloads,
  type Workloads,
} from "./tasks/mod.ts";
import {
  createDashboardSource,
  createTaskUsageReader,
  type DashboardSourceComponents,
} from "./status/mod.ts";
import {
  chainFailure,
  type ChainHealth,
  createChainHealth,
  createChangeRequests,
  createMarketComponents,
  createMarketReconciler,
  createSelftestGate,
  logRecoveredDeals,
  type MarketComponents,
  type MarketReconciler,
  planAsk,
  type PlannedAsk,
  recoverDealPlans,
  type RigCapacity,
  type SelftestGate,
  type SelftestSchedule,
} from "./market/mod.ts";
import {
  createLogger,
  type Logger,
  type LogLevel,
  type SchedulerEvent,
  type SelftestReport,
  sleepOn,
  type StepOutcome,
  systemClock,
  VERSION,
} from "./base/mod.ts";
import { type NatService, startNatService } from "./nat_service.ts";

/** What the agent reports once it is ready. */
export type AgentReady = {
  address: `0x${string}`;
  rpcUrl: string;
  chainId: number;
  /** Milliseconds from start to ready, without the devnet's own start. */
  readyMs: number;
  /** Milliseconds the embedded devnet took (0 on a real chain). */
  devnetMs: number;
  devnet: Devnet | undefined;
  /** The deal -> task side: the task protocol's handler and domain (transports call it). */
  workloads: Workloads;
  /**
   * Resolves once the agent has caught up with the chain as it is now: the
   * indexer reached the chain's head and the scheduler has no step running
   * or pending, with the head unchanged meanwhile. What a test waits for
   * before asserting that something did *not* happen (no fixed sleep).
   */
  settled(options?: { signal?: AbortSignal | undefined }): Promise<void>;
  /**
   * Re-reads `configFile` and applies what can change live (what SIGHUP does):
   * see {@linkcode reloadConfigFile}. Reloads run one at a time.
   */
  reload(): Promise<ReloadOutcome>;
};

/** Options of {@linkcode runAgent}. */
export type RunAgentOptions = {
  logger: Logger;
  /** Stops the agent (Ctrl-C, SIGTERM). */
  signal: AbortSignal;
  /** Called once the agent is ready (tests and the CLI use it). */
  onReady?: ((ready: AgentReady) => void) | undefined;
  /** The rig's hardware, when the caller already discovered it. @default {discovered at start} */
  hardware?: Hardware | undefined;
  /** Market loop timing (tests shorten it). */
  market?: {
    /** Pause between indexer polls, ms. @default {1000} */
    pollIntervalMs?: number | undefined;
    /** Seconds of chain time between bills of a deal. @default {600} */
    billIntervalSeconds?: number | undefined;
  } | undefined;
  /** `sonm.agent` label of the agent's containers. @default {"rig-" + 12 hex digits of its address} */
  agentId?: string | undefined;
  /** Registry credentials for consumers' images (by image reference). */
  registryAuth?: ((image: string) => RegistryAuth | undefined) | undefined;
  /** The config file `config` came from: what {@linkcode AgentReady.reload} re-reads. */
  configFile?: string | undefined;
  /** Called when a reload changes `logging.level` (the caller's logger follows it). */
  onLogLevel?: ((level: LogLevel) => void) | undefined;
  /** How often the self-test runs, and its retries while a plan is withheld (tests shorten them). */
  selftest?: Partial<SelftestSchedule> | undefined;
};

/**
 * Runs the agent until `signal` aborts: opens its state, unlocks its key,
 * brings up the chain (the embedded devnet or the configured RPC, whose
 * chain id must match), logs readiness, and on stop shuts everything down in
 * reverse order.
 *
 * @throws {AgentError} (ConfigError, StateError, DevnetError, ChainError...) on a failed start
 * @example
 * ```ts ignore
 * const controller = new AbortController();
 * await runAgent(config, { logger, signal: controller.signal });
 * ```
 */
export async function runAgent(config: AgentConfig, options: RunAgentOptions): Promise<void> {
  const { signal } = options;
  const started = performance.now();
  const stops: Stop[] = [];
  /** Aborted with the error of a reconciler step that failed unexpectedly (a bug): the agent stops. */
  const fatal = new AbortController();
  let logger = options.logger;
  try {
    const local = openLocalState(config, { logger, stops });
    logger = local.logger;
    const base = { config, options, logger, stops };
    const chain = await openAccountAndChain(base);
    const hardware = options.hardware ??
      await discoverHardware({ dataDir: config.dataDir, signal });
    const market = await startMarketSide(base, { local, chain, hardware });
    // one Docker client for the task side and the dashboard (closed after both stopped)
    const docker = createDockerClient({ socketPath: config.docker.socket });
    stops.push({ name: "docker client", stop: () => docker.close() });
    const tasks = await startTaskSide(base, { local, chain, market, docker });
    const reconciler = createReconciler(base, { local, chain, market, tasks }, fatal);
    const ready = readyOf(base, { local, chain, market, tasks, reconciler, hardware, started });
    await startServing(base, { local, chain, market, tasks, reconciler, hardware, docker });
    options.onReady?.(ready);
    await abortion(AbortSignal.any([signal, fatal.signal]));
    if (fatal.signal.aborted) throw fatal.signal.reason;
    logger.info("stopping");
  } finally {
    await stopAll(stops.reverse(), logger);
  }
  logger.info("stopped");
}

/** What every start phase works with. */
type PhaseBase = {
  config: AgentConfig;
  options: RunAgentOptions;
  logger: Logger;
  /** Each phase pushes what it started; shutdown stops them in reverse. */
  stops: Stop[];
};

/** The agent's own state: the sqlite file, its error log, this run's record. */
type LocalState = { state: AgentState; errorLog: ErrorLog; logger: Logger };

function openLocalState(
  config: AgentConfig,
  deps: { logger: Logger; stops: Stop[] },
): LocalState {
  const { stops } = deps;
  const state = openState({ path: join(config.dataDir, "agent.sqlite"), logger: deps.logger });
  stops.push({ name: "state", stop: () => state.close() });
  // warnings and errors also go to agent_errors, for `status` and the dashboard
  const errorLog = createErrorLog(state.db);
  const logger = errorLog.wrap(deps.logger);
  const runId = recordStart(state, logger);
  stops.push({ name: "run record", stop: () => recordRunStop(state.db, runId, Date.now()) });
  return { state, errorLog, logger };
}

/** The agent's key, unlocked, and the chain it trades on. */
type ChainSide = Awaited<ReturnType<typeof openChain>> & { account: LocalAccount };

async function openAccountAndChain(base: PhaseBase): Promise<ChainSide> {
  const { config, options: { signal }, logger, stops } = base;
  if (config.chain.kind === "devnet") {
    await ensureDevnetKeystore(config.keystore, { logger });
  }
  const account = await unlockAgentKey(config.keystore, { logger, signal });
  const opened = await openChain(config, { account: account.address, logger, signal, stops });
  return { ...opened, account };
}

/** The market half: its components, the plans as ASKs, the config as the last reload left it. */
type MarketSide = {
  components: MarketComponents;
  rig: RigCapacity;
  /**
   * The config's plans with the administrators' pauses and prices applied, less those the
   * self-test withholds, as ASKs.
   */
  fixedPlans(): PlannedAsk[];
  /** The self-test's gate: a plan whose needs fail is not offered (its ASK cancelled). */
  gate: SelftestGate;
  planControls: ReturnType<typeof createPlanAdminControls>;
  /** The config as the last reload left it (plans, admins, allowed images, log level). */
  live: { config: AgentConfig };
  /** Called when the administrators changed a plan (set once the reconciler exists). */
  onPlansChanged: { call: () => void };
  measured: Map<number, bigint>;
};

async function startMarketSide(
  base: PhaseBase,
  deps: { local: LocalState; chain: ChainSide; hardware: Hardware },
): Promise<MarketSide> {
  const { config, options, logger } = base;
  const { local: { state }, chain, hardware } = deps;
  const measured = cachedMeasurements(state, hardware);
  // the signed report the consumers of its deals may ask for (`client verify`)
  await publishBenchReport(state.db, chain.account, {
    dataDir: config.dataDir,
    hardware,
    measured: new Set(measured.keys()),
  }).catch((error: unknown) =>
    logger.warn("cannot sign the bench report; consumers cannot check it", { error })
  );
  const rig: RigCapacity = {
    threads: hardware.cpu.threads,
    gpus: hardware.gpus.map((g) => ({ index: g.index, memBytes: g.memBytes, vendor: g.vendor })),
  };
  const components = await createMarketComponents(
    { chain: chain.chain, account: chain.account, db: state.db, logger: logger.child("market") },
    {
      addresses: chain.addresses,
      fromBlock: chain.fromBlock,
      pollIntervalMs: options.market?.pollIntervalMs,
      devnet: chain.devnet !== undefined,
      // what the agent needs of a node it did not start, checked once the state's chain is
      checkNeeds: chain.devnet === undefined,
      dataDir: config.dataDir,
      signal: options.signal,
    },
  );
  if (config.master !== undefined) {
    // through the market's own client: one nonce keeper for the agent's key
    await ensureWorkerBinding(
      { market: components.market, logger: logger.child("worker") },
      { master: config.master, signal: options.signal },
    );
  }
  return {
    components,
    rig,
    measured,
    ...planControlsOf(base, { state, chain, components, rig, measured }),
  };
}

/** The plans as the market offers them: the administrators' controls, the self-test's gate. */
function planControlsOf(
  base: PhaseBase,
  deps: {
    state: AgentState;
    chain: ChainSide;
    components: MarketComponents;
    rig: RigCapacity;
    measured: Map<number, bigint>;
  },
): Pick<MarketSide, "fixedPlans" | "gate" | "planControls" | "live" | "onPlansChanged"> {
  const { config, options, logger } = base;
  const { state, chain, components, rig, measured } = deps;
  const live = { config };
  const onPlansChanged = { call: () => {} };
  // the self-test withholds a plan whose needs fail (its ASK cancelled, a running deal goes on)
  const gate = createSelftestGate({ logger: logger.child("selftest") }, {
    schedule: options.selftest,
  });
  // administrators pause and re-price fixed-price plans (task protocol admin actions)
  const planControls = createPlanAdminControls(state.db, {
    plans: () => live.config.plans,
    onChange: () => onPlansChanged.call(),
  });
  const { benchmarksQuantity } = components.parameters;
  const fixedPlans = () =>
    planControls.current().filter((plan) =>
      plan.priceUsdPerHour !== "auto" && gate.offered(plan.name)
    ).map((plan) => planAsk(plan, { rig, measured, benchmarksQuantity }));
  // deals on ASKs the state did not record (a crash, a lost state) know their plan before the
  // agent is ready: a consumer's request may come at once, before the first market step
  logRecoveredDeals(
    logger.child("market"),
    recoverDealPlans(components.planOrders, components.store, {
      me: chain.account.address,
      planned: planControls.current().filter((plan) => plan.priceUsdPerHour !== "auto")
        .map((plan) => planAsk(plan, { rig, measured, benchmarksQuantity })),
    }),
  );
  return { fixedPlans, gate, planControls, live, onPlansChanged };
}

/** The deal -> task half: containers, the task protocol, the NAT host that carries it. */
type TaskSide = {
  workloads: Workloads;
  nat: NatService | undefined;
  agentId: string;
  /** Raises a scheduler event (set once the reconciler exists). */
  raise: { call: (event: SchedulerEvent) => void };
};

async function startTaskSide(
  base: PhaseBase,
  deps: { local: LocalState; chain: ChainSide; market: MarketSide; docker: DockerClient },
): Promise<TaskSide> {
  const { config, options, logger, stops } = base;
  const { local, chain, market, docker } = deps;
  // the `sonm.agent` label of this agent's containers (the dashboard reads their usage by it)
  const agentId = options.agentId ?? `rig-${chain.account.address.slice(2, 14).toLowerCase()}`;
  const raise = { call: (_event: SchedulerEvent) => {} };
  const workloads = startWorkloads({
    db: local.state.db,
    chain: chain.chain,
    view: market.components.view,
    logger: logger.child("tasks"),
    raise: (event) => raise.call(event),
    docker,
  }, {
    config,
    addresses: chain.addresses,
    supplier: chain.account.address,
    rig: market.rig,
    agentId,
    registryAuth: options.registryAuth,
    adminControls: market.planControls,
    freshChain: market.components.identity === "reset",
    onRefused: local.errorLog.countRefusal,
    benchReport: () => readBenchReportFile(config.dataDir),
  });
  stops.push({
    name: "workloads",
    // the devnet's chain stops with the agent: its deals are gone, so are their tasks;
    // on a real chain the deals stay open and their tasks keep running (README)
    stop: () =>
      workloads.close({
        removeTasks: chain.devnet === undefined
          ? undefined
          : "the devnet chain stopped with the agent",
        signal: AbortSignal.timeout(STOP_TIMEOUT_MS),
      }),
  });
  // consumers reach their tasks through the NAT host (relay reservations, punch); a rig that
  // cannot start it still earns from the market, so the agent runs on and says why
  const nat = await startNatService({
    dataDir: config.dataDir,
    nat: config.nat,
    handler: workloads.handler,
    domain: workloads.domain,
    signer: chain.account,
    logger: logger.child("nat"),
    // a relay lost or won back may change the self-test's relay check
    onRelayEvent: () => raise.call("dependencies"),
  }).catch((error: unknown) => {
    logger.error("cannot start the NAT host; consumers cannot reach tasks", { error });
    return undefined;
  });
  if (nat !== undefined) stops.push({ name: "nat host", stop: () => nat.stop() });
  return { workloads, nat, agentId, raise };
}

/** The one scheduler and its steps: market, deal changes, and the task side. */
type Reconciling = {
  reconciler: MarketReconciler;
  health: ChainHealth;
  reconcileSeconds: () => number | null;
};

function createReconciler(
  base: PhaseBase,
  deps: { local: LocalState; chain: ChainSide; market: MarketSide; tasks: TaskSide },
  fatal: AbortController,
): Reconciling {
  const { config, options, logger } = base;
  const { local: { state }, market, tasks: { workloads } } = deps;
  const { components, live, planControls } = market;
  const marketLogger = logger.child("market");
  const changeRequests = createChangeRequests({
    db: state.db,
    view: components.view,
    logger: logger.child("deals"),
  }, { plans: () => live.config.plans });
  const health = recordedChainHealth(state.db, marketLogger);
  let reconcileSeconds: number | null = null;
  const selftest = selftestStep(deps, health, () => reconciler);
  const reconciler = createMarketReconciler(
    { ...components, logger: marketLogger, clock: systemClock },
    {
      planned: market.fixedPlans(),
      // the self-test first: its gate decides which plans the plans step offers
      firstSteps: [{ name: "selftest", on: ["start", "config", "dependencies"], run: selftest }],
      extraSteps: [
        // deal -> task: our deals opened or closed, a task request, a container event
        { name: "tasks", on: ["start", "own", "tasks"], run: workloads.step },
        {
          name: "change-requests",
          on: ["start", "own", "head"],
          run: ({ signal }) => changeRequests.run(components.market, { signal }),
        },
      ],
      // a paused auto plan, or one an administrator gave a fixed price, leaves the price step's ASKs
      autoOffered: (plan) =>
        market.gate.offered(plan) &&
        planControls.current().some((p) => p.name === plan && p.priceUsdPerHour === "auto"),
      autoPriced: {
        plans: config.plans.filter((plan) => plan.priceUsdPerHour === "auto"),
        planning: {
          rig: market.rig,
          measured: market.measured,
          benchmarksQuantity: components.parameters.benchmarksQuantity,
        },
        power: { loadWatts: config.power.loadWatts, pricePerKwh: config.power.pricePerKwh },
      },
      billIntervalSeconds: options.market?.billIntervalSeconds,
      lostDeals: () => workloads.lostDeals(),
      expected: worldFailure,
      health,
      onFatal: (error) => fatal.abort(error),
      onStep: (_step, ms) => (reconcileSeconds = ms / 1000),
    },
  );
  // the two late links of the cycle task side <-> scheduler, closed here
  deps.tasks.raise.call = (event) => reconciler.scheduler.trigger(event);
  market.onPlansChanged.call = () => reconciler.setPlans(market.fixedPlans());
  return { reconciler, health, reconcileSeconds: () => reconcileSeconds };
}

/**
 * The self-test as the scheduler's first step: runs the checks (the chain's
 * only while the indexer hears it: a hanging RPC must not hold the
 * scheduler), records the report for `status`, and re-plans when the gate
 * withholds or restores a plan.
 */
function selftestStep(
  deps: { local: LocalState; chain: ChainSide; market: MarketSide; tasks: TaskSide },
  health: ChainHealth,
  reconciler: () => MarketReconciler,
): (options: { signal: AbortSignal }) => Promise<StepOutcome> {
  const { local, chain, market, tasks } = deps;
  return async ({ signal }) => {
    const unreachable = health.current().unreachableSince;
    const report: SelftestReport = await tasks.workloads.selftest({
      ...(unreachable === undefined
        ? {
          chain: {
            market: market.components.market,
            address: chain.account.address,
            chainId: chain.chainId,
            devnet: chain.devnet !== undefined,
          },
        }
        : {
          noChain: {
            status: "failed",
            detail: `the chain has not answered since ${new Date(unreachable).toISOString()}`,
          },
        }),
      natStatus: () => tasks.nat?.status(),
    }, { signal });
    writeStatusMeta(local.state.db, { selftest: report });
    const { changed, nextRunAt } = market.gate.update(
      market.live.config.plans.map((p) => p.name),
      report.results,
      systemClock.now(),
    );
    if (changed) reconciler().setPlans(market.fixedPlans(), "selftest");
    return { wakeAt: nextRunAt };
  };
}

/** What the indexer hears of the chain, recorded for `sonm-agent status` in another process. */
function recordedChainHealth(db: AgentState["db"], logger: Logger): ChainHealth {
  return createChainHealth({ clock: systemClock, logger }, {
    onChange: (h) =>
      writeStatusMeta(db, {
        ...(h.head === undefined || h.seenAt === undefined
          ? {}
          : { head: { number: h.head, seenAt: h.seenAt } }),
        unreachable: h.unreachableSince === undefined
          ? null
          : { since: h.unreachableSince, error: h.lastError ?? "" },
        changed: h.changed === undefined
          ? null
          : { since: h.changed.since, error: h.changed.detail },
      }),
  });
}

/** What the agent reports once ready, with the reload (SIGHUP) it offers. */
function readyOf(
  base: PhaseBase,
  deps: {
    local: LocalState;
    chain: ChainSide;
    market: MarketSide;
    tasks: TaskSide;
    reconciler: Reconciling;
    hardware: Hardware;
    started: number;
  },
): AgentReady {
  const { config, logger } = base;
  const { chain, market, tasks } = deps;
  const reload = reloaderOf(base, deps);
  const readyMs = Math.round(performance.now() - deps.started - chain.devnetMs);
  const ready: AgentReady = {
    address: chain.account.address,
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    readyMs,
    devnetMs: Math.round(chain.devnetMs),
    devnet: chain.devnet,
    workloads: tasks.workloads,
    settled: (opts = {}) =>
      settled({
        chain: chain.chain,
        store: market.components.store,
        scheduler: deps.reconciler.reconciler.scheduler,
      }, opts.signal ?? base.options.signal),
    reload,
  };
  logger.info("agent is ready", {
    address: ready.address,
    rpc: chain.rpcUrl,
    chainId: chain.chainId,
    plans: config.plans.map((p) => p.name),
    readyMs: ready.readyMs,
    devnetMs: ready.devnetMs,
    rssBytes: Deno.memoryUsage().rss,
  });
  return ready;
}

/** {@linkcode AgentReady.reload}: re-reads the config file and applies it, one reload at a time. */
function reloaderOf(
  base: PhaseBase,
  deps: {
    local: LocalState;
    market: MarketSide;
    tasks: TaskSide;
    reconciler: Reconciling;
    hardware: Hardware;
  },
): AgentReady["reload"] {
  const { options, logger } = base;
  const { market: { live }, tasks, hardware } = deps;
  let reloading: Promise<unknown> = Promise.resolve();
  const reload = (file: string) =>
    reloadConfigFile(file, {
      logger: logger.child("config"),
      gpuIndexes: gpuIndexesOf(hardware),
      current: () => live.config,
      apply: ({ config: next }) => {
        const level = live.config.logging.level;
        live.config = next;
        tasks.workloads.setConfig(next);
        deps.reconciler.reconciler.setPlans(deps.market.fixedPlans());
        recordPlans(deps.local.state.db, next);
        if (next.logging.level !== level) options.onLogLevel?.(next.logging.level);
      },
    });
  return () => {
    const file = options.configFile;
    if (file === undefined) {
      return Promise.reject(new Error("runAgent was started without a configFile to reload"));
    }
    const next = reloading.then(() => reload(file));
    reloading = next.catch(() => undefined);
    return next;
  };
}

/** See {@linkcode AgentReady.settled}. */
async function settled(
  parts: {
    chain: ChainClient;
    store: MarketComponents["store"];
    scheduler: MarketReconciler["scheduler"];
  },
  signal: AbortSignal,
): Promise<void> {
  const indexed = () => parts.store.lastIndexed()?.number ?? -1n;
  for (;;) {
    const head = (await getHeadBlock(parts.chain, { signal })).number;
    while (indexed() < head) {
      signal.throwIfAborted();
      await sleepOn(systemClock, 25, signal);
    }
    await parts.scheduler.idle();
    // the steps may have sent transactions: settled only when nothing moved meanwhile
    const now = (await getHeadBlock(parts.chain, { signal })).number;
    if (now === head && indexed() >= now) {
      await parts.scheduler.idle();
      return;
    }
  }
}

/** Starts what runs until stop: the scheduler, Docker's events, the status, the page, the devnet. */
async function startServing(
  base: PhaseBase,
  deps: {
    local: LocalState;
    chain: ChainSide;
    market: MarketSide;
    tasks: TaskSide;
    reconciler: Reconciling;
    hardware: Hardware;
    docker: DockerClient;
  },
): Promise<void> {
  const { config, options: { signal }, logger, stops } = base;
  const { local, chain, market, tasks, docker } = deps;
  const { reconciler, health } = deps.reconciler;
  reconciler.start({ signal });
  stops.push({ name: "reconciler", stop: () => reconciler.stop() });
  const watching = new AbortController();
  const watch = tasks.workloads.watch(AbortSignal.any([signal, watching.signal]));
  stops.push({
    name: "docker events watch",
    stop: async () => {
      watching.abort();
      await watch;
    },
  });
  // for `sonm-agent status` from another process, even with the dashboard off (the head and
  // reachability come from the indexer's polls; the rate is read in the background)
  recordPlans(local.state.db, config);
  writeStatusMeta(local.state.db, { address: chain.account.address });
  recordRate(local.state.db, { market: market.components.market, logger, signal });
  if (config.dashboard.enabled) {
    await serveDashboard(config, {
      state: local.state,
      docker,
      market: market.components.market,
      errorLog: local.errorLog,
      address: chain.account.address,
      agentId: tasks.agentId,
      hardware: deps.hardware,
      reconcileSeconds: deps.reconciler.reconcileSeconds,
      dealRacesLost: () => reconciler.racesLost(),
      health: () => health.current(),
      connectivity: () => tasks.nat?.connectivity(),
      act: dashboardAct(tasks.workloads.admin),
      logger,
      signal,
      stops,
    });
  }
  if (chain.devnet !== undefined) await serveDevnet(base, chain.chain, chain.devnet);
}

/** On the devnet: the file a consumer's client.yaml finds the chain by, and the demo BID. */
async function serveDevnet(base: PhaseBase, chain: ChainClient, devnet: Devnet): Promise<void> {
  const { config, options: { signal }, logger, stops } = base;
  // a consumer's client.yaml finds the chain through this file once the rig is ready
  const published = await publishDevnet(devnet, {
    dataDir: config.dataDir,
    relays: config.nat.relays,
    logger: logger.child("devnet"),
  });
  stops.push({ name: "devnet file", stop: () => published.withdraw() });
  const demoPlan = config.plans[0];
  if (demoPlan === undefined) return;
  await placeDemoBid(chain, {
    devnet,
    plan: demoPlan,
    logger: logger.child("devnet"),
    signal,
  }).catch((error: unknown) => logger.warn("the demo consumer could not place its BID", { error }));
}

/** Where the agent trades: the embedded devnet (started and funded) or the configured RPC. */
async function openChain(
  config: AgentConfig,
  deps: { account: `0x${string}`; logger: Logger; signal: AbortSignal; stops: Stop[] },
): Promise<{
  devnet: Devnet | undefined;
  devnetMs: number;
  rpcUrl: string;
  chainId: number;
  addresses: MarketAddresses;
  fromBlock: bigint;
  chain: ChainClient;
}> {
  const { logger, signal, stops } = deps;
  let devnet: Devnet | undefined;
  let devnetMs = 0;
  let rpcUrl: string;
  let chainId: number;
  let addresses: MarketAddresses;
  let fromBlock = 0n;
  if (config.chain.kind === "devnet") {
    const t = performance.now();
    devnet = await startDevnet({ logger: logger.child("devnet"), fund: [deps.account], signal });
    const running = devnet;
    stops.push({ name: "devnet", stop: () => running.stop() });
    devnetMs = performance.now() - t;
    rpcUrl = devnet.rpcUrl;
    chainId = devnet.chainId;
    addresses = devnet.contracts;
  } else {
    rpcUrl = config.chain.rpcUrl;
    chainId = config.chain.chainId;
    addresses = config.chain.contracts;
    fromBlock = config.chain.fromBlock;
  }
  // the agent's stop ends every RPC call in flight: a hanging node never holds the stop up
  const chain = await connectChain({ url: rpcUrl, chainId, signal, lifetime: signal });
  stops.push({ name: "chain client", stop: () => chain.close() });
  return { devnet, devnetMs, rpcUrl, chainId, addresses, fromBlock, chain };
}

/** The oracle rate in the state for `sonm-agent status`, read in the background (never awaited). */
function recordRate(
  db: AgentState["db"],
  deps: { market: MarketComponents["market"]; logger: Logger; signal: AbortSignal },
): void {
  const { market, logger, signal } = deps;
  getRate(market, { signal })
    .then((rate) => writeStatusMeta(db, { rate }))
    .catch((error: unknown) => {
      if (!signal.aborted) logger.warn("cannot read the oracle rate", { error });
    });
}

/** The config's plans now, for `status`: a removed plan is gone, a price change shows at once. */
function recordPlans(db: AgentState["db"], config: AgentConfig): void {
  writeStatusMeta(db, {
    plans: config.plans.map((p) => ({ name: p.name, priceUsdPerHour: p.priceUsdPerHour })),
  });
}

/**
 * Starts the dashboard over the agent's state. A busy port must not stop the
 * rig from earning: the agent runs on without its page and says why.
 */
async function serveDashboard(
  config: AgentConfig,
  deps: {
    state: AgentState;
    /** The agent's one Docker client (the task side's). */
    docker: DockerClient;
    market: MarketComponents["market"];
    errorLog: ErrorLog;
    address: `0x${string}`;
    agentId: string;
    hardware: Hardware;
    reconcileSeconds: () => number | null;
    dealRacesLost: () => number;
    health: NonNullable<DashboardSourceComponents["chain"]>;
    connectivity: DashboardSourceComponents["connectivity"];
    act: DashboardSourceComponents["act"];
    logger: Logger;
    signal: AbortSignal;
    stops: Stop[];
  },
): Promise<void> {
  const { state, market, logger, signal, stops } = deps;
  // the tasks' CPU and memory from Docker's stats (the same agent id as the task runtime's labels)
  const usage = createTaskUsageReader(deps.docker, { agentId: deps.agentId });
  const source = createDashboardSource({
    statePath: state.path,
    db: state.db,
    // local state only: a hanging RPC never slows /metrics, /api or the page
    chain: deps.health,
    readRate: (timeout) => getRate(market, { signal: AbortSignal.any([signal, timeout]) }),
    errorLog: deps.errorLog,
    reconcileSeconds: deps.reconcileSeconds,
    dealRacesLost: deps.dealRacesLost,
    gpuReadings: () => readNvidiaGpus({ signal }),
    taskUsage: () => Promise.resolve(usage.current()),
    connectivity: deps.connectivity,
    // the page's controls: the rig owner's admin actions, the same code as `admin.*` requests
    act: deps.act,
  }, { address: deps.address, power: config.power, hardware: deps.hardware, plans: config.plans });
  stops.push({ name: "dashboard source", stop: () => source.close() });
  const dashboard = await startDashboard({
    source,
    hostname: config.dashboard.bind,
    port: config.dashboard.port,
    allowRemote: config.dashboard.allowRemote,
    dataDir: config.dataDir,
    onError: (error) => logger.warn("dashboard request failed", { error }),
  }).catch((error: unknown) => {
    logger.error("cannot start the dashboard; the agent runs without it", {
      bind: config.dashboard.bind,
      port: config.dashboard.port,
      error,
    });
    return undefined;
  });
  if (dashboard !== undefined) {
    stops.push({ name: "dashboard", stop: () => dashboard.stop() });
    logger.info("dashboard is up", { url: dashboard.url, tokenFile: dashboard.tokenPath });
  }
}

/**
 * The world's expected failures, which back a step off and never stop the
 * agent: the chain's (RPC down or hanging), Docker's (the daemon gone), a
 * relay's, and a deal the chain could not be asked about. Anything else a
 * step throws is a bug.
 */
function worldFailure(error: unknown): string | undefined {
  if (error instanceof DockerError) return "dockerd";
  if (error instanceof NatError) return "the relay";
  if (error instanceof RequestRefusedError && error.code === "unavailable") return "the chain";
  return chainFailure(error);
}

/** One component to stop at shutdown, named for the log. */
type Stop = { name: string; stop: () => Promise<void> | void };

/** How long shutdown waits for one component before it goes on without it. */
const STOP_TIMEOUT_MS = 15_000;

/**
 * Stops each component in turn. A stop that throws or hangs is logged with
 * the component's name and skipped: shutdown never hangs on one component,
 * and the state is closed last whatever happened before.
 */
async function stopAll(stops: readonly Stop[], logger: Logger): Promise<void> {
  for (const { name, stop } of stops) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), STOP_TIMEOUT_MS);
    });
    try {
      const outcome = await Promise.race([Promise.resolve().then(stop), timedOut]);
      if (outcome === "timeout") {
        logger.error("a component did not stop in time; shutting down without it", {
          component: name,
          waitedMs: STOP_TIMEOUT_MS,
        });
      }
    } catch (error) {
      logger.error("a component failed to stop", { component: name, error });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Options of {@linkcode runAgentFromFile}. */
export type RunAgentFromFileOptions = {
  signal: AbortSignal;
  /** Log settings given on the command line; they win over the config's. */
  log?: { level?: LogLevel | undefined; format?: "text" | "json" | undefined } | undefined;
};

/**
 * Loads a config file and runs the agent on it (what `sonm-agent run` does).
 *
 * @example
 * ```ts ignore
 * await runAgentFromFile("rig.yaml", { signal });
 * ```
 */
export async function runAgentFromFile(
  file: string,
  options: RunAgentFromFileOptions,
): Promise<void> {
  const hardware = await discoverHardware({ dataDir: "/", signal: options.signal });
  const config = await loadConfig(file, { gpuIndexes: gpuIndexesOf(hardware) });
  let level = options.log?.level ?? config.logging.level;
  const logger = createLogger({
    level: () => level,
    format: options.log?.format ?? config.logging.format,
  });
  logger.info("starting sonm-agent", { version: VERSION, config: file });
  // SIGHUP (systemctl reload) re-reads the config; before the agent is ready there is nothing to change
  let ready: AgentReady | undefined;
  const onHangup = () => {
    if (ready === undefined) {
      logger.warn("SIGHUP before the agent is ready: no config reload");
      return;
    }
    logger.info("SIGHUP: reloading the config", { config: file });
    ready.reload().catch((error: unknown) => logger.error("config reload failed", { error }));
  };
  Deno.addSignalListener("SIGHUP", onHangup);
  // SIGUSR1 asks for one `settled` line once the agent caught up with the chain and has nothing
  // left to do (a deploy check, and what the tests of the agent's process wait for)
  const onUsr1 = () => {
    ready?.settled().then(
      () => logger.info("settled", {}),
      (error: unknown) => logger.debug("not settled: stopping", { error }),
    );
  };
  Deno.addSignalListener("SIGUSR1", onUsr1);
  try {
    await runAgent(config, {
      logger,
      signal: options.signal,
      hardware,
      configFile: file,
      onReady: (r) => (ready = r),
      onLogLevel: (next) => {
        if (options.log?.level === undefined) level = next;
        else logger.info("--log-level was given: it stays over the config's logging.level");
      },
    });
  } finally {
    Deno.removeSignalListener("SIGHUP", onHangup);
    Deno.removeSignalListener("SIGUSR1", onUsr1);
  }
}

/** Measured probe and network results cached by `sonm-agent bench` for this hardware. */
function cachedMeasurements(state: AgentState, hardware: Hardware): Map<number, bigint> {
  const cache = createSqliteResultCache(state.db);
  const { hash } = hardwareFingerprint(hardware);
  const out = new Map<number, bigint>();
  for (const b of BENCHMARKS) {
    if (!isCachedMeasurement(b)) continue;
    const result = cache.get(b.id, hash);
    if (result !== undefined && result.value > 0n) out.set(b.id, result.value);
  }
  return out;
}

function recordStart(state: AgentState, logger: Logger): bigint {
  const { runId, crashedRuns } = recordRunStart(state.db, {
    now: Date.now(),
    version: VERSION,
    pid: Deno.pid,
  });
  if (crashedRuns > 0) {
    logger.warn(
      "the previous run did not stop cleanly; its orders and deals are reconciled with the chain",
      { runs: crashedRuns },
    );
  }
  return runId;
}

function abortion(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
}
