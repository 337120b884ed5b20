/** How an `auto`-priced plan follows the market (the plan's `auto_price`). */
export type AutoPriceSettings = {
  /** Which quantile of the fitting BIDs' prices to aim at, in (0, 1]. */
  targetQuantile: number;
  /** Least time between two re-pricings, seconds. */
  minIntervalSeconds: number;
  /** Largest change of one re-pricing, percent of the current price. */
  maxStepPercent: number;
};

/** The defaults of `auto_price`: the median, every 10 minutes at most, 10 % a step. */
export const DEFAULT_AUTO_PRICE: AutoPriceSettings = {
  targetQuantile: 0.5,
  minIntervalSeconds: 600,
  maxStepPercent: 10,
};

/** What {@linkcode decideAutoPrice} decides from. */
export type AutoPriceInput = {
  /** The plan's price now (its standing ASK's), undefined before the first. */
  current: bigint | undefined;
  /** Wall-clock ms of the last change, undefined when none this run. */
  lastChangeAt: number | undefined;
  now: number;
  /** The power floor ({@linkcode powerFloor}): never price below it. */
  floor: bigint;
  /** Prices of the active BIDs the plan's ASK could serve (any order). */
  bidPrices: readonly bigint[];
  settings: AutoPriceSettings;
};

/** What {@linkcode decideAutoPrice} decides. */
export type AutoPriceDecision = {
  /** The price to stand at; undefined while there is nothing to price from. */
  price: bigint | undefined;
  changed: boolean;
  /** Why, for the log: "first price", "toward target", "step capped", ... */
  reason: string;
  /** The unclamped target (the quantile, at least the floor), when there are BIDs. */
  target: bigint | undefined;
  /** When the next change may come (wall ms), if the interval holds one back. */
  nextAllowedAt: number | undefined;
};

/**
 * The `q` quantile of `values` (nearest rank on the sorted values): 0.5 is
 * the median, 1 the highest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { priceQuantile } from "./auto_price.ts";
 * assert.equal(priceQuantile([5n, 1n, 3n, 2n, 4n], 0.5), 3n);
 * assert.equal(priceQuantile([5n, 1n, 3n], 1), 5n);
 * ```
 */
export function priceQuantile(values: readonly bigint[], q: number): bigint | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}

/**
 * Decides an `auto` plan's price. Pure. The target is the settings'
 * quantile of the fitting BIDs' prices, never below the power floor. The
 * first price goes straight to the target; later ones move toward it at
 * most `maxStepPercent` of the current price per change and at most once
 * per `minIntervalSeconds`, and never below the floor (a floor above the
 * current price is obeyed at once). With no fitting BID the price holds
 * (or, before the first, stays unset: nothing to learn a price from).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decideAutoPrice, DEFAULT_AUTO_PRICE } from "./auto_price.ts";
 * const d = decideAutoPrice({
 *   current: 100n, lastChangeAt: 0, now: 3_600_000, floor: 50n,
 *   bidPrices: [300n, 200n, 400n], settings: DEFAULT_AUTO_PRICE,
 * });
 * assert.deepEqual([d.price, d.changed, d.reason], [110n, true, "toward target, step capped"]);
 * ```
 */
export function decideAutoPrice(input: AutoPriceInput): AutoPriceDecision {
  const { current, lastChangeAt, now, floor, bidPrices, settings } = input;
  const quantile = priceQuantile(bidPrices, settings.targetQuantile);
  const target = quantile === undefined ? undefined : quantile > floor ? quantile : floor;
  const hold = (reason: string, nextAllowedAt?: number): AutoPriceDecision => ({
    price: current,
    changed: false,
    reason,
    target,
    nextAllowedAt,
  });
  if (current === undefined) {
    if (target === undefined) return hold("no fitting BID to price from");
    return {
      price: target,
      changed: true,
      reason: "first price",
      target,
      nextAllowedAt: undefined,
    };
  }
  if (current < floor) {
    return {
      price: floor,
      changed: true,
      reason: "below the power floor",
      target,
      nextAllowedAt: undefined,
    };
  }
  if (target === undefined) return hold("no fitting BID: holding");
  if (target === current) return hold("at target");
  const allowedAt = lastChangeAt === undefined
    ? now
    : lastChangeAt + settings.minIntervalSeconds * 1000;
  if (now < allowedAt) return hold("minimum interval", allowedAt);
  // the step in basis points of the current price, at least one unit
  const maxStep = current * BigInt(Math.round(settings.maxStepPercent * 100)) / 10_000n;
  const step = maxStep > 0n ? maxStep : 1n;
  let price = target;
  let reason = "toward target";
  if (target > current + step) {
    price = current + step;
    reason = "toward target, step capped";
  } else if (target < current - step) {
    price = current - step;
    reason = "toward target, step capped";
  }
  if (price < floor) {
    price = floor;
    reason = "toward target, held at the power floor";
  }
  return { price, changed: price !== current, reason, target, nextAllowedAt: undefined };
}
