import assert from "node:assert/strict";
import { HIGH_BITS, quantize, summarize } from "./_quantize.ts";

const split = (v: bigint): [number, number] => [Number(v >> 32n), Number(v & 0xffffffffn)];
const q = (v: bigint): number => quantize(...split(v));

Deno.test("quantize() never decreases as the value grows, up to 2^63 - 1", () => {
  const values: bigint[] = [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n];
  for (let k = 2n; k < 64n; k++) {
    for (const d of [-2n, -1n, 0n, 1n, 2n]) values.push((1n << k) + d);
    values.push((1n << k) + (1n << (k - 1n)) - 1n, (1n << k) + (1n << (k - 1n)));
  }
  const sorted = [...new Set(values.filter((v) => v >= 0n && v < 1n << 63n))].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0
  );
  let last = -1;
  for (const v of sorted) {
    const x = q(v);
    assert.ok(x >= last, `q(${v}) = ${x} < ${last}`);
    assert.ok(x >= 0 && x <= 126, `q(${v}) = ${x}`);
    last = x;
  }
  assert.equal(q(0n), 0);
  assert.equal(q((1n << 63n) - 1n), 126);
  assert.ok(q(1n << 32n) > q((1n << 32n) - 1n));
});

Deno.test("summarize() packs four summaries per word; the SWAR step compares them all", () => {
  const bench = new Uint32Array(2 * 6);
  const values = [5n, 0n, 1n << 40n, 7n, (1n << 63n) - 1n, 1n];
  values.forEach((v, i) => [bench[2 * i], bench[2 * i + 1]] = split(v));
  const out = new Uint32Array(4);
  summarize(bench, 0, values.length, out, 0);
  assert.equal(out[0]! & 0xff, q(5n));
  assert.equal((out[1]! >>> 8) & 0xff, q(1n));
  assert.equal(out[2], 0);
  const ge = (a: number, b: number) => (((a | HIGH_BITS) - b) & HIGH_BITS) === HIGH_BITS;
  assert.ok(ge(out[0]!, out[0]!));
  const lower = new Uint32Array(4);
  const smaller = new Uint32Array(2 * 6);
  values.forEach((v, i) => [smaller[2 * i], smaller[2 * i + 1]] = split(v === 7n ? 3n : v));
  summarize(smaller, 0, values.length, lower, 0);
  assert.ok(ge(out[0]!, lower[0]!), "every byte of out >= lower");
  assert.ok(!ge(lower[0]!, out[0]!), "byte 3 of lower (q(3)) < q(7)");
  assert.ok(ge(0x7e7e7e7e, 0x7e007e00) && !ge(0x00000000, 0x00000100));
});
