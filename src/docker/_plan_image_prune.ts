/**
 * Private: the LRU image prune plan (pure).
 *
 * @module
 */

/** An image as the planner sees it. */
export type PruneCandidate = {
  id: string;
  sizeBytes: number;
  /** Last use, milliseconds since the epoch. */
  lastUsedMs: number;
  /** Used by a container (running or not), or protected by the caller: never removed. */
  keep: boolean;
};

/** The plan: which images to remove, and the totals before and after. */
export type PrunePlan = { remove: PruneCandidate[]; totalBytes: number; afterBytes: number };

/**
 * Removes least recently used images, oldest first, until the total size fits
 * the budget; images marked `keep` are never removed (so the budget may stay
 * exceeded). Ties break by id, so the plan is deterministic.
 */
export function planImagePrune(images: readonly PruneCandidate[], budgetBytes: number): PrunePlan {
  const totalBytes = images.reduce((s, i) => s + i.sizeBytes, 0);
  let after = totalBytes;
  const remove: PruneCandidate[] = [];
  const order = images.filter((i) => !i.keep)
    .sort((a, b) => a.lastUsedMs - b.lastUsedMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const img of order) {
    if (after <= budgetBytes) break;
    remove.push(img);
    after -= img.sizeBytes;
  }
  return { remove, totalBytes, afterBytes: after };
}
