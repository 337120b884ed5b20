import assert from "node:assert/strict";
import { planImagePrune, type PruneCandidate } from "./_plan_image_prune.ts";

const img = (id: string, sizeBytes: number, lastUsedMs: number, keep = false): PruneCandidate => ({
  id,
  sizeBytes,
  lastUsedMs,
  keep,
});

Deno.test("planImagePrune() removes least recently used images until the budget fits", () => {
  const plan = planImagePrune([img("a", 100, 30), img("b", 100, 10), img("c", 100, 20)], 150);
  assert.deepEqual(plan.remove.map((i) => i.id), ["b", "c"]);
  assert.equal(plan.totalBytes, 300);
  assert.equal(plan.afterBytes, 100);
});

Deno.test("planImagePrune() keeps images in use even over budget", () => {
  const plan = planImagePrune([img("a", 500, 1, true), img("b", 100, 2)], 100);
  assert.deepEqual(plan.remove.map((i) => i.id), ["b"]);
  assert.equal(plan.afterBytes, 500);
});

Deno.test("planImagePrune() removes nothing within budget", () => {
  assert.deepEqual(planImagePrune([img("a", 100, 1)], 100).remove, []);
});
