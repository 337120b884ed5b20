import type { Address, TransactionReceipt } from "viem";
import { tokenAbi } from "./contracts.ts";
import type { WriteMarketClient } from "./create_market_client.ts";
import type { ChainErrorType, ChainRevertErrorType, ChainRpcErrorType } from "./errors.ts";
import { withRetry } from "./_retry.ts";

/** Parameters of {@linkcode fundDevnetAccount}. */
export type FundDevnetAccountParameters = {
  /** Ether (wei) the sender's account gets, to pay gas. */
  ethWei: bigint;
  /** How many times to call the token's faucet (1000 tokens each). @default {1} */
  faucetCalls?: number | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode fundDevnetAccount} returns. */
export type FundDevnetAccountReturnType = { address: Address; receipts: TransactionReceipt[] };

/** Errors of {@linkcode fundDevnetAccount}. */
export type FundDevnetAccountErrorType = ChainRevertErrorType | ChainRpcErrorType | ChainErrorType;

/**
 * On anvil only: gives the sender's account `ethWei` of ether
 * (`anvil_setBalance`) and then test tokens from the devnet token's
 * `faucet()`, which the account calls itself. A real node refuses the first.
 *
 * @example
 * ```ts ignore
 * await fundDevnetAccount(market, { ethWei: parseEther("100") });
 * ```
 */
export async function fundDevnetAccount(
  client: WriteMarketClient,
  params: FundDevnetAccountParameters,
): Promise<FundDevnetAccountReturnType> {
  const { ethWei, faucetCalls = 1, signal } = params;
  const address = client.sender.address;
  await withRetry(client.chain, {
    action: "call anvil_setBalance",
    signal,
    fn: () =>
      client.chain.public.request({
        method: "anvil_setBalance" as never,
        params: [address, `0x${ethWei.toString(16)}`] as never,
      }),
  });
  const receipts: TransactionReceipt[] = [];
  for (let i = 0; i < faucetCalls; i++) {
    receipts.push(
      await client.sender.writeContract({
        address: client.addresses.token,
        abi: tokenAbi,
        functionName: "faucet",
        args: [],
        signal,
      }),
    );
  }
  return { address, receipts };
}
