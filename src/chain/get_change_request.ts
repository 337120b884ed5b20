import type { ChangeRequestState } from "./types.ts";
import { readMarket, toChangeRequestState } from "./_market.ts";
import type { MarketClient } from "./create_market_client.ts";
import type { ChainRevertErrorType, ChainRpcErrorType } from "./errors.ts";

/** Parameters of {@linkcode getChangeRequest}. */
export type GetChangeRequestParameters = {
  changeRequestId: bigint;
  /** Read the state at this block (default: latest). */
  blockNumber?: bigint | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode getChangeRequest} returns. */
export type GetChangeRequestReturnType = ChangeRequestState | undefined;

/** Errors of {@linkcode getChangeRequest}. */
export type GetChangeRequestErrorType = ChainRevertErrorType | ChainRpcErrorType;

/**
 * Reads a change request; undefined when there is none.
 *
 * @example
 * ```ts ignore
 * const request = await getChangeRequest(market, { changeRequestId: 1n });
 * ```
 */
export async function getChangeRequest(
  client: MarketClient,
  params: GetChangeRequestParameters,
): Promise<GetChangeRequestReturnType> {
  const { blockNumber, signal } = params;
  const raw = await readMarket(
    client,
    "getChangeRequest",
    [params.changeRequestId],
    { blockNumber, signal },
  );
  return toChangeRequestState(params.changeRequestId, raw);
}
