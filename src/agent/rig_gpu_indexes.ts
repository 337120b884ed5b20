import { discoverHardware } from "../bench/mod.ts";

/** Options of {@linkcode rigGpuIndexes}. */
export type RigGpuIndexesOptions = { signal?: AbortSignal | undefined };

/**
 * The GPU indexes this rig has, as its vendor tools number them: what a
 * plan's `resources.gpus` may name.
 *
 * @example
 * ```ts
 * import { rigGpuIndexes } from "./rig_gpu_indexes.ts";
 * const indexes = await rigGpuIndexes();
 * console.assert(Array.isArray(indexes));
 * ```
 */
export async function rigGpuIndexes(options: RigGpuIndexesOptions = {}): Promise<number[]> {
  const hardware = await discoverHardware({ dataDir: "/", signal: options.signal });
  return [...new Set(hardware.gpus.map((gpu) => gpu.index))].sort((a, b) => a - b);
}
