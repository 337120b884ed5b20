import { ChainInputError } from "./errors.ts";
import { parseDecimal } from "./_decimal.ts";
import { TOKEN_DECIMALS } from "./constants.ts";

/** Options of {@linkcode parseTokenAmount}. */
export type ParseTokenAmountOptions = {
  /** Field name used in the error message (default `"amount"`). */
  field?: string | undefined;
};

/**
 * Parses a token amount ("1.5") into its smallest unit (18 decimals), exactly.
 *
 * @throws {ChainInputError} when the text is not a non-negative decimal with at most 18 fraction digits
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTokenAmount } from "./parse_token_amount.ts";
 * assert.equal(parseTokenAmount("1.5"), 1_500_000_000_000_000_000n);
 * ```
 */
export function parseTokenAmount(text: string, options: ParseTokenAmountOptions = {}): bigint {
  const d = parseDecimal(text);
  if (d === undefined || d.scale > TOKEN_DECIMALS) {
    throw new ChainInputError({
      action: "parse token amount",
      field: options.field ?? "amount",
      value: text,
      detail: `must be a non-negative decimal with at most ${TOKEN_DECIMALS} fraction digits`,
    });
  }
  return d.digits * 10n ** BigInt(TOKEN_DECIMALS - d.scale);
}
