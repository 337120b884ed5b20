import type { TransactionReceipt } from "viem";
import type { WriteMarketClient } from "./create_market_client.ts";
import type {
  ChainErrorType,
  ChainRevertErrorType,
  ChainRpcErrorType,
  ChainTxTimeoutErrorType,
} from "./errors.ts";
import { eventField, marketEvents, writeMarket } from "./_market.ts";

/** Parameters of {@linkcode createChangeRequest}. */
export type CreateChangeRequestParameters = {
  dealId: bigint;
  /** USD x 1e18 per second. */
  newPrice: bigint;
  /** Seconds (0 for a spot deal). */
  newDuration: bigint;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode createChangeRequest} returns. */
export type CreateChangeRequestReturnType = {
  changeRequestId: bigint;
  /** Whether the other side had proposed the same and the deal changed at once. */
  applied: boolean;
  receipt: TransactionReceipt;
};

/** Errors of {@linkcode createChangeRequest}. */
export type CreateChangeRequestErrorType =
  | ChainRevertErrorType
  | ChainRpcErrorType
  | ChainTxTimeoutErrorType
  | ChainErrorType;

/**
 * Proposes a new price and duration for a deal; when the other side's
 * pending request has the same values, the change applies at once.
 *
 * @example
 * ```ts ignore
 * const { changeRequestId, applied } = await createChangeRequest(market, {
 *   dealId: 1n, newPrice: 10n ** 12n, newDuration: 7200n,
 * });
 * ```
 */
export async function createChangeRequest(
  client: WriteMarketClient,
  params: CreateChangeRequestParameters,
): Promise<CreateChangeRequestReturnType> {
  const { dealId, newPrice, newDuration, signal } = params;
  const receipt = await writeMarket(client, "createChangeRequest", [
    dealId,
    newPrice,
    newDuration,
  ], { refs: { dealId }, signal });
  const changeRequestId = eventField(client, receipt, "DealChangeRequestSet", "changeRequestId");
  const applied = marketEvents(client, receipt, "DealChangeRequestUpdated").some((a) =>
    a.changeRequestId === changeRequestId
  );
  return { changeRequestId, applied, receipt };
}
