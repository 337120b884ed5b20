import { discoverGpus, type Hardware } from "../../bench/mod.ts";

/** Options of {@linkcode rigGpuIndexes}. */
export type RigGpuIndexesOptions = { signal?: AbortSignal | undefined };

/**
 * The GPU indexes this rig has, as its vendor tools number them: what a
 * plan's `resources.gpus` may name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rigGpuIndexes } from "./rig_gpu_indexes.ts";
 * const indexes = await rigGpuIndexes();
 * assert.ok(Array.isArray(indexes));
 * ```
 */
export async function rigGpuIndexes(options: RigGpuIndexesOptions = {}): Promise<number[]> {
  return gpuIndexesOf(await discoverGpus({ signal: options.signal }));
}

/**
 * The distinct GPU indexes of discovered hardware, ascending.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gpuIndexesOf } from "./rig_gpu_indexes.ts";
 * const hw = { gpus: [{ index: 1 }, { index: 0 }, { index: 1 }] };
 * assert.equal(gpuIndexesOf(hw as never).join(), "0,1");
 * ```
 */
export function gpuIndexesOf(hardware: Pick<Hardware, "gpus">): number[] {
  return [...new Set(hardware.gpus.map((gpu) => gpu.index))].sort((a, b) => a - b);
}
