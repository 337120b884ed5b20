import assert from "node:assert/strict";
import { InvalidOrderError, MarketFileError } from "./errors.ts";
import { parseMarketFile } from "./parse_market_file.ts";

const A = "0x00000000000000000000000000000000000000a1";
const B = "0x00000000000000000000000000000000000000b2";
const order = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    kind: "order",
    id: "1",
    type: "BID",
    author: A,
    duration: "3600",
    price: "100",
    ...over,
  });

Deno.test("parseMarketFile() reads orders and views, skipping blank lines", () => {
  const text = [
    order(),
    "",
    order({ id: "2", type: "ASK", author: B, benchmarks: ["18446744073709551615".slice(0, 18)] }),
    JSON.stringify({ kind: "master", worker: A, master: B }),
    JSON.stringify({ kind: "level", address: B, level: 3 }),
    JSON.stringify({ kind: "blacklist", owner: B, listed: A }),
    "",
  ].join("\r\n");
  const file = parseMarketFile(text);
  assert.deepEqual(file.orders.map((o) => [o.id, o.type]), [[1n, "BID"], [2n, "ASK"]]);
  assert.deepEqual(file.orders[1]?.benchmarks, [184467440737095516n]);
  assert.deepEqual(file.views, {
    masters: [{ worker: A, master: B }],
    levels: [{ address: B, level: 3 }],
    blacklists: [{ owner: B, listed: A }],
  });
});

Deno.test("parseMarketFile() names the line of a bad record", () => {
  const bad = (lines: string[], line: number, message: RegExp) => {
    assert.throws(() => parseMarketFile(lines.join("\n")), (e: unknown) => {
      assert.ok(e instanceof MarketFileError, String(e));
      assert.equal(e.line, line);
      assert.match(e.message, message);
      return true;
    });
  };
  bad([order(), "{oops"], 2, /^Cannot read market file at line 2: not valid JSON/);
  bad([order(), "", JSON.stringify({ kind: "bid" })], 3, /kind must be .*current value is "bid"/);
  bad(
    [order({ benchmarks: ["9223372036854775808"] })],
    1,
    /line 1: Cannot accept order "1": benchmarks\[0\] must be below 2\^63/,
  );
  bad([order(), order()], 2, /order "1" is already defined at line 1/);
  bad([JSON.stringify({ kind: "level", address: A, level: 9 })], 1, /level .*from 0 to 3/);
  bad(
    [JSON.stringify({ kind: "master", worker: "0x1", master: B })],
    1,
    /worker must be a 20-byte/,
  );
  bad([JSON.stringify({ kind: "blacklist", owner: A })], 1, /listed/);
  let e: unknown;
  try {
    parseMarketFile(order({ price: "-1" }));
  } catch (error) {
    e = error;
  }
  assert.ok(e instanceof MarketFileError && e.cause instanceof InvalidOrderError);
  assert.equal((e.cause as InvalidOrderError).field, "price");
});
