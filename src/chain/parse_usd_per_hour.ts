import { ChainInputError } from "./errors.ts";
import { divide, parseDecimal, type Rounding } from "./_decimal.ts";
import { SECONDS_PER_HOUR, WAD } from "./constants.ts";

/** Options of {@linkcode parseUsdPerHour}. */
export type ParseUsdPerHourOptions = {
  /**
   * How to round when the hourly price does not divide evenly into seconds.
   * Default `"floor"`: the per-second price never exceeds what was written,
   * so an hour costs at most the written amount (and at most 3600 wei less).
   */
  rounding?: Rounding | undefined;
  /** Field name used in the error message (default `"price"`). */
  field?: string | undefined;
};

/**
 * Parses a price written by a person as USD per hour ("0.25") into the
 * market's unit, USD x 1e18 per second, exactly (no floats): the text is
 * read as a rational `digits / 10^scale`, multiplied by 1e18 and divided by
 * 3600 once, rounded by `rounding` (default floor).
 *
 * @param text a non-negative decimal, at most 18 fraction digits
 * @returns the price in USD x 1e18 per second
 * @throws {ChainInputError} when the text is not a non-negative decimal
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseUsdPerHour } from "./parse_usd_per_hour.ts";
 * assert.equal(parseUsdPerHour("3.6"), 1_000_000_000_000_000n);
 * assert.equal(parseUsdPerHour("0.25"), 69_444_444_444_444n);
 * ```
 */
export function parseUsdPerHour(text: string, options: ParseUsdPerHourOptions = {}): bigint {
  const { rounding = "floor", field = "price" } = options;
  const d = parseDecimal(text);
  if (d === undefined || d.scale > 18) {
    throw new ChainInputError({
      action: "parse USD/h price",
      field,
      value: text,
      detail: "must be a non-negative decimal with at most 18 fraction digits",
    });
  }
  return divide(d.digits * WAD, 10n ** BigInt(d.scale) * SECONDS_PER_HOUR, rounding);
}
