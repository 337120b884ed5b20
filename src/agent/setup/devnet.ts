import { errorText } from "../../internal/mod.ts";
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  maxUint256,
  parseEther,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { deployContracts, type MarketAddresses, startAnvil, tokenAbi } from "../../chain/mod.ts";
import { DevnetError, type Logger } from "../base/mod.ts";

/** Options of {@linkcode startDevnet}. */
export type StartDevnetOptions = {
  logger: Logger;
  /** Addresses to fund with ETH and tokens (the agent's own). */
  fund: readonly `0x${string}`[];
  /** JSON-RPC port; 0 picks a free one. @default {0} */
  port?: number | undefined;
  /**
   * Run anvil as an ordinary full node: only the last `keepStates` states
   * (`--prune-history`), every block's logs kept. For tests that the agent
   * needs no archive node. @default {undefined: every state kept}
   */
  keepStates?: number | undefined;
  signal?: AbortSignal | undefined;
};

/** A running local chain with the market deployed. */
export type Devnet = {
  rpcUrl: string;
  chainId: number;
  contracts: MarketAddresses;
  /** The funded demo consumer (anvil's account #1): its key is public, devnet only. */
  consumer: { address: `0x${string}`; privateKey: `0x${string}` };
  /** The deployer (anvil's account #0): owns the token, oracle and registries. */
  deployer: { address: `0x${string}`; privateKey: `0x${string}` };
  stop(): Promise<void>;
};

/**
 * Anvil's chain, defined here rather than imported from `viem/chains`: that
 * module evaluates every chain viem knows (about 45 MiB of the agent's RSS).
 */
const foundry = defineChain({
  id: 31_337,
  name: "Foundry",
  nativeCurrency: { decimals: 18, name: "Ether", symbol: "ETH" },
  rpcUrls: { default: { http: ["http://127.0.0.1:8545"] } },
});

const TOKENS_EACH = parseEther("100000");
const ETH_EACH = parseEther("1000");

/**
 * Starts anvil, deploys the market contracts, and funds the demo consumer and
 * the given addresses with ETH and tokens (the consumer also approves the
 * market). This is what `chain: devnet` runs, so a newcomer sees a market.
 *
 * @throws {DevnetError} when anvil does not start or a deployment fails
 * @example
 * ```ts ignore
 * const devnet = await startDevnet({ logger, fund: [agentAddress] });
 * await devnet.stop();
 * ```
 */
export async function startDevnet(options: StartDevnetOptions): Promise<Devnet> {
  const { logger, fund, port = 0, signal, keepStates } = options;
  const pruned = keepStates === undefined
    ? {}
    : { pruneHistory: true, keepStates, pruneTransactions: false };
  const anvil = await startAnvil({ port, signal, ...pruned }).catch((cause: unknown) => {
    throw new DevnetError(`Cannot start devnet: anvil did not start: ${String(cause)}`, {
      cause,
      hints: ["Run `npm install` in the sonm-agent folder: it installs anvil"],
    });
  });
  try {
    const [deployerKey, consumerKey] = [anvil.accounts[0], anvil.accounts[1]];
    if (deployerKey === undefined || consumerKey === undefined) {
      throw new DevnetError("Cannot start devnet: anvil has fewer than 2 accounts");
    }
    const transport = http(anvil.rpcUrl);
    const publicClient = createPublicClient({ chain: foundry, transport });
    const deployer = createWalletClient({
      chain: foundry,
      transport,
      account: privateKeyToAccount(deployerKey.privateKey),
    });
    const contracts = await deployContracts(deployer);
    for (const address of [consumerKey.address, ...fund]) {
      await publicClient.request({
        method: "anvil_setBalance" as never,
        params: [address, `0x${ETH_EACH.toString(16)}`] as never,
      });
      const hash = await deployer.writeContract({
        address: contracts.token,
        abi: tokenAbi,
        functionName: "mint",
        args: [address, TOKENS_EACH],
      });
      await publicClient.waitForTransactionReceipt({ hash });
    }
    const consumer = createWalletClient({
      chain: foundry,
      transport,
      account: privateKeyToAccount(consumerKey.privateKey),
    });
    const approval = await consumer.writeContract({
      address: contracts.token,
      abi: tokenAbi,
      functionName: "approve",
      args: [contracts.market, maxUint256],
    });
    await publicClient.waitForTransactionReceipt({ hash: approval });
    logger.info("devnet is up", {
      rpc: anvil.rpcUrl,
      chainId: foundry.id,
      ...contracts,
      consumer: consumerKey.address,
      funded: fund,
    });
    return {
      rpcUrl: anvil.rpcUrl,
      chainId: foundry.id,
      contracts,
      consumer: { address: consumerKey.address, privateKey: consumerKey.privateKey },
      deployer: { address: deployerKey.address, privateKey: deployerKey.privateKey },
      stop: () => anvil.stop(),
    };
  } catch (error) {
    await anvil.stop();
    if (error instanceof DevnetError) throw error;
    throw new DevnetError(`Cannot start devnet: ${errorText(error, { firstLine: true })}`, {
      cause: error,
    });
  }
}
