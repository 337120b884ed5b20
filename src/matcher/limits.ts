/**
 * The bounds an order must respect, as data. The Market contract enforces the
 * same bounds at placeOrder, so an order the matcher accepts is an order the
 * contract accepts, and no arithmetic on it can overflow.
 *
 * @module
 */

/** 2^63: every benchmark value must be below it (the contract rejects larger values). */
export const BENCHMARK_LIMIT: bigint = 1n << 63n;

/** 2^64: prices are stored as unsigned 64-bit integers, so they must be below it. */
export const PRICE_LIMIT: bigint = 1n << 64n;

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

/** The defaults, equal to the Market contract's constants. */
export const DEFAULT_ORDER_LIMITS: OrderLimits = Object.freeze({
  maxBenchmarks: 15,
  maxNetflags: 3,
  maxPrice: PRICE_LIMIT - 1n,
  maxDuration: (1n << 32n) - 1n,
});
