import type { Address } from "viem";
import { readMarket } from "./_market.ts";
import type { MarketClient } from "./create_market_client.ts";
import type { ChainRevertErrorType, ChainRpcErrorType } from "./errors.ts";

/** Parameters of {@linkcode pendingMasterOf}. */
export type PendingMasterOfParameters = {
  worker: Address;
  /** Read the state at this block (default: latest). */
  blockNumber?: bigint | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode pendingMasterOf} returns. */
export type PendingMasterOfReturnType = Address;

/** Errors of {@linkcode pendingMasterOf}. */
export type PendingMasterOfErrorType = ChainRevertErrorType | ChainRpcErrorType;

/**
 * The master a worker asked to join and that has not confirmed yet (zero address when none).
 *
 * @example
 * ```ts ignore
 * const pending = await pendingMasterOf(market, { worker: "0x..." });
 * ```
 */
export async function pendingMasterOf(
  client: MarketClient,
  params: PendingMasterOfParameters,
): Promise<PendingMasterOfReturnType> {
  const { blockNumber, signal } = params;
  return await readMarket(client, "pendingMasterOf", [params.worker], {
    blockNumber,
    signal,
  });
}
