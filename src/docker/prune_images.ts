import type { DockerClient } from "./client.ts";
import { planImagePrune, type PruneCandidate } from "./_plan_image_prune.ts";
import { DockerApiError } from "./errors.ts";
import { listContainers } from "./list_containers.ts";
import { listImages } from "./list_images.ts";
import { removeImage } from "./remove_image.ts";

/** Parameters of {@linkcode pruneImages}. */
export type PruneImagesParameters = {
  /** Disk budget for all local images, bytes. */
  budgetBytes: number;
  /**
   * Last use of images by id (ms since the epoch), as the agent recorded it.
   * Without an entry, an image's last use is the newest of its creation time
   * and the creation times of containers made from it.
   */
  lastUsedMs?: Readonly<Record<string, number>> | undefined;
  /**
   * Only images with an entry in `lastUsedMs` (those the agent pulled) may be
   * removed; the rig owner's other images count against the budget but stay.
   * @default {false}
   */
  onlyRecorded?: boolean | undefined;
  /** Image ids or tags never to remove (benchmark images, ...). */
  protect?: readonly string[] | undefined;
  /** Only plan, remove nothing. @default {false} */
  dryRun?: boolean | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode pruneImages} returns. */
export type PruneImagesReturnType = {
  removed: { id: string; sizeBytes: number }[];
  totalBytes: number;
  afterBytes: number;
};

/**
 * Prunes local images by LRU until they fit a disk budget. Images used by
 * any container (running or stopped) and protected ones stay.
 *
 * @example
 * ```ts ignore
 * const r = await pruneImages(docker, { budgetBytes: 20 * 2 ** 30 });
 * ```
 */
export async function pruneImages(
  client: DockerClient,
  { budgetBytes, lastUsedMs = {}, onlyRecorded = false, protect = [], dryRun = false, signal }:
    PruneImagesParameters,
): Promise<PruneImagesReturnType> {
  const [images, containers] = await Promise.all([
    listImages(client, { signal }),
    listContainers(client, { all: true, signal }),
  ]);
  const used = new Map<string, number>();
  for (const c of containers) {
    used.set(c.imageId, Math.max(used.get(c.imageId) ?? 0, c.created * 1000));
  }
  const keep = new Set(protect);
  const candidates: PruneCandidate[] = images.map((i) => ({
    id: i.id,
    sizeBytes: i.sizeBytes,
    lastUsedMs: lastUsedMs[i.id] ?? Math.max(i.created * 1000, used.get(i.id) ?? 0),
    keep: used.has(i.id) || keep.has(i.id) || i.repoTags.some((t) => keep.has(t)) ||
      (onlyRecorded && lastUsedMs[i.id] === undefined),
  }));
  const plan = planImagePrune(candidates, budgetBytes);
  const removed: PruneImagesReturnType["removed"] = [];
  let after = plan.totalBytes;
  for (const img of plan.remove) {
    if (!dryRun) {
      try {
        await removeImage(client, { image: img.id, force: true, signal });
      } catch (e) {
        // Taken into use since we listed, or already gone: skip it.
        if (e instanceof DockerApiError && (e.isConflict || e.isNotFound)) continue;
        throw e;
      }
    }
    removed.push({ id: img.id, sizeBytes: img.sizeBytes });
    after -= img.sizeBytes;
  }
  return { removed, totalBytes: plan.totalBytes, afterBytes: after };
}
