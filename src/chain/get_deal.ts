import type { DealState } from "./types.ts";
import { readMarket, toDealState } from "./_market.ts";
import type { MarketClient } from "./create_market_client.ts";
import type { ChainRevertErrorType, ChainRpcErrorType } from "./errors.ts";

/** Parameters of {@linkcode getDeal}. */
export type GetDealParameters = {
  dealId: bigint;
  /** Read the state at this block (default: latest). */
  blockNumber?: bigint | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode getDeal} returns. */
export type GetDealReturnType = DealState | undefined;

/** Errors of {@linkcode getDeal}. */
export type GetDealErrorType = ChainRevertErrorType | ChainRpcErrorType;

/**
 * Reads a deal; undefined when there is no such deal.
 *
 * @example
 * ```ts ignore
 * const deal = await getDeal(market, { dealId: 1n });
 * ```
 */
export async function getDeal(
  client: MarketClient,
  params: GetDealParameters,
): Promise<GetDealReturnType> {
  const { blockNumber, signal } = params;
  const raw = await readMarket(client, "getDeal", [params.dealId], {
    blockNumber,
    signal,
  });
  return toDealState(params.dealId, raw);
}
