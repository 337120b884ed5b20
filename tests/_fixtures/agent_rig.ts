/**
 * The real agent in-process for integration tests: a rig keystore, a config
 * file for a devnet (given as an RPC so the chain outlives each run), and a
 * started agent with its log lines. The one copy of these helpers: workloads.ts
 * and the agent tests import them from here.
 */
import { join } from "node:path";
import type { Hardware } from "../../src/bench/mod.ts";
import {
  type ChainClient,
  connectChain,
  createKeystore,
  createMarketClient,
  marketAbi,
  type MarketClient,
  type OrderState,
} from "../../src/chain/mod.ts";
import type { RegistryAuth } from "../../src/docker/mod.ts";
import { type AgentReady, runAgent, type RunAgentOptions } from "../../src/agent/mod.ts";
import { createLogger } from "../../src/agent/base/mod.ts";
import { type AgentConfig, loadConfig } from "../../src/agent/config/mod.ts";
import { type Devnet, startDevnet } from "../../src/agent/setup/mod.ts";

/** A running agent: its log lines so far, what it reported once ready, and a stop. */
export type RunningAgent = {
  logs: Record<string, unknown>[];
  ready: AgentReady;
  /** Settles when the agent stops: rejects when it stopped by itself on an error. */
  done: Promise<void>;
  stop(): Promise<void>;
};

/** Options of {@linkcode startAgent}. */
export type StartAgentOptions = {
  /** What `ready.reload()` re-reads. */
  configFile?: string | undefined;
  agentId?: string | undefined;
  registryAuth?: RegistryAuth | undefined;
  billIntervalSeconds?: number | undefined;
  /** The self-test's period and retries (RunAgentOptions.selftest). */
  selftest?: RunAgentOptions["selftest"];
};

/**
 * Starts the real agent in-process and waits until it is ready (indexer polls
 * every 200 ms). `configFile` is what `ready.reload()` re-reads.
 */
export async function startAgent(
  config: AgentConfig,
  hardware: Hardware,
  options: StartAgentOptions = {},
): Promise<RunningAgent> {
  const controller = new AbortController();
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: "debug",
    format: "json",
    write: (line) => logs.push(JSON.parse(line)),
  });
  let ready!: (r: AgentReady) => void;
  const readyPromise = new Promise<AgentReady>((resolve) => (ready = resolve));
  const done = runAgent(config, {
    logger,
    signal: controller.signal,
    onReady: (r) => ready(r),
    hardware,
    agentId: options.agentId,
    registryAuth: () => options.registryAuth,
    market: { pollIntervalMs: 200, billIntervalSeconds: options.billIntervalSeconds },
    configFile: options.configFile,
    selftest: options.selftest,
  });
  const reported = await Promise.race([
    readyPromise,
    done.then(() => {
      throw new Error(
        `agent stopped before ready:\n${logs.map((l) => JSON.stringify(l)).join("\n")}`,
      );
    }),
  ]);
  done.catch(() => {}); // a test that does not look at it must not fail on it unhandled
  return {
    logs,
    ready: reported,
    done,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

/** Polls `fn` every 100 ms until it returns a value; fails after `ms`. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await fn();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Polls `check` every 100 ms until it is true; fails after `ms`. */
export async function untilTrue(
  what: string,
  check: () => Promise<boolean>,
  ms = 30_000,
): Promise<void> {
  await until(what, async () => (await check()) ? true : undefined, ms);
}

/** Sends a raw JSON-RPC call to the devnet (anvil's own methods). */
export async function rpc(devnet: Devnet, method: string, params: unknown[]): Promise<unknown> {
  const r = await fetch(devnet.rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = await r.json();
  if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result;
}

/** Writes the rig's keystore and passphrase file into `dir`; returns the rig's address. */
export async function createRigKeystore(dir: string): Promise<`0x${string}`> {
  await Deno.writeTextFile(join(dir, "key.pass"), "e2e-passphrase\n");
  const { address } = await createKeystore({
    path: join(dir, "key.json"),
    passphrase: "e2e-passphrase",
    kdf: { kdf: "pbkdf2", c: 1000 },
  });
  return address;
}

/**
 * Writes `dir/rig.yaml` for `devnet` with extra YAML (plans, docker, master) and loads it.
 * The dashboard is off unless `dashboardPort` is given (then on 127.0.0.1 at that port).
 */
export async function writeRigConfig(
  dir: string,
  devnet: Devnet,
  extra: string,
  options: { dashboardPort?: number | undefined } = {},
): Promise<AgentConfig> {
  const dashboard = options.dashboardPort === undefined
    ? "{ enabled: false }"
    : `{ enabled: true, bind: 127.0.0.1, port: ${options.dashboardPort} }`;
  const c = devnet.contracts;
  await Deno.writeTextFile(
    join(dir, "rig.yaml"),
    `data_dir: ./data
chain:
  rpc_url: ${devnet.rpcUrl}
  chain_id: ${devnet.chainId}
  from_block: 0
  contracts: { market: "${c.market}", token: "${c.token}", oracle: "${c.oracle}", blacklist: "${c.blacklist}", profiles: "${c.profiles}" }
keystore: { path: ./key.json, passphrase_file: ./key.pass }
dashboard: ${dashboard}
${extra}`,
  );
  return await loadConfig(join(dir, "rig.yaml"), { gpuIndexes: [] });
}

/** The ASKs among `orders` placed by `who`. */
export function asksOf(orders: OrderState[], who: string): OrderState[] {
  return orders.filter((o) => o.type === "ASK" && o.author.toLowerCase() === who.toLowerCase());
}

/** How many orders the market has ever had (its order id counter). */
export async function ordersAmount(market: MarketClient): Promise<bigint> {
  return await market.chain.public.readContract({
    address: market.addresses.market,
    abi: marketAbi,
    functionName: "ordersAmount",
  }) as bigint;
}

/** A devnet that funds the rig's fresh keystore, a chain connection to it and a market reader. */
export type RigDevnet = {
  address: `0x${string}`;
  devnet: Devnet;
  chain: ChainClient;
  reader: MarketClient;
  /** Closes the chain connection and stops the devnet. */
  close(): Promise<void>;
};

/** Writes the rig's keystore into `dir` (see {@linkcode createRigKeystore}) and starts a devnet funding it. */
export async function startRigDevnet(dir: string): Promise<RigDevnet> {
  const address = await createRigKeystore(dir);
  const devnet = await startDevnet({
    logger: createLogger({ level: "error", write: () => {} }),
    fund: [address],
  });
  let chain: ChainClient;
  try {
    chain = await connectChain({ url: devnet.rpcUrl, chainId: devnet.chainId });
  } catch (error) {
    await devnet.stop();
    throw error;
  }
  return {
    address,
    devnet,
    chain,
    reader: createMarketClient(chain, { addresses: devnet.contracts }),
    async close() {
      await chain.close();
      await devnet.stop();
    },
  };
}

/**
 * The pid of the process listening on the devnet's RPC port (anvil itself, not
 * its watchdog shell), for tests that freeze the node with SIGSTOP.
 */
export async function anvilPid(devnet: Pick<Devnet, "rpcUrl">): Promise<number> {
  const port = new URL(devnet.rpcUrl).port;
  const out = await new Deno.Command("ss", { args: ["-Hltnp", `sport = :${port}`] }).output();
  const pid = /pid=(\d+)/.exec(new TextDecoder().decode(out.stdout))?.[1];
  if (pid === undefined) throw new Error(`Cannot find the process listening on port ${port}`);
  return Number(pid);
}
