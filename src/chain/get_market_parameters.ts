import { marketAbi } from "./contracts.ts";
import type { MarketClient } from "./create_market_client.ts";
import type { ChainRevertError, ChainRpcError } from "./errors.ts";
import { readContract } from "./_market.ts";

/** Parameters of {@linkcode getMarketParameters}. */
export type GetMarketParametersParameters = { signal?: AbortSignal | undefined };

/** What {@linkcode getMarketParameters} returns: the Market's fixed sizes. */
export type GetMarketParametersReturnType = {
  /** How many benchmark values an order may carry. */
  benchmarksQuantity: number;
  /** How many netflags an order may carry. */
  netflagsQuantity: number;
};

/** Errors of {@linkcode getMarketParameters}. */
export type GetMarketParametersErrorType = ChainRevertError | ChainRpcError;

/**
 * Reads the Market contract's parameters (set at deployment), with retries
 * and decoded reverts (a wrong market address reverts or returns nothing).
 *
 * @example
 * ```ts ignore
 * import assert from "node:assert/strict";
 * const { benchmarksQuantity } = await getMarketParameters(market, {});
 * assert.ok(benchmarksQuantity > 0);
 * ```
 */
export async function getMarketParameters(
  client: MarketClient,
  params: GetMarketParametersParameters = {},
): Promise<GetMarketParametersReturnType> {
  const { signal } = params;
  const read = (functionName: "benchmarksQuantity" | "netflagsQuantity") =>
    readContract<bigint>(client, {
      address: client.addresses.market,
      abi: marketAbi,
      functionName,
      args: [],
      signal,
    });
  const [benchmarks, netflags] = await Promise.all([
    read("benchmarksQuantity"),
    read("netflagsQuantity"),
  ]);
  return { benchmarksQuantity: Number(benchmarks), netflagsQuantity: Number(netflags) };
}
