import type { Address } from "viem";
import { readMarket } from "./_market.ts";
import type { MarketClient } from "./create_market_client.ts";
import type { ChainRevertErrorType, ChainRpcErrorType } from "./errors.ts";

/** Parameters of {@linkcode masterOf}. */
export type MasterOfParameters = {
  who: Address;
  /** Read the state at this block (default: latest). */
  blockNumber?: bigint | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode masterOf} returns. */
export type MasterOfReturnType = Address;

/** Errors of {@linkcode masterOf}. */
export type MasterOfErrorType = ChainRevertErrorType | ChainRpcErrorType;

/**
 * The confirmed master of `who`, or `who` itself.
 *
 * @example
 * ```ts ignore
 * const master = await masterOf(market, { who: "0x..." });
 * ```
 */
export async function masterOf(
  client: MarketClient,
  params: MasterOfParameters,
): Promise<MasterOfReturnType> {
  const { blockNumber, signal } = params;
  return await readMarket(client, "masterOf", [params.who], { blockNumber, signal });
}
