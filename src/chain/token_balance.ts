import type { Address } from "viem";
import { tokenAbi } from "./contracts.ts";
import { readContract } from "./_market.ts";
import type { MarketClient } from "./create_market_client.ts";
import type { ChainRevertErrorType, ChainRpcErrorType } from "./errors.ts";

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
export type TokenBalanceErrorType = ChainRevertErrorType | ChainRpcErrorType;

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
  const at = blockNumber === undefined ? {} : { blockNumber };
  const address = client.addresses.token;
  const [balance, allowance] = await Promise.all([
    readContract(client, {
      call: { address, abi: tokenAbi, functionName: "balanceOf", args: [params.who], ...at },
      signal,
    }),
    readContract(client, {
      call: {
        address,
        abi: tokenAbi,
        functionName: "allowance",
        args: [params.who, client.addresses.market],
        ...at,
      },
      signal,
    }),
  ]);
  return { balance, allowance };
}
