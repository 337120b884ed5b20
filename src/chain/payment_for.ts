import { WAD } from "./constants.ts";

/** Parameters of {@linkcode paymentFor}. */
export type PaymentForParameters = {
  /** Deal price, USD x 1e18 per second. */
  price: bigint;
  /** Billed seconds. */
  seconds: bigint;
  /** Oracle rate: tokens (x 1e18) per USD (x 1e18), i.e. token wei per 1e18 USD units. */
  rate: bigint;
};

/**
 * The token amount a deal pays for `seconds` at `price` and oracle `rate`,
 * computed exactly as the Market contract does: `price * seconds * rate / 1e18`
 * (one multiplication chain, one truncating division at the end).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { paymentFor } from "./payment_for.ts";
 * // 1 USD/s for an hour at 2 tokens per USD = 7200 tokens
 * const wad = 10n ** 18n;
 * assert.equal(paymentFor({ price: wad, seconds: 3600n, rate: 2n * wad }), 7200n * wad);
 * ```
 */
export function paymentFor({ price, seconds, rate }: PaymentForParameters): bigint {
  return price * seconds * rate / WAD;
}
