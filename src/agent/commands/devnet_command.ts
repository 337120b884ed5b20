import { resolve } from "node:path";
import { formatEther, parseEther } from "viem";
import {
  advanceChainTime,
  type ChainClient,
  connectChain,
  formatTokenAmount,
  fundDevnetAccount,
  tokenBalance,
} from "../../chain/mod.ts";
import { AgentError } from "../../errors.ts";
import { loadClientConfig, readDevnetFile } from "../config/mod.ts";
import { openClientChain, type OpenClientChainOptions } from "./_client_chain.ts";

/** Where `devnet ...` finds the chain: a client's config, or a rig's data directory. */
export type DevnetTarget = { configPath: string } | { dataDir: string };

/** Options of {@linkcode runDevnetAdvance}. */
export type RunDevnetAdvanceOptions = {
  target: DevnetTarget;
  /** How far to move the chain's clock. */
  seconds: bigint;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode runDevnetAdvance} did. */
export type RunDevnetAdvanceReturnType = {
  rpcUrl: string;
  /** The block mined after the jump, and its time (ISO). */
  blockNumber: string;
  chainTime: string;
  advancedSeconds: string;
};

/**
 * `sonm-agent devnet advance --hours N`: moves a local devnet's clock ahead
 * and mines a block, so deals come due and the rig bills them (the agent
 * bills a deal once 10 minutes of chain time passed since its last bill).
 * Refuses anything but a devnet a local rig runs: a `client.yaml` whose chain
 * is an RPC, or a node that is not anvil.
 *
 * @throws {AgentError} (exit 2) when the chain is not a local devnet
 * @example
 * ```ts ignore
 * await runDevnetAdvance({ target: { configPath: "client.yaml" }, seconds: 7200n });
 * ```
 */
export async function runDevnetAdvance(
  options: RunDevnetAdvanceOptions,
): Promise<RunDevnetAdvanceReturnType> {
  const { signal } = options;
  const { chain, rpcUrl } = await openDevnet(options.target, "advance", signal);
  try {
    const { blockNumber, timestamp } = await advanceChainTime(chain, {
      seconds: options.seconds,
      signal,
    });
    return {
      rpcUrl,
      blockNumber: blockNumber.toString(),
      chainTime: new Date(Number(timestamp) * 1000).toISOString(),
      advancedSeconds: options.seconds.toString(),
    };
  } finally {
    await chain.close();
  }
}

/** Options of {@linkcode runDevnetFund}. */
export type RunDevnetFundOptions = OpenClientChainOptions & {
  /** The client's config: its keystore's address gets the funds. */
  configPath: string;
  /** Ether for gas. @default {"100"} */
  eth?: string | undefined;
};

/** What {@linkcode runDevnetFund} did. */
export type RunDevnetFundReturnType = {
  address: `0x${string}`;
  /** The address's ether now. */
  eth: string;
  /** The address's tokens now. */
  tokens: string;
};

/**
 * `sonm-agent devnet fund`: on a local devnet, gives the consumer of
 * `client.yaml` ether for gas and 1,000 test tokens (the devnet token's
 * faucet). Refuses a config whose chain is not a local devnet.
 *
 * @throws {AgentError} (exit 2) when the chain is not a local devnet
 * @example
 * ```ts ignore
 * await runDevnetFund({ configPath: "client.yaml" });
 * ```
 */
export async function runDevnetFund(
  options: RunDevnetFundOptions,
): Promise<RunDevnetFundReturnType> {
  const { signal } = options;
  // refuses before any key is unlocked when the chain is not a devnet
  const checked = await openDevnet({ configPath: options.configPath }, "fund", signal);
  await checked.chain.close();
  const session = await openClientChain(options.configPath, options);
  try {
    const writer = await session.writer();
    await fundDevnetAccount(writer, { ethWei: parseEther(options.eth ?? "100"), signal });
    const [{ balance }, eth] = await Promise.all([
      tokenBalance(session.market, { who: session.address, signal }),
      session.chain.public.getBalance({ address: session.address }),
    ]);
    return { address: session.address, eth: formatEther(eth), tokens: formatTokenAmount(balance) };
  } finally {
    await session.close();
  }
}

/** Connects to the devnet a target names, refusing a chain that is not one. */
async function openDevnet(
  target: DevnetTarget,
  verb: string,
  signal: AbortSignal | undefined,
): Promise<{ chain: ChainClient; rpcUrl: string }> {
  const refuse = (why: string) =>
    new AgentError(`Cannot run devnet ${verb}: ${why}`, {
      badInput: true,
      hints: [
        "devnet commands work only on the local chain of a rig started with chain: devnet",
      ],
    });
  let rpcUrl: string;
  let chainId: number;
  if ("dataDir" in target) {
    const devnet = await readDevnetFile(resolve(target.dataDir));
    if (devnet === undefined) {
      throw refuse(`"${resolve(target.dataDir)}" has no devnet.json: no devnet runs there`);
    }
    ({ rpcUrl, chainId } = devnet);
  } else {
    const config = await loadClientConfig(target.configPath);
    if (config.chain.devnet === undefined) {
      throw refuse(
        `"${config.file}" trades on ${config.chain.rpcUrl} (chain ${config.chain.chainId}), not on a local devnet`,
      );
    }
    ({ rpcUrl, chainId } = config.chain);
  }
  const chain = await connectChain({ url: rpcUrl, chainId, signal });
  const version = String(
    await chain.public.request({ method: "web3_clientVersion" as never }).catch(() => ""),
  );
  if (!/^anvil\b/i.test(version)) {
    await chain.close();
    throw refuse(`the node at ${rpcUrl} is "${version || "unknown"}", not the devnet's anvil`);
  }
  return { chain, rpcUrl };
}
