import assert from "node:assert/strict";
import { InvalidOrderError } from "./errors.ts";
import { parseOrder } from "./parse_order.ts";

const AUTHOR = "0x00000000000000000000000000000000000000A1";
const BASE = { id: "7", type: "ASK", author: AUTHOR, duration: "3600", price: "1000" };

function rejects(input: unknown, field: string, detail: RegExp): void {
  assert.throws(() => parseOrder(input), (e: unknown) => {
    assert.ok(e instanceof InvalidOrderError, String(e));
    assert.equal(e.field, field);
    assert.match(e.message, detail);
    return true;
  });
}

Deno.test("parseOrder() turns decimal strings into exact bigints and fills defaults", () => {
  const o = parseOrder({
    ...BASE,
    price: "1208925819614629174706176", // 2^80, the contract's maximum
    benchmarks: ["0", "4294967296", "9007199254740993", "9223372036854775807"],
  });
  assert.equal(o.id, 7n);
  assert.equal(o.author, AUTHOR.toLowerCase());
  assert.equal(o.price, 1n << 80n);
  assert.deepEqual(o.benchmarks, [0n, 1n << 32n, (1n << 53n) + 1n, (1n << 63n) - 1n]);
  assert.equal(o.active, true);
  assert.equal(o.identityLevel, 0);
  assert.deepEqual(o.netflags, []);
  assert.equal(o.counterparty, "0x0000000000000000000000000000000000000000");
  assert.equal(parseOrder({ ...BASE, duration: 60, identityLevel: "2" }).identityLevel, 2);
});

Deno.test("parseOrder() rejects out-of-bounds values with the field and the value", () => {
  rejects(
    { ...BASE, benchmarks: ["9223372036854775808"] },
    "benchmarks[0]",
    /benchmarks\[0\] must be below 2\^63 .*the Market contract rejects .*"9223372036854775808"/,
  );
  rejects({ ...BASE, benchmarks: Array(16).fill("1") }, "benchmarks", /at most 15 entries/);
  rejects({ ...BASE, benchmarks: ["-1"] }, "benchmarks[0]", /must not be negative/);
  rejects(
    { ...BASE, price: "-5" },
    "price",
    /^Cannot accept order "7": price must not be negative/,
  );
  rejects(
    { ...BASE, price: "1208925819614629174706177" },
    "price",
    /at most 1208925819614629174706176/,
  );
  rejects({ ...BASE, price: "18446744073709551616000000" }, "price", /at most/);
  rejects({ ...BASE, duration: "315360001" }, "duration", /at most 315360000 seconds/);
  rejects({ ...BASE, price: 1.5 }, "price", /must be an integer/);
  rejects({ ...BASE, price: 2 ** 60 }, "price", /decimal string/);
  rejects({ ...BASE, price: "0x10" }, "price", /decimal integer string/);
  rejects({ ...BASE, id: "9007199254740992" }, "id", /2\^53 - 1/);
  rejects({ ...BASE, netflags: [true, true, true, true] }, "netflags", /at most 3 entries/);
  rejects({ ...BASE, netflags: [true, 1] }, "netflags[1]", /true or false/);
  rejects({ ...BASE, identityLevel: 4 }, "identityLevel", /from 0 to 3/);
  rejects({ ...BASE, author: "0x12" }, "author", /20-byte hex address.*"0x12"/);
  rejects({ ...BASE, blacklist: "me" }, "blacklist", /20-byte hex address/);
  rejects({ ...BASE, tag: "0x01" }, "tag", /32-byte/);
  rejects({ ...BASE, type: "SELL" }, "type", /"BID" or "ASK"/);
  rejects({ ...BASE, benchmark: ["1"] }, "benchmark", /not a known field/);
  rejects({ ...BASE, price: undefined }, "price", /price is required$/);
  rejects({ id: "3", type: "BID" }, "author", /^Cannot accept order "3": author is required$/);
  rejects("not an order", "(top level)", /must be an object/);
});

Deno.test("parseOrder() applies configured limits", () => {
  const limits = { maxBenchmarks: 2, maxNetflags: 1 };
  assert.equal(parseOrder({ ...BASE, benchmarks: ["1", "2"] }, { limits }).benchmarks.length, 2);
  assert.throws(
    () => parseOrder({ ...BASE, benchmarks: ["1", "2", "3"] }, { limits }),
    /benchmarks must have at most 2 entries/,
  );
  assert.throws(
    () => parseOrder({ ...BASE, netflags: [true, true] }, { limits }),
    /netflags must have at most 1 entries/,
  );
});
