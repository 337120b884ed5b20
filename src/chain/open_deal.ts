import type { TransactionReceipt } from "viem";
import type { WriteMarketClient } from "./create_market_client.ts";
import type {
  ChainErrorType,
  ChainRevertErrorType,
  ChainRpcErrorType,
  ChainTxTimeoutErrorType,
} from "./errors.ts";
import { eventField, writeMarket } from "./_market.ts";

/** Parameters of {@linkcode openDeal}. */
export type OpenDealParameters = {
  askId: bigint;
  bidId: bigint;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode openDeal} returns. */
export type OpenDealReturnType = { dealId: bigint; receipt: TransactionReceipt };

/** Errors of {@linkcode openDeal}. */
export type OpenDealErrorType =
  | ChainRevertErrorType
  | ChainRpcErrorType
  | ChainTxTimeoutErrorType
  | ChainErrorType;

/**
 * Opens a deal between a standing ASK and BID and returns the deal id (from
 * the `DealOpened` log). When a market rule fails, the contract's custom
 * error (`PriceTooHigh`, `Blacklisted`, ...) comes back decoded in a
 * {@linkcode ChainRevertError} carrying both order ids.
 *
 * @example
 * ```ts ignore
 * const { dealId } = await openDeal(market, { askId: 1n, bidId: 2n });
 * ```
 */
export async function openDeal(
  client: WriteMarketClient,
  params: OpenDealParameters,
): Promise<OpenDealReturnType> {
  const { askId, bidId, signal } = params;
  // refs name the ASK as "order"; the BID's id is in the decoded error's args when it failed
  const receipt = await writeMarket(client, "openDeal", [askId, bidId], {
    refs: { orderId: askId },
    signal,
  });
  return { dealId: eventField(client, receipt, "DealOpened", "dealId"), receipt };
}
