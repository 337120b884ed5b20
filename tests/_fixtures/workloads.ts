/**
 * Test fixture of the deal -> task tests: a rig (keystore, config) on a
 * devnet, the real agent in-process, a consumer that trades and signs task
 * requests through src/chain and the task protocol, and cleanup of the
 * agent's Docker objects by label.
 *
 * @module
 */
import { join } from "node:path";
import { type Account, createWalletClient, http, parseEventLogs } from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import type { Hardware } from "../../src/bench/mod.ts";
import {
  type ChainClient,
  createKeystore,
  createMarketClient,
  createTxSender,
  marketAbi,
  tokenAbi,
  type WriteMarketClient,
} from "../../src/chain/mod.ts";
import {
  type AgentConfig,
  type AgentReady,
  createLogger,
  type Devnet,
  dispatchTaskRequest,
  loadConfig,
  runAgent,
} from "../../src/agent/mod.ts";

import { collectGarbage, type DockerClient, type RegistryAuth } from "../../src/docker/mod.ts";
import {
  type ActionArgs,
  type RequestAction,
  type RequestEnvelope,
  signRequest,
} from "../../src/nat/mod.ts";

/** A running in-process agent. */
export type RunningAgent = {
  logs: Record<string, unknown>[];
  ready: AgentReady;
  stop(): Promise<void>;
};

/** Starts the real agent in-process and waits until it is ready. */
export async function startAgent(
  config: AgentConfig,
  options: {
    hardware: Hardware;
    agentId: string;
    registryAuth?: RegistryAuth | undefined;
    billIntervalSeconds?: number | undefined;
    /** What `ready.reload()` re-reads. */
    configFile?: string | undefined;
  },
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
    hardware: options.hardware,
    agentId: options.agentId,
    registryAuth: () => options.registryAuth,
    market: { pollIntervalMs: 200, billIntervalSeconds: options.billIntervalSeconds },
    configFile: options.configFile,
  });
  const r = await Promise.race([
    readyPromise,
    done.then(() => {
      throw new Error(
        `agent stopped before ready:\n${logs.map((l) => JSON.stringify(l)).join("\n")}`,
      );
    }),
  ]);
  return {
    logs,
    ready: r,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

/** Polls `fn` every 100 ms until it returns a value. */
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

/** One JSON-RPC call to the devnet (evm_increaseTime, evm_mine, anvil_setBalance). */
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
  await Deno.writeTextFile(join(dir, "key.pass"), "workloads-passphrase\n");
  const { address } = await createKeystore({
    path: join(dir, "key.json"),
    passphrase: "workloads-passphrase",
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

/** A consumer: trades on the market and signs task requests. */
export type Consumer = {
  account: PrivateKeyAccount;
  market: WriteMarketClient;
  /** Signs a request (a fresh nonce each time unless given). */
  sign<A extends RequestAction>(
    action: A,
    dealId: bigint,
    args: ActionArgs<A> | Record<string, unknown>,
    nonce?: bigint,
  ): Promise<RequestEnvelope>;
  /** Sends a signed request to the agent over the in-process transport. */
  send(agent: RunningAgent, envelope: RequestEnvelope): ReturnType<typeof dispatchTaskRequest>;
  /** Moves all but `keep` of its tokens to `to`. */
  drainTokens(devnet: Devnet, to: `0x${string}`, keep: bigint): Promise<void>;
};

/** A consumer with `privateKey` on `chain`. */
export function consumerOf(
  chain: ChainClient,
  devnet: Devnet,
  privateKey: `0x${string}`,
): Consumer {
  const account = privateKeyToAccount(privateKey);
  const market = createMarketClient(chain, {
    addresses: devnet.contracts,
    sender: createTxSender(chain, { account, receiptTimeoutMs: 10_000 }),
  }) as WriteMarketClient;
  let nonce = BigInt(Date.now()) * 1000n;
  const domain = { chainId: devnet.chainId, market: devnet.contracts.market };
  return {
    account,
    market,
    sign: (action, dealId, args, n) =>
      signRequest(account, domain, {
        action,
        dealId,
        args: args as never,
        nonce: n ?? ++nonce,
        expiry: BigInt(Math.floor(Date.now() / 1000) + 600),
      }),
    send: (agent, envelope) =>
      dispatchTaskRequest(agent.ready.workloads.handler, structuredClone(envelope), {
        domain: agent.ready.workloads.domain,
      }),
    async drainTokens(devnet, to, keep) {
      const wallet = createWalletClient({
        account: account as Account,
        chain: { ...foundry, id: devnet.chainId },
        transport: http(devnet.rpcUrl),
      });
      const balance = await chain.public.readContract({
        address: devnet.contracts.token,
        abi: tokenAbi,
        functionName: "balanceOf",
        args: [account.address],
      }) as bigint;
      const hash = await wallet.writeContract({
        address: devnet.contracts.token,
        abi: tokenAbi,
        functionName: "transfer",
        args: [to, balance - keep],
      });
      await chain.public.waitForTransactionReceipt({ hash });
    },
  };
}

/** The `Billed` events of a deal since `fromBlock`. */
export async function billsOf(chain: ChainClient, devnet: Devnet, dealId: bigint, fromBlock = 0n) {
  const logs = await chain.public.getLogs({ address: devnet.contracts.market, fromBlock });
  return parseEventLogs({ abi: marketAbi, logs, eventName: "Billed" })
    .filter((l) => l.args.dealId === dealId);
}

/** Removes every container, network and volume of `agentId`. */
export async function removeAgentObjects(docker: DockerClient, agentId: string): Promise<void> {
  await collectGarbage(docker, { agentId, openDeals: [] }).catch(() => {});
}
