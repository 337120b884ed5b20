import type { ChangeRequestState } from "./types.ts";
import { type RawChangeRequest, readMarket, toChangeRequestState } from "./_market.ts";
import type { MarketClient } from "./create_market_client.ts";
import type { ChainRevertError, ChainRpcError } from "./errors.ts";

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
export type GetChangeRequestErrorType = ChainRevertError | ChainRpcError;

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
  const raw = await readMarket<RawChangeRequest>(
    client,
    "getChangeRequest",
    [params.changeRequestId],
    { blockNumber, signal },
  );
  return toChangeRequestState(params.changeRequestId, raw);
}
