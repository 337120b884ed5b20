import assert from "node:assert/strict";
import { IdIndex } from "./_id_index.ts";

Deno.test("IdIndex finds, replaces and deletes ids through the rows' own keys", () => {
  const keys: number[] = [];
  const index = new IdIndex((e) => keys[e >> 1] as number);
  const ids = [1, 2, 3, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1, 1024, 2048, 0];
  ids.forEach((id, row) => {
    keys[row] = id;
    index.set(id, row << 1);
  });
  for (const [row, id] of ids.entries()) assert.equal(index.get(id), row << 1);
  assert.equal(index.get(4), -1);
  assert.equal(index.delete(2 ** 32), 3 << 1);
  assert.equal(index.get(2 ** 32), -1);
  assert.equal(index.get(2 ** 32 + 1), 4 << 1);
  keys[20] = 2;
  index.set(2, (20 << 1) | 1);
  assert.equal(index.get(2), 41);
  assert.equal(index.size, ids.length - 1);
});

Deno.test("IdIndex keeps every entry across growth and tombstone churn", () => {
  const keys: number[] = [];
  const index = new IdIndex((e) => keys[e >> 1] as number);
  for (let row = 0; row < 50_000; row++) {
    keys[row] = row * 7 + 1;
    index.set(row * 7 + 1, row << 1);
  }
  for (let row = 0; row < 50_000; row += 2) assert.ok(index.delete(row * 7 + 1) >= 0);
  for (let round = 0; round < 3; round++) {
    for (let row = 0; row < 50_000; row += 2) index.set(row * 7 + 1, row << 1);
    for (let row = 0; row < 50_000; row += 2) index.delete(row * 7 + 1);
  }
  assert.equal(index.size, 25_000);
  for (let row = 0; row < 50_000; row++) {
    assert.equal(index.get(row * 7 + 1), row % 2 === 1 ? row << 1 : -1);
  }
  assert.ok(index.byteLength <= 4 * 4 * 65_536, `${index.byteLength} bytes`);
});
