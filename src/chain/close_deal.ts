import type { TransactionReceipt } from "viem";
import type { WriteMarketClient } from "./create_market_client.ts";
import type {
  ChainErrorType,
  ChainRevertErrorType,
  ChainRpcErrorType,
  ChainTxTimeoutErrorType,
} from "./errors.ts";
import { writeMarket } from "./_market.ts";

/** Parameters of {@linkcode closeDeal}. */
export type CloseDealParameters = {
  dealId: bigint;
  /** Add the other side to the caller's blacklist (default false). */
  blacklistOther?: boolean | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode closeDeal} returns. */
export type CloseDealReturnType = { receipt: TransactionReceipt };

/** Errors of {@linkcode closeDeal}. */
export type CloseDealErrorType =
  | ChainRevertErrorType
  | ChainRpcErrorType
  | ChainTxTimeoutErrorType
  | ChainErrorType;

/**
 * Closes a deal after a final bill: the consumer at any time, the supplier (or its master) after a forward deal's end or at any time for a spot deal.
 *
 * @throws {ChainRevertError} when the contract refuses (decoded custom error, with the ids)
 *
 * @example
 * ```ts ignore
 * await closeDeal(market, { dealId: 3n });
 * ```
 */
export async function closeDeal(
  client: WriteMarketClient,
  params: CloseDealParameters,
): Promise<CloseDealReturnType> {
  const receipt = await writeMarket(client, "closeDeal", [
    params.dealId,
    params.blacklistOther ?? false,
  ], {
    refs: { dealId: params.dealId },
    signal: params.signal,
  });
  return { receipt };
}
