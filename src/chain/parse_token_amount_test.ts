import assert from "node:assert/strict";
import { parseTokenAmount } from "./parse_token_amount.ts";
import { formatTokenAmount } from "./format_token_amount.ts";
import { ChainInputError } from "./errors.ts";

Deno.test("parseTokenAmount() parses 18-decimal amounts exactly", () => {
  assert.equal(parseTokenAmount("1"), 10n ** 18n);
  assert.equal(parseTokenAmount("1.5"), 15n * 10n ** 17n);
  assert.equal(parseTokenAmount("0.000000000000000001"), 1n);
  assert.equal(parseTokenAmount("100000000000000000000000"), 10n ** 41n);
});

Deno.test("parseTokenAmount() rejects more than 18 decimals and non-decimals", () => {
  for (const bad of ["0.0000000000000000001", "-2", "1,5", ""]) {
    assert.throws(() => parseTokenAmount(bad), ChainInputError);
  }
  assert.throws(() => parseTokenAmount("x", { field: "deposit" }), /deposit.*"x"/);
});

Deno.test("formatTokenAmount() round-trips with parseTokenAmount()", () => {
  for (const text of ["0", "1", "1.5", "0.000000000000000001", "12345.678901234567890123"]) {
    assert.equal(formatTokenAmount(parseTokenAmount(text)), text);
  }
  assert.equal(formatTokenAmount(1_234_567_890_000_000_000n, { maxFraction: 2 }), "1.23");
  assert.equal(formatTokenAmount(1_235_000_000_000_000_000n, { maxFraction: 2 }), "1.24");
  assert.equal(formatTokenAmount(-5n * 10n ** 17n), "-0.5");
});
