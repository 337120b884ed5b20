import type { OrderState } from "./types.ts";
import { readMarket, toOrderState } from "./_market.ts";
import type { MarketClient } from "./create_market_client.ts";
import type { ChainRevertErrorType, ChainRpcErrorType } from "./errors.ts";

/** Parameters of {@linkcode getOrder}. */
export type GetOrderParameters = {
  orderId: bigint;
  /** Read the state at this block (default: latest). */
  blockNumber?: bigint | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode getOrder} returns. */
export type GetOrderReturnType = OrderState | undefined;

/** Errors of {@linkcode getOrder}. */
export type GetOrderErrorType = ChainRevertErrorType | ChainRpcErrorType;

/**
 * Reads an order (a `MarketOrder` plus the BID's lock and the deal id); undefined when there is no such order.
 *
 * @example
 * ```ts ignore
 * const order = await getOrder(market, { orderId: 1n });
 * ```
 */
export async function getOrder(
  client: MarketClient,
  params: GetOrderParameters,
): Promise<GetOrderReturnType> {
  const { blockNumber, signal } = params;
  const raw = await readMarket(client, "getOrder", [params.orderId], {
    blockNumber,
    signal,
  });
  return toOrderState(params.orderId, raw);
}
