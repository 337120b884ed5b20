import type { Address } from "viem";
import { tokenAbi } from "./contracts.ts";
import { readContract } from "./_market.ts";
import type { MarketClient } from "./create_market_client.ts";
import type { ChainRevertError, ChainRpcError } from "./errors.ts";

/** Parameters of {@linkcode tokenBalance}. */
export type TokenBalanceParameters = {
  who: Address;
  /** Read the state at this block (default: latest). */
  blockNumber?: bigint | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode tokenBalance} returns. */
export type TokenBalanceReturnType = { balance: bigint; allowance: bigint };

/** Errors of {@linkcode tokenBalance}. */
export type TokenBalanceErrorType = ChainRevertError | ChainRpcError;

/**
 * The token balance of `who` and what the market may pull from it (allowance), in token wei.
 *
 * @example
 * ```ts ignore
 * const { balance, allowance } = await tokenBalance(market, { who: "0x..." });
 * ```
 */
export async function tokenBalance(
  client: MarketClient,
  params: TokenBalanceParameters,
): Promise<TokenBalanceReturnType> {
  const { blockNumber, signal } = params;
  const read = (functionName: string, args: readonly unknown[]) =>
    readContract<bigint>(client, {
      address: client.addresses.token,
      abi: tokenAbi,
      functionName,
      args,
      blockNumber,
      signal,
    });
  const [balance, allowance] = await Promise.all([
    read("balanceOf", [params.who]),
    read("allowance", [params.who, client.addresses.market]),
  ]);
  return { balance, allowance };
}
