/**
 * The bounds an order must respect, as data. The Market contract enforces the
 * same bounds at placeOrder, so an order the matcher accepts is an order the
 * contract accepts, and no arithmetic on it can overflow.
 *
 * @module
 */

/** 2^63: every benchmark value must be below it (the contract rejects larger values). */
export const BENCHMARK_LIMIT: bigint = 1n << 63n;

/** 2^85: the order book stores prices as a 53-bit high part and a 32-bit low part. */
export const PRICE_LIMIT: bigint = 1n << 85n;

/** The matcher's bounds of an order. */
export type OrderLimits = {
  /** Most benchmarks an order may carry (the market knows 13, 2 are reserved). */
  readonly maxBenchmarks: number;
  /** Most netflags an order may carry (overlay, outbound, incoming). */
  readonly maxNetflags: number;
  /** Largest price per second (USD x 1e18), inclusive. */
  readonly maxPrice: bigint;
  /** Largest duration in seconds, inclusive. */
  readonly maxDuration: bigint;
};

/** The defaults, equal to the Market contract's constants (contracts/INTERFACE.md). */
export const DEFAULT_ORDER_LIMITS: OrderLimits = Object.freeze({
  maxBenchmarks: 15,
  maxNetflags: 3,
  maxPrice: 1n << 80n, // Market.MAX_PRICE
  maxDuration: 315_360_000n, // Market.MAX_DURATION: ten years
});
