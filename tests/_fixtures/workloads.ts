/**
 * Test fixture of the deal -> task tests: a rig (keystore, config) on a
 * devnet, the real agent in-process, a consumer that trades and signs task
 * requests through src/chain and the task protocol, and cleanup of the
 * agent's Docker objects by label.
 *
 * @module
 */
import { type Account, createWalletClient, http, parseEventLogs } from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import type { Hardware } from "../../src/bench/mod.ts";
import {
  type ChainClient,
  createMarketClient,
  createTxSender,
  marketAbi,
  tokenAbi,
  type WriteMarketClient,
} from "../../src/chain/mod.ts";
import {
  type ActionArgs,
  dispatchTaskRequest,
  type RequestAction,
  type RequestEnvelope,
  signRequest,
} from "../../src/nat/mod.ts";
import type { AgentConfig } from "../../src/agent/config/mod.ts";
import type { Devnet } from "../../src/agent/setup/mod.ts";
import {
  type RunningAgent,
  startAgent as startRigAgent,
  type StartAgentOptions,
} from "./agent_rig.ts";

import { collectGarbage, type DockerClient } from "../../src/docker/mod.ts";

export { createRigKeystore, rpc, type RunningAgent, until, writeRigConfig } from "./agent_rig.ts";

/** Starts the real agent in-process (agent_rig.ts's) with this rig's hardware and id. */
export function startAgent(
  config: AgentConfig,
  options: StartAgentOptions & { hardware: Hardware; agentId: string },
): Promise<RunningAgent> {
  return startRigAgent(config, options.hardware, options);
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
