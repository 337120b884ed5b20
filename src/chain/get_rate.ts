import { oracleAbi } from "./contracts.ts";
import { readContract } from "./_market.ts";
import type { MarketClient } from "./create_market_client.ts";
import type { ChainRevertErrorType, ChainRpcErrorType } from "./errors.ts";

/** Parameters of {@linkcode getRate}. */
export type GetRateParameters = {
  /** Read the state at this block (default: latest). */
  blockNumber?: bigint | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode getRate} returns. */
export type GetRateReturnType = bigint;

/** Errors of {@linkcode getRate}. */
export type GetRateErrorType = ChainRevertErrorType | ChainRpcErrorType;

/**
 * The oracle rate: token wei per USD (prices are USD x 1e18 per second).
 *
 * @example
 * ```ts ignore
 * const rate = await getRate(market, {});
 * ```
 */
export async function getRate(
  client: MarketClient,
  params: GetRateParameters,
): Promise<GetRateReturnType> {
  const { blockNumber, signal } = params;
  return await readContract(client, {
    call: {
      address: client.addresses.oracle,
      abi: oracleAbi,
      functionName: "rate",
      ...(blockNumber === undefined ? {} : { blockNumber }),
    },
    signal,
  });
}
