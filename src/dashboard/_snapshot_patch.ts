/**
 * Private: what changed between two snapshots, as a short list of edits the
 * page applies to the snapshot it holds (the live stream sends these after
 * the first full snapshot, so a tab receives bytes for what changed, not the
 * whole snapshot every second). `assets/app.js` applies them the same way.
 *
 * @module
 */

/** A path into a snapshot: object keys and array indexes. */
export type PatchPath = (string | number)[];

/**
 * One edit: `v` sets the value at `p`; `from` + `items` cut the array at `p`
 * to its first `from` items and append `items`; `d` deletes the key at `p`.
 */
export type PatchOp =
  | { p: PatchPath; v: unknown }
  | { p: PatchPath; from: number; items: unknown[] }
  | { p: PatchPath; d: 1 };

/**
 * The edits that turn `before` into `after` (plain JSON values): objects are
 * compared key by key, an array of the same length item by item (the open
 * deals' pending money moves, the rows stay), an array that keeps a prefix
 * of its items sends only what follows it (the earnings series grows at its
 * end), anything else is replaced whole. Empty when nothing changed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { applySnapshotPatch, diffSnapshot } from "./_snapshot_patch.ts";
 * const before = { t: 1, chain: { head: 5, lag: 0 }, series: [1, 2, 3] };
 * const after = { t: 2, chain: { head: 6, lag: 0 }, series: [1, 2, 4, 5] };
 * const ops = diffSnapshot(before, after);
 * assert.deepEqual(ops, [
 *   { p: ["t"], v: 2 },
 *   { p: ["chain", "head"], v: 6 },
 *   { p: ["series"], from: 2, items: [4, 5] },
 * ]);
 * assert.deepEqual(applySnapshotPatch(structuredClone(before), ops), after);
 * ```
 */
export function diffSnapshot(before: unknown, after: unknown): PatchOp[] {
  const ops: PatchOp[] = [];
  diff(before, after, [], ops);
  return ops;
}

/** Applies {@linkcode diffSnapshot}'s edits to `target` in place and returns it. */
export function applySnapshotPatch<T>(target: T, ops: readonly PatchOp[]): T {
  let root: unknown = target;
  for (const op of ops) {
    if (op.p.length === 0) {
      if ("v" in op) root = structuredClone(op.v);
      else if ("from" in op) {
        (root as unknown[]).length = op.from;
        (root as unknown[]).push(...op.items);
      }
      continue;
    }
    let parent = root as Record<string | number, unknown>;
    for (const key of op.p.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const last = op.p[op.p.length - 1]!;
    if ("d" in op) delete parent[last];
    else if ("from" in op) {
      const list = parent[last] as unknown[];
      list.length = op.from;
      list.push(...op.items);
    } else parent[last] = op.v;
  }
  return root as T;
}

function diff(before: unknown, after: unknown, path: PatchPath, ops: PatchOp[]): void {
  if (same(before, after)) return;
  if (isObject(before) && isObject(after)) {
    for (const key of Object.keys(after)) {
      if (key in before) diff(before[key], after[key], [...path, key], ops);
      else ops.push({ p: [...path, key], v: after[key] });
    }
    for (const key of Object.keys(before)) {
      if (!(key in after)) ops.push({ p: [...path, key], d: 1 });
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    // the same rows with some figures moved (each open deal's pending money): item by item
    if (before.length === after.length) {
      for (let i = 0; i < after.length; i++) diff(before[i], after[i], [...path, i], ops);
      return;
    }
    let kept = 0;
    const limit = Math.min(before.length, after.length);
    while (kept < limit && same(before[kept], after[kept])) kept++;
    // a kept prefix is worth sending as a cut only when it is most of the array
    if (kept > 0 && kept * 2 >= after.length) {
      ops.push({ p: path, from: kept, items: after.slice(kept) });
      return;
    }
  }
  ops.push({ p: path, v: after });
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
