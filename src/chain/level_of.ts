import type { Address } from "viem";
import { profileRegistryAbi } from "./contracts.ts";
import { readContract } from "./_market.ts";
import type { IdentityLevel } from "../matcher/mod.ts";
import type { MarketClient } from "./create_market_client.ts";
import type { ChainRevertErrorType, ChainRpcErrorType } from "./errors.ts";

/** Parameters of {@linkcode levelOf}. */
export type LevelOfParameters = {
  who: Address;
  /** Read the state at this block (default: latest). */
  blockNumber?: bigint | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode levelOf} returns. */
export type LevelOfReturnType = IdentityLevel;

/** Errors of {@linkcode levelOf}. */
export type LevelOfErrorType = ChainRevertErrorType | ChainRpcErrorType;

/**
 * The identity level of `who` in the profile registry (0-3).
 *
 * @example
 * ```ts ignore
 * const level = await levelOf(market, { who: "0x..." });
 * ```
 */
export async function levelOf(
  client: MarketClient,
  params: LevelOfParameters,
): Promise<LevelOfReturnType> {
  const { blockNumber, signal } = params;
  const level = await readContract(client, {
    call: {
      address: client.addresses.profiles,
      abi: profileRegistryAbi,
      functionName: "levelOf",
      args: [params.who],
      ...(blockNumber === undefined ? {} : { blockNumber }),
    },
    signal,
  });
  return level as IdentityLevel;
}
