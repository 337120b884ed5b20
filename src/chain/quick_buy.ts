import type { TransactionReceipt } from "viem";
import type { WriteMarketClient } from "./create_market_client.ts";
import type {
  ChainErrorType,
  ChainRevertErrorType,
  ChainRpcErrorType,
  ChainTxTimeoutErrorType,
} from "./errors.ts";
import { eventField, writeMarket } from "./_market.ts";

/** Parameters of {@linkcode quickBuy}. */
export type QuickBuyParameters = {
  askId: bigint;
  /** Seconds the BID asks for; 0 = spot. */
  duration: bigint;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode quickBuy} returns. */
export type QuickBuyReturnType = { dealId: bigint; bidId: bigint; receipt: TransactionReceipt };

/** Errors of {@linkcode quickBuy}. */
export type QuickBuyErrorType =
  | ChainRevertErrorType
  | ChainRpcErrorType
  | ChainTxTimeoutErrorType
  | ChainErrorType;

/**
 * Places a BID that copies an ASK and opens the deal in one transaction.
 *
 * @example
 * ```ts ignore
 * const { dealId } = await quickBuy(market, { askId: 1n, duration: 3600n });
 * ```
 */
export async function quickBuy(
  client: WriteMarketClient,
  params: QuickBuyParameters,
): Promise<QuickBuyReturnType> {
  const receipt = await writeMarket(client, "quickBuy", [params.askId, params.duration], {
    refs: { orderId: params.askId },
    signal: params.signal,
  });
  return {
    dealId: eventField(client, receipt, "DealOpened", "dealId"),
    bidId: eventField(client, receipt, "OrderPlaced", "orderId"),
    receipt,
  };
}
