import { join } from "node:path";
import {
  BENCHMARKS,
  createSqliteResultCache,
  discoverHardware,
  type Hardware,
  hardwareFingerprint,
  isCachedMeasurement,
} from "../bench/mod.ts";
import { connectChain, getHeadBlock, getRate, type MarketAddresses } from "../chain/mod.ts";
import { startDashboard } from "../dashboard/mod.ts";
import { createDockerClient } from "../docker/mod.ts";
import type { AgentConfig } from "./config.ts";
import { type Devnet, startDevnet } from "./devnet.ts";
import { writeStatusMeta } from "./_status_meta.ts";
import { createDashboardSource } from "./dashboard_source.ts";
import { ensureDevnetKeystore } from "./ensure_keystore.ts";
import { createErrorLog } from "./error_log.ts";
import { readNvidiaGpus } from "./gpu_readings.ts";
import { createTaskUsageReader } from "./task_usage.ts";
import { loadConfig } from "./load_config.ts";
import { createMarketComponents } from "./market_components.ts";
import { createMarketReconciler } from "./market_reconciler.ts";
import { planAsk } from "./plan_ask.ts";
import { createLogger, type Logger, type LogLevel } from "./logger.ts";
import { placeDemoBid } from "./place_demo_bid.ts";
import { gpuIndexesOf } from "./rig_gpu_indexes.ts";
import { type AgentState, openState } from "./state.ts";
import { unlockAgentKey } from "./unlock_agent_key.ts";
import { VERSION } from "./version.ts";

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
  const stops: (() => Promise<void> | void)[] = [];
  /** Aborted with the error of a reconciler step that failed unexpectedly (a bug): the agent stops. */
  const fatal = new AbortController();
  try {
    const state = openState({ path: join(config.dataDir, "agent.sqlite"), logger });
    stops.push(() => state.close());
    // warnings and errors also go to agent_errors, for `status` and the dashboard
    const errorLog = createErrorLog(state.db);
    logger = errorLog.wrap(logger);
    const runId = recordStart(state, logger);
    stops.push(() => recordStop(state, runId));

    if (config.chain.kind === "devnet") {
      await ensureDevnetKeystore(config.keystore, { logger });
    }
    const account = await unlockAgentKey(config.keystore, { logger, signal });

    let devnet: Devnet | undefined;
    let devnetMs = 0;
    let rpcUrl: string;
    let chainId: number;
    let addresses: MarketAddresses;
    let fromBlock = 0n;
    if (config.chain.kind === "devnet") {
      const t = performance.now();
      devnet = await startDevnet({
        logger: logger.child("devnet"),
        fund: [account.address],
        signal,
      });
      const running = devnet;
      stops.push(() => running.stop());
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
    const chain = await connectChain({ url: rpcUrl, chainId, signal });
    stops.push(() => chain.close());

    const hardware = options.hardware ??
      await discoverHardware({ dataDir: config.dataDir, signal });
    const measured = cachedMeasurements(state, hardware);
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
    const reconciler = createMarketReconciler(
      { ...components, logger: marketLogger },
      {
        planned: config.plans.map((plan) => planAsk(plan, { rig, measured, benchmarksQuantity })),
        billIntervalSeconds: options.market?.billIntervalSeconds,
        onFatal: (error) => fatal.abort(error),
        onStep: (_step, ms) => (reconcileSeconds = ms / 1000),
      },
    );

    const ready: AgentReady = {
      address: account.address,
      rpcUrl,
      chainId,
      readyMs: Math.round(performance.now() - started - devnetMs),
      devnetMs: Math.round(devnetMs),
      devnet,
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
    stops.push(() => reconciler.stop());
    // for `sonm-agent status` from another process, even with the dashboard off
    await Promise.all([getHeadBlock(chain, { signal }), getRate(components.market, { signal })])
      .then(([head, rate]) =>
        writeStatusMeta(state.db, {
          head: { number: head.number, seenAt: Date.now() },
          rate,
          address: account.address,
        })
      )
      .catch((error: unknown) => logger.warn("cannot read the chain head and rate", { error }));
    if (config.dashboard.enabled) {
      // the tasks' CPU and memory from Docker's stats (the same agent id as the task runtime's labels)
      const docker = createDockerClient({ socketPath: config.docker.socket });
      stops.push(() => docker.close());
      const usage = createTaskUsageReader(docker, {
        agentId: `rig-${account.address.slice(2, 14).toLowerCase()}`,
      });
      const source = createDashboardSource({
        statePath: state.path,
        db: state.db,
        readHead: async () => (await getHeadBlock(chain, { signal })).number,
        readRate: () => getRate(components.market, { signal }),
        errorLog,
        reconcileSeconds: () => reconcileSeconds,
        gpuReadings: () => readNvidiaGpus({ signal }),
        taskUsage: () => Promise.resolve(usage.current()),
        // connectivity: the NAT host's class and relay state, once src/nat runs here
      }, { address: account.address, power: config.power, hardware });
      stops.push(() => source.close());
      // a busy port must not stop the rig from earning: the agent runs on without its page
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
        stops.push(() => dashboard.stop());
        logger.info("dashboard is up", { url: dashboard.url, tokenFile: dashboard.tokenPath });
      }
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
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        logger.error("a component failed to stop", { error });
      }
    }
  }
  logger.info("stopped");
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
  const logger = createLogger({
    level: options.log?.level ?? config.logging.level,
    format: options.log?.format ?? config.logging.format,
  });
  logger.info("starting sonm-agent", { version: VERSION, config: file });
  await runAgent(config, { logger, signal: options.signal, hardware });
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
