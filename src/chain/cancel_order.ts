import type { TransactionReceipt } from "viem";
import type { WriteMarketClient } from "./create_market_client.ts";
import type {
  ChainErrorType,
  ChainRevertErrorType,
  ChainRpcErrorType,
  ChainTxTimeoutErrorType,
} from "./errors.ts";
import { writeMarket } from "./_market.ts";

/** Parameters of {@linkcode cancelOrder}. */
export type CancelOrderParameters = {
  orderId: bigint;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode cancelOrder} returns. */
export type CancelOrderReturnType = { receipt: TransactionReceipt };

/** Errors of {@linkcode cancelOrder}. */
export type CancelOrderErrorType =
  | ChainRevertErrorType
  | ChainRpcErrorType
  | ChainTxTimeoutErrorType
  | ChainErrorType;

/**
 * Cancels one of the caller's standing orders (a BID gets its lock back).
 *
 * @throws {ChainRevertError} when the contract refuses (decoded custom error, with the ids)
 *
 * @example
 * ```ts ignore
 * await cancelOrder(market, { orderId: 7n });
 * ```
 */
export async function cancelOrder(
  client: WriteMarketClient,
  params: CancelOrderParameters,
): Promise<CancelOrderReturnType> {
  const receipt = await writeMarket(client, "cancelOrder", [params.orderId], {
    refs: { orderId: params.orderId },
    signal: params.signal,
  });
  return { receipt };
}
