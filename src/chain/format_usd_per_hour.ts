import { formatFixed } from "./_decimal.ts";
import { SECONDS_PER_HOUR } from "./constants.ts";

/** Options of {@linkcode formatUsdPerHour}. */
export type FormatUsdPerHourOptions = {
  /** Fraction digits to keep, rounded half up, trailing zeros trimmed (default 6). */
  maxFraction?: number | undefined;
};

/**
 * Formats a price in USD x 1e18 per second as USD per hour for people.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatUsdPerHour } from "./format_usd_per_hour.ts";
 * assert.equal(formatUsdPerHour(69_444_444_444_444n), "0.25");
 * ```
 */
export function formatUsdPerHour(
  pricePerSecond: bigint,
  options: FormatUsdPerHourOptions = {},
): string {
  const { maxFraction = 6 } = options;
  return formatFixed(pricePerSecond * SECONDS_PER_HOUR, 18, maxFraction);
}
