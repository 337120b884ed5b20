import type { TransactionReceipt } from "viem";
import type { WriteMarketClient } from "./create_market_client.ts";
import type {
  ChainErrorType,
  ChainRevertErrorType,
  ChainRpcErrorType,
  ChainTxTimeoutErrorType,
} from "./errors.ts";
import { eventField, marketEvents, writeMarket } from "./_market.ts";

/** Parameters of {@linkcode bill}. */
export type BillParameters = {
  dealId: bigint;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode bill} returns. */
export type BillReturnType = {
  /** Tokens paid to the deal's payee by this bill. */
  paidAmount: bigint;
  /** Whether the deal closed (ended, or the consumer could not pay). */
  closed: boolean;
  receipt: TransactionReceipt;
};

/** Errors of {@linkcode bill}. */
export type BillErrorType =
  | ChainRevertErrorType
  | ChainRpcErrorType
  | ChainTxTimeoutErrorType
  | ChainErrorType;

/**
 * Bills a deal: pays the elapsed time to the payee and locks the next period.
 *
 * @example
 * ```ts ignore
 * const { paidAmount, closed } = await bill(market, { dealId: 1n });
 * ```
 */
export async function bill(
  client: WriteMarketClient,
  params: BillParameters,
): Promise<BillReturnType> {
  const receipt = await writeMarket(client, "bill", [params.dealId], {
    refs: { dealId: params.dealId },
    signal: params.signal,
  });
  // every bill ends with the deal's state in a DealUpdated; closed when the bill ended the deal
  const closed = marketEvents(client, receipt, "DealUpdated").some((a) =>
    a.dealId === params.dealId && a.deal.status === 2
  );
  return { paidAmount: eventField(client, receipt, "Billed", "paidAmount"), closed, receipt };
}
