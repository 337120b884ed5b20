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
import { type ChainClient, connectChain, getRate, type MarketAddresses } from "../chain/mod.ts";
import { startDashboard } from "../dashboard/mod.ts";
import { createDockerClient, DockerError, type RegistryAuth } from "../docker/mod.ts";
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
  createChainHealth,
  createChangeRequests,
  createMarketComponents,
  createMarketReconciler,
  type MarketComponents,
  planAsk,
} from "./market/mod.ts";
import {
  createLogger,
  type Logger,
  type LogLevel,
  type SchedulerEvent,
  systemClock,
  VERSION,
} from "./base/mod.ts";
import { startNatService } from "./nat_service.ts";

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
  const { signal, onReady } = options;
  let logger = options.logger;
  const started = performance.now();
  const stops: Stop[] = [];
  /** Aborted with the error of a reconciler step that failed unexpectedly (a bug): the agent stops. */
  const fatal = new AbortController();
  try {
    const state = openState({ path: join(config.dataDir, "agent.sqlite"), logger });
    stops.push({ name: "state", stop: () => state.close() });
    // warnings and errors also go to agent_errors, for `status` and the dashboard
    const errorLog = createErrorLog(state.db);
    logger = errorLog.wrap(logger);
    const runId = recordStart(state, logger);
    stops.push({ name: "run record", stop: () => recordStop(state, runId) });

    if (config.chain.kind === "devnet") {
      await ensureDevnetKeystore(config.keystore, { logger });
    }
    const account = await unlockAgentKey(config.keystore, { logger, signal });

    const { devnet, devnetMs, rpcUrl, chainId, addresses, fromBlock, chain } = await openChain(
      config,
      { account: account.address, logger, signal, stops },
    );

    const hardware = options.hardware ??
      await discoverHardware({ dataDir: config.dataDir, signal });
    const measured = cachedMeasurements(state, hardware);
    // the signed report the consumers of its deals may ask for (`client verify`)
    await publishBenchReport(state.db, account, {
      dataDir: config.dataDir,
      hardware,
      measured: new Set(measured.keys()),
    }).catch((error: unknown) =>
      logger.warn("cannot sign the bench report; consumers cannot check it", { error })
    );
    const rig = {
      threads: hardware.cpu.threads,
      gpus: hardware.gpus.map((g) => ({ index: g.index, memBytes: g.memBytes, vendor: g.vendor })),
    };
    let reconcileSeconds: number | null = null;
    const marketLogger = logger.child("market");
    const components = await createMarketComponents(
      { chain, account, db: state.db, logger: marketLogger },
      {
        addresses,
        fromBlock,
        pollIntervalMs: options.market?.pollIntervalMs,
        devnet: devnet !== undefined,
        dataDir: config.dataDir,
        signal,
      },
    );
    const { benchmarksQuantity } = components.parameters;
    if (config.master !== undefined) {
      await ensureWorkerBinding({
        chain,
        account,
        nonceStore: components.store,
        logger: logger.child("worker"),
      }, { master: config.master, addresses, signal });
    }
    // the config as the last reload left it (plans, admins, allowed images, log level)
    let live = config;
    // administrators pause and re-price fixed-price plans (task protocol admin actions)
    const fixedPlans = () =>
      planControls.current().filter((plan) => plan.priceUsdPerHour !== "auto")
        .map((plan) => planAsk(plan, { rig, measured, benchmarksQuantity }));
    const planControls = createPlanAdminControls(state.db, {
      plans: () => live.plans,
      onChange: () => reconciler.setPlans(fixedPlans()),
    });
    // the `sonm.agent` label of this agent's containers (the dashboard reads their usage by it)
    const agentId = options.agentId ?? `rig-${account.address.slice(2, 14).toLowerCase()}`;
    // the task side raises its events on the one scheduler (set once the reconciler exists)
    let raise: (event: SchedulerEvent) => void = () => {};
    const workloads = startWorkloads({
      db: state.db,
      chain,
      view: components.view,
      logger: logger.child("tasks"),
      raise: (event) => raise(event),
    }, {
      config,
      addresses,
      supplier: account.address,
      rig,
      agentId,
      registryAuth: options.registryAuth,
      adminControls: planControls,
      freshChain: components.identity === "reset",
      onRefused: errorLog.countRefusal,
      benchReport: () => readBenchReportFile(config.dataDir),
    });
    stops.push({
      name: "workloads",
      // the devnet's chain stops with the agent: its deals are gone, so are their tasks;
      // on a real chain the deals stay open and their tasks keep running (README)
      stop: () =>
        workloads.close({
          removeTasks: devnet === undefined ? undefined : "the devnet chain stopped with the agent",
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
      signer: account,
      logger: logger.child("nat"),
    }).catch((error: unknown) => {
      logger.error("cannot start the NAT host; consumers cannot reach tasks", { error });
      return undefined;
    });
    if (nat !== undefined) stops.push({ name: "nat host", stop: () => nat.stop() });
    const changeRequests = createChangeRequests({
      db: state.db,
      view: components.view,
      logger: logger.child("deals"),
    }, { plans: () => live.plans });
    // what the indexer hears of the chain, recorded for `sonm-agent status` in another process
    const health = createChainHealth({ clock: systemClock, logger: marketLogger }, {
      onChange: (h) =>
        writeStatusMeta(state.db, {
          ...(h.head === undefined || h.seenAt === undefined
            ? {}
            : { head: { number: h.head, seenAt: h.seenAt } }),
          unreachable: h.unreachableSince === undefined
            ? null
            : { since: h.unreachableSince, error: h.lastError ?? "" },
        }),
    });
    const reconciler = createMarketReconciler(
      { ...components, logger: marketLogger, clock: systemClock },
      {
        planned: fixedPlans(),
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
          planControls.current().some((p) => p.name === plan && p.priceUsdPerHour === "auto"),
        autoPriced: {
          plans: config.plans.filter((plan) => plan.priceUsdPerHour === "auto"),
          planning: { rig, measured, benchmarksQuantity },
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
    raise = (event) => reconciler.scheduler.trigger(event);

    let reloading: Promise<unknown> = Promise.resolve();
    const reload = (file: string) =>
      reloadConfigFile(file, {
        logger: logger.child("config"),
        gpuIndexes: gpuIndexesOf(hardware),
        current: () => live,
        apply: ({ config: next }) => {
          const level = live.logging.level;
          live = next;
          workloads.setConfig(next);
          reconciler.setPlans(fixedPlans());
          recordPlans(state.db, next);
          if (next.logging.level !== level) options.onLogLevel?.(next.logging.level);
        },
      });
    const ready: AgentReady = {
      address: account.address,
      rpcUrl,
      chainId,
      readyMs: Math.round(performance.now() - started - devnetMs),
      devnetMs: Math.round(devnetMs),
      devnet,
      workloads,
      reload() {
        const file = options.configFile;
        if (file === undefined) {
          return Promise.reject(new Error("runAgent was started without a configFile to reload"));
        }
        const next = reloading.then(() => reload(file));
        reloading = next.catch(() => undefined);
        return next;
      },
    };
    logger.info("agent is ready", {
      address: ready.address,
      rpc: rpcUrl,
      chainId,
      plans: config.plans.map((p) => p.name),
      readyMs: ready.readyMs,
      devnetMs: ready.devnetMs,
      rssBytes: Deno.memoryUsage().rss,
    });
    reconciler.start({ signal });
    stops.push({ name: "reconciler", stop: () => reconciler.stop() });
    const watching = new AbortController();
    const watch = workloads.watch(AbortSignal.any([signal, watching.signal]));
    stops.push({
      name: "docker events watch",
      stop: async () => {
        watching.abort();
        await watch;
      },
    });
    // for `sonm-agent status` from another process, even with the dashboard off (the head and
    // reachability come from the indexer's polls; the rate is read in the background)
    recordPlans(state.db, config);
    writeStatusMeta(state.db, { address: account.address });
    recordRate(state.db, { market: components.market, logger, signal });
    if (config.dashboard.enabled) {
      await serveDashboard(config, {
        state,
        chain,
        market: components.market,
        errorLog,
        address: account.address,
        agentId,
        hardware,
        reconcileSeconds: () => reconcileSeconds,
        dealRacesLost: () => reconciler.racesLost(),
        health: () => health.current(),
        connectivity: () => nat?.connectivity(),
        act: dashboardAct(workloads.admin),
        logger,
        signal,
        stops,
      });
    }
    if (devnet !== undefined) {
      // a consumer's client.yaml finds the chain through this file once the rig is ready
      const published = await publishDevnet(devnet, {
        dataDir: config.dataDir,
        relays: config.nat.relays,
        logger: logger.child("devnet"),
      });
      stops.push({ name: "devnet file", stop: () => published.withdraw() });
    }
    const demoPlan = config.plans[0];
    if (devnet !== undefined && demoPlan !== undefined) {
      await placeDemoBid(chain, { devnet, plan: demoPlan, logger: logger.child("devnet"), signal })
        .catch((error: unknown) =>
          logger.warn("the demo consumer could not place its BID", { error })
        );
    }
    onReady?.(ready);
    await abortion(AbortSignal.any([signal, fatal.signal]));
    if (fatal.signal.aborted) throw fatal.signal.reason;
    logger.info("stopping");
  } finally {
    await stopAll(stops.reverse(), logger);
  }
  logger.info("stopped");
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
    chain: ChainClient;
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
  const docker = createDockerClient({ socketPath: config.docker.socket });
  stops.push({ name: "dashboard docker client", stop: () => docker.close() });
  const usage = createTaskUsageReader(docker, { agentId: deps.agentId });
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
  const crashed = state.db.prepare(
    "UPDATE agent_runs SET end_reason = 'crashed' WHERE end_reason IS NULL RETURNING id",
  ).all();
  if (crashed.length > 0) {
    logger.warn(
      "the previous run did not stop cleanly; its orders and deals are reconciled with the chain",
      {
        runs: crashed.length,
      },
    );
  }
  const row = state.db.prepare(
    "INSERT INTO agent_runs (started_at, version, pid) VALUES (?, ?, ?) RETURNING id",
  ).get(Date.now(), VERSION, Deno.pid) as { id: bigint };
  return row.id;
}

function recordStop(state: AgentState, runId: bigint): void {
  state.db.prepare("UPDATE agent_runs SET stopped_at = ?, end_reason = 'stopped' WHERE id = ?")
    .run(Date.now(), runId);
}

function abortion(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
}
