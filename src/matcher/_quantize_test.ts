import assert from "node:assert/strict";
import { HIGH_BITS, quantize, summarize } from "./_quantize.ts";

const split = (v: bigint): [number, number] => [Number(v >> 32n), Number(v & 0xffffffffn)];
const q = (v: bigint): number => quantize(...split(v));

Deno.test("quantize() never decreases as the value grows, up to 2^63 - 1", () => {
  const values: bigint[] = [];
  for (let v = 0n; v < 2048n; v++) values.push(v);
  for (let k = 2n; k < 64n; k++) {
    for (const d of [-3n, -2n, -1n, 0n, 1n, 2n, 3n]) values.push((1n << k) + d);
    for (let m = 0n; m < 16n; m++) values.push((1n << k) + m * (1n << k) / 16n);
    values.push((1n << k) + (1n << (k - 1n)) - 1n, (1n << k) + (1n << (k - 1n)));
  }
  const sorted = [...new Set(values.filter((v) => v >= 0n && v < 1n << 63n))].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0
  );
  let last = -1;
  for (const v of sorted) {
    const x = q(v);
    assert.ok(x >= last, `q(${v}) = ${x} < ${last}`);
    assert.ok(x >= 0 && x <= 16383, `q(${v}) = ${x}`);
    last = x;
  }
  assert.equal(q(0n), 0);
  assert.equal(q((1n << 63n) - 1n), (63 << 8) | 0xff);
  assert.ok(q(1n << 32n) > q((1n << 32n) - 1n));
  // 8 bits of resolution below the leading one: 256 and 257 differ, 2^40 and 2^40 + 1 do not.
  assert.ok(q(257n) > q(256n));
  assert.equal(q((1n << 40n) + 1n), q(1n << 40n));
  assert.ok(q((1n << 40n) + (1n << 32n)) > q(1n << 40n));
});

Deno.test("summarize() packs two summaries per word; the SWAR step compares them all", () => {
  const values = [5n, 0n, 1n << 40n, 7n, (1n << 63n) - 1n, 1n];
  const pack = (vs: bigint[]): Uint32Array => {
    const bench = new Uint32Array(2 * vs.length);
    vs.forEach((v, i) => [bench[2 * i], bench[2 * i + 1]] = split(v));
    const out = new Uint32Array(7);
    summarize(bench, 0, vs.length, out, 0);
    return out;
  };
  const out = pack(values);
  assert.equal(out[0]! & 0xffff, q(5n));
  assert.equal(out[1]! >>> 16, q(7n));
  assert.equal(out[3], 0);
  const ge = (a: Uint32Array, b: Uint32Array) =>
    a.every((x, w) => (((x | HIGH_BITS) - b[w]!) & HIGH_BITS) === HIGH_BITS);
  assert.ok(ge(out, out));
  const lower = pack(values.map((v) => v === 7n ? 3n : v));
  assert.ok(ge(out, lower), "every lane of out >= lower");
  assert.ok(!ge(lower, out), "lane 3 of lower (q(3)) < q(7)");
  const top = pack(values.map(() => (1n << 63n) - 1n));
  assert.ok(ge(top, out) && !ge(out, top));
});
