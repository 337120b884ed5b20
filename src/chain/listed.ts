import type { Address } from "viem";
import { blacklistAbi } from "./contracts.ts";
import { readContract } from "./_market.ts";
import type { MarketClient } from "./create_market_client.ts";
import type { ChainRevertErrorType, ChainRpcErrorType } from "./errors.ts";

/** Parameters of {@linkcode listed}. */
export type ListedParameters = {
  owner: Address;
  who: Address;
  /** Read the state at this block (default: latest). */
  blockNumber?: bigint | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode listed} returns. */
export type ListedReturnType = boolean;

/** Errors of {@linkcode listed}. */
export type ListedErrorType = ChainRevertErrorType | ChainRpcErrorType;

/**
 * Whether `owner`'s blacklist lists `who`.
 *
 * @example
 * ```ts ignore
 * const isListed = await listed(market, { owner: "0x...", who: "0x..." });
 * ```
 */
export async function listed(
  client: MarketClient,
  params: ListedParameters,
): Promise<ListedReturnType> {
  const { blockNumber, signal } = params;
  return await readContract(client, {
    call: {
      address: client.addresses.blacklist,
      abi: blacklistAbi,
      functionName: "listed",
      args: [params.owner, params.who],
      ...(blockNumber === undefined ? {} : { blockNumber }),
    },
    signal,
  });
}
