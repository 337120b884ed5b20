/**
 * The agent's market side without runAgent, for tests that build its
 * components and reconciler themselves: a devnet funding a fresh agent key,
 * a chain connection, the agent's sqlite state, a logger that keeps its
 * lines, and the spot CPU plan they trade.
 *
 * @module
 */
import { join } from "node:path";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import {
  type ChainClient,
  connectChain,
  createMarketClient,
  createTxSender,
  type WriteMarketClient,
} from "../../src/chain/mod.ts";
import { createLogger, type Logger } from "../../src/agent/base/mod.ts";
import type { PlanConfig } from "../../src/agent/config/mod.ts";
import { type Devnet, startDevnet } from "../../src/agent/setup/mod.ts";
import { openState } from "../../src/agent/state/mod.ts";

/** A devnet, the agent's fresh key on it, a chain connection and the agent's state. */
export type MarketDevnet = {
  dir: string;
  devnet: Devnet;
  chain: ChainClient;
  account: PrivateKeyAccount;
  state: ReturnType<typeof openState>;
  /** A market client that sends as `privateKey` (the devnet's consumer, deployer...). */
  writer(privateKey: `0x${string}`): WriteMarketClient;
  /** Closes the state and the chain, stops the devnet, removes `dir`. */
  close(): Promise<void>;
};

/** Starts a devnet funding a fresh agent key, with its state in a temp dir named `prefix...`. */
export async function startMarketDevnet(prefix: string): Promise<MarketDevnet> {
  const dir = await Deno.makeTempDir({ prefix });
  const quiet = createLogger({ level: "error", write: () => {} });
  const account = privateKeyToAccount(generatePrivateKey());
  const devnet = await startDevnet({ logger: quiet, fund: [account.address] });
  const chain = await connectChain({ url: devnet.rpcUrl, chainId: devnet.chainId });
  const state = openState({ path: join(dir, "agent.sqlite") });
  return {
    dir,
    devnet,
    chain,
    account,
    state,
    writer: (privateKey) =>
      createMarketClient(chain, {
        addresses: devnet.contracts,
        sender: createTxSender(chain, { account: privateKeyToAccount(privateKey) }),
      }) as WriteMarketClient,
    async close() {
      state.close();
      await chain.close();
      await devnet.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** A debug JSON logger whose lines are kept, parsed, in `logs`. */
export function collectingLogger(): { logs: Record<string, unknown>[]; logger: Logger } {
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: "debug",
    format: "json",
    write: (line) => logs.push(JSON.parse(line)),
  });
  return { logs, logger };
}

/** A spot plan of one CPU core and 1 GiB of RAM, no GPU, no network; `fields` override. */
export function spotCpuPlan(fields: Partial<PlanConfig> & Pick<PlanConfig, "name">): PlanConfig {
  return {
    priceUsdPerHour: "0.30",
    duration: "spot",
    resources: {
      cpuCores: 1,
      ramBytes: 2 ** 30,
      storageBytes: 0,
      gpus: [],
      net: { overlay: false, outbound: false, incoming: false },
    },
    identityLevel: 0,
    counterparty: undefined,
    blacklist: undefined,
    tag: "",
    ...fields,
  };
}
