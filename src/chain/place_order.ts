import { type Address, type Hex, type TransactionReceipt, zeroHash } from "viem";
import { ZERO_ADDRESS } from "../internal/mod.ts";
import type { WriteMarketClient } from "./create_market_client.ts";
import { MARKET_LIMITS } from "./contracts.ts";
import {
  type ChainErrorType,
  ChainInputError,
  type ChainInputErrorType,
  type ChainRevertErrorType,
  type ChainRpcErrorType,
  type ChainTxTimeoutErrorType,
} from "./errors.ts";
import { eventField, writeMarket } from "./_market.ts";
import type { IdentityLevel, OrderType } from "../matcher/mod.ts";

/** Parameters of {@linkcode placeOrder}. */
export type PlaceOrderParameters = {
  type: OrderType;
  /** Seconds; 0 = spot. */
  duration: bigint;
  /** USD x 1e18 per second (see parseUsdPerHour). */
  price: bigint;
  /** Master address of the only allowed other side (default: anyone). */
  counterparty?: Address | undefined;
  /** overlay, outbound, incoming (default none). */
  netflags?: readonly boolean[] | undefined;
  /** Level the other side must have (default 0). */
  identityLevel?: IdentityLevel | undefined;
  /** Owner of an extra blacklist that applies (default none). */
  blacklist?: Address | undefined;
  tag?: Hex | undefined;
  /** Benchmark values by id, each < 2^63. */
  benchmarks?: readonly bigint[] | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode placeOrder} returns. */
export type PlaceOrderReturnType = { orderId: bigint; receipt: TransactionReceipt };

/** Errors of {@linkcode placeOrder}. */
export type PlaceOrderErrorType =
  | ChainInputErrorType
  | ChainRevertErrorType
  | ChainRpcErrorType
  | ChainTxTimeoutErrorType
  | ChainErrorType;

/**
 * Places a BID or an ASK on the market and returns its id (from the
 * `OrderPlaced` log). A BID locks the payment for its first period: approve
 * the market for the token first.
 *
 * @throws {ChainInputError} when a value is out of the market's bounds
 * @throws {ChainRevertError} when the contract refuses (decoded custom error)
 *
 * @example
 * ```ts ignore
 * const { orderId } = await placeOrder(market, {
 *   type: "ASK", duration: 3600n, price: parseUsdPerHour("0.25"), benchmarks: [100n, 10n],
 * });
 * ```
 */
export async function placeOrder(
  client: WriteMarketClient,
  params: PlaceOrderParameters,
): Promise<PlaceOrderReturnType> {
  const {
    type,
    duration,
    price,
    counterparty = ZERO_ADDRESS,
    netflags = [],
    identityLevel = 0,
    blacklist = ZERO_ADDRESS,
    tag = zeroHash,
    benchmarks = [],
    signal,
  } = params;
  const bad = (field: string, value: unknown, detail: string) =>
    new ChainInputError({ action: `place ${type}`, field, value, detail });
  if (price < 0n || price > MARKET_LIMITS.maxPrice) {
    throw bad("price", price, `must be within 0 and ${MARKET_LIMITS.maxPrice}`);
  }
  if (duration < 0n || duration > MARKET_LIMITS.maxDuration) {
    throw bad("duration", duration, `must be within 0 and ${MARKET_LIMITS.maxDuration}`);
  }
  benchmarks.forEach((b, i) => {
    if (b < 0n || b >= MARKET_LIMITS.benchmarkLimit) {
      throw bad(`benchmarks[${i}]`, b, "must be at least 0 and below 2^63");
    }
  });
  const receipt = await writeMarket(client, "placeOrder", [
    type === "BID" ? 1 : 2,
    counterparty,
    duration,
    price,
    netflags,
    identityLevel,
    blacklist,
    tag,
    benchmarks,
  ], { signal });
  return { orderId: eventField(client, receipt, "OrderPlaced", "orderId"), receipt };
}
