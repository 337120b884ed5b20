import type { TransactionReceipt } from "viem";
import type { WriteMarketClient } from "./create_market_client.ts";
import type {
  ChainErrorType,
  ChainRevertErrorType,
  ChainRpcErrorType,
  ChainTxTimeoutErrorType,
} from "./errors.ts";
import { writeMarket } from "./_market.ts";

/** Parameters of {@linkcode cancelChangeRequest}. */
export type CancelChangeRequestParameters = {
  changeRequestId: bigint;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode cancelChangeRequest} returns. */
export type CancelChangeRequestReturnType = { receipt: TransactionReceipt };

/** Errors of {@linkcode cancelChangeRequest}. */
export type CancelChangeRequestErrorType =
  | ChainRevertErrorType
  | ChainRpcErrorType
  | ChainTxTimeoutErrorType
  | ChainErrorType;

/**
 * Withdraws (its author) or rejects (the other side) a pending change request.
 *
 * @throws {ChainRevertError} when the contract refuses (decoded custom error, with the ids)
 *
 * @example
 * ```ts ignore
 * await cancelChangeRequest(market, { changeRequestId: 2n });
 * ```
 */
export async function cancelChangeRequest(
  client: WriteMarketClient,
  params: CancelChangeRequestParameters,
): Promise<CancelChangeRequestReturnType> {
  const receipt = await writeMarket(client, "cancelChangeRequest", [params.changeRequestId], {
    refs: { changeRequestId: params.changeRequestId },
    signal: params.signal,
  });
  return { receipt };
}
