import assert from "node:assert/strict";
import { applySnapshotPatch, diffSnapshot } from "./_snapshot_patch.ts";

Deno.test("diffSnapshot() sends only the moved figures of rows that stay", () => {
  const row = (id: number, pending: string) => ({ dealId: String(id), pendingTokens: pending });
  const before = { deals: [row(1, "0.1"), row(2, "0.2")], connectivity: null };
  const after = { deals: [row(1, "0.1"), row(2, "0.3")], connectivity: { class: "cone" } };
  assert.deepEqual(diffSnapshot(before, after), [
    { p: ["deals", 1, "pendingTokens"], v: "0.3" },
    { p: ["connectivity"], v: { class: "cone" } },
  ]);
  assert.deepEqual(diffSnapshot(after, after), []);
});

Deno.test("applySnapshotPatch() of diffSnapshot() rebuilds the new value, for random JSON", () => {
  const rand = prngForTest(7);
  const value = (depth: number): unknown => {
    const r = rand();
    if (depth > 3 || r < 0.3) return [null, 1, "x", true, 2.5][Math.floor(rand() * 5)];
    if (r < 0.6) return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
    return Object.fromEntries(
      Array.from({ length: Math.floor(rand() * 4) }, (_, i) => [`k${i}`, value(depth + 1)]),
    );
  };
  for (let i = 0; i < 2000; i++) {
    const before = value(0);
    const after = rand() < 0.5 ? value(0) : mutate(structuredClone(before), rand);
    const patched = applySnapshotPatch(structuredClone(before), diffSnapshot(before, after));
    assert.deepEqual(patched, after, JSON.stringify({ before, after }));
  }
});

function mutate(v: unknown, rand: () => number): unknown {
  if (Array.isArray(v)) {
    const roll = rand();
    if (roll < 0.3) v.push(rand());
    else if (v.length > 0 && roll < 0.5) v.pop();
    return v.map((x) => (rand() < 0.3 ? mutate(x, rand) : x));
  }
  if (typeof v === "object" && v !== null) {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) if (rand() < 0.3) o[k] = mutate(o[k], rand);
    if (rand() < 0.2) o.extra = rand();
    if (rand() < 0.2) delete o[Object.keys(o)[0] ?? ""];
    return o;
  }
  return rand() < 0.5 ? v : rand();
}

/** mulberry32, seeded: the same inputs on every run. */
function prngForTest(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
