import { formatFixed } from "./_decimal.ts";
import { TOKEN_DECIMALS } from "./constants.ts";

/** Options of {@linkcode formatTokenAmount}. */
export type FormatTokenAmountOptions = {
  /** Fraction digits to keep, rounded half up, trailing zeros trimmed (default 18: exact). */
  maxFraction?: number | undefined;
};

/**
 * Formats a token amount in its smallest unit (18 decimals) as decimal text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatTokenAmount } from "./format_token_amount.ts";
 * assert.equal(formatTokenAmount(1_500_000_000_000_000_000n), "1.5");
 * assert.equal(formatTokenAmount(1n), "0.000000000000000001");
 * ```
 */
export function formatTokenAmount(
  amount: bigint,
  options: FormatTokenAmountOptions = {},
): string {
  return formatFixed(amount, TOKEN_DECIMALS, options.maxFraction ?? TOKEN_DECIMALS);
}
