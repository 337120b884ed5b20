import assert from "node:assert/strict";
import { parseUsdPerHour } from "./parse_usd_per_hour.ts";
import { formatUsdPerHour } from "./format_usd_per_hour.ts";
import { ChainInputError } from "./errors.ts";

Deno.test("parseUsdPerHour() converts exact hourly prices to per-second wei", () => {
  assert.equal(parseUsdPerHour("3.6"), 10n ** 15n);
  assert.equal(parseUsdPerHour("3600"), 10n ** 18n);
  assert.equal(parseUsdPerHour("0"), 0n);
  assert.equal(parseUsdPerHour("  7.2 "), 2n * 10n ** 15n);
});

Deno.test("parseUsdPerHour() rounds an uneven division down by default", () => {
  // 0.25e18 / 3600 = 69444444444444.44...
  assert.equal(parseUsdPerHour("0.25"), 69_444_444_444_444n);
  assert.equal(parseUsdPerHour("0.25", { rounding: "ceil" }), 69_444_444_444_445n);
  assert.equal(parseUsdPerHour("0.25", { rounding: "nearest" }), 69_444_444_444_444n);
  // 1e18/3600 = 277777777777777.77..: nearest goes up
  assert.equal(parseUsdPerHour("1", { rounding: "nearest" }), 277_777_777_777_778n);
  // an hour at the floored price never costs more than written
  assert.ok(parseUsdPerHour("0.25") * 3600n <= 25n * 10n ** 16n);
});

Deno.test("parseUsdPerHour() keeps huge values exact", () => {
  const text = "123456789012345678901234567890.123456789012345678";
  const expected = 123456789012345678901234567890123456789012345678n / 3600n;
  assert.equal(parseUsdPerHour(text), expected);
});

Deno.test("parseUsdPerHour() rejects bad text naming the field and value", () => {
  for (const bad of ["", "-1", "1e3", "0x10", "1.2.3", "abc", "1.0000000000000000001"]) {
    assert.throws(
      () => parseUsdPerHour(bad, { field: "plans[0].price" }),
      (e: unknown) =>
        e instanceof ChainInputError && e.field === "plans[0].price" && e.value === bad &&
        e.message.includes(`"${bad}"`),
    );
  }
});

Deno.test("formatUsdPerHour() shows a parsed price as written", () => {
  for (const text of ["0.25", "1", "3.6", "0.000001", "1234.5"]) {
    assert.equal(formatUsdPerHour(parseUsdPerHour(text)), text);
  }
  assert.equal(
    formatUsdPerHour(parseUsdPerHour("0.25"), { maxFraction: 18 }),
    "0.2499999999999984",
  );
});
