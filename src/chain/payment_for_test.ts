import assert from "node:assert/strict";
import { paymentFor } from "./payment_for.ts";
import { parseUsdPerHour } from "./parse_usd_per_hour.ts";

const WAD = 10n ** 18n;

Deno.test("paymentFor() multiplies before it divides, like the contract", () => {
  assert.equal(paymentFor({ price: WAD, seconds: 3600n, rate: 2n * WAD }), 7200n * WAD);
  // 1 wei/s for 1 s at half a token per USD: 0.5 wei truncates to 0
  assert.equal(paymentFor({ price: 1n, seconds: 1n, rate: WAD / 2n }), 0n);
  // ... but 3 s are 1.5 wei -> 1 (a per-second division would give 0)
  assert.equal(paymentFor({ price: 1n, seconds: 3n, rate: WAD / 2n }), 1n);
});

Deno.test("paymentFor() prices an hour at 0.25 USD/h and rate 1 near 0.25 tokens", () => {
  const paid = paymentFor({ price: parseUsdPerHour("0.25"), seconds: 3600n, rate: WAD });
  assert.ok(paid <= 25n * 10n ** 16n && 25n * 10n ** 16n - paid < 3600n);
});
