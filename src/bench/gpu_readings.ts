import { nvidiaSmiRows } from "./_parse_gpu_tools.ts";

/** Live readings of one GPU (the fields its tool reports). */
export type GpuReading = {
  index: number;
  temperatureC?: number | undefined;
  powerW?: number | undefined;
  utilizationPercent?: number | undefined;
};

const QUERY = "index,temperature.gpu,power.draw,utilization.gpu";

/**
 * Parses `nvidia-smi --query-gpu=index,temperature.gpu,power.draw,utilization.gpu
 * --format=csv,nounits` (its header names the columns): one reading per GPU;
 * a field the GPU does not report (`[N/A]`, `[Not Supported]`) is left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseNvidiaSmiReadings } from "./gpu_readings.ts";
 * const csv = "index, temperature.gpu, power.draw [W], utilization.gpu [%]\n" +
 *   "0, 41, 72.31, 3\n1, 39, [N/A], 0\n";
 * assert.deepEqual(parseNvidiaSmiReadings(csv), [
 *   { index: 0, temperatureC: 41, powerW: 72.31, utilizationPercent: 3 },
 *   { index: 1, temperatureC: 39, utilizationPercent: 0 },
 * ]);
 * ```
 */
export function parseNvidiaSmiReadings(csv: string): GpuReading[] {
  const out: GpuReading[] = [];
  for (const { get, number } of nvidiaSmiRows(csv)?.cells ?? []) {
    const index = get("index");
    if (index === undefined || !/^\d+$/.test(index)) continue;
    const reading: GpuReading = { index: Number(index) };
    const t = number("temperature.gpu"), p = number("power.draw");
    const u = number("utilization.gpu");
    if (t !== undefined) reading.temperatureC = t;
    if (p !== undefined) reading.powerW = p;
    if (u !== undefined) reading.utilizationPercent = u;
    out.push(reading);
  }
  return out;
}

/**
 * Reads the NVIDIA GPUs' temperature, power and utilisation with
 * `nvidia-smi`; an empty list when the tool is missing or fails (the rig has
 * no NVIDIA GPU, or its driver is not loaded): the metrics are then omitted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readNvidiaGpus } from "./gpu_readings.ts";
 * assert.ok(Array.isArray(await readNvidiaGpus()));
 * ```
 */
export async function readNvidiaGpus(
  options: { signal?: AbortSignal | undefined } = {},
): Promise<GpuReading[]> {
  try {
    const out = await new Deno.Command("nvidia-smi", {
      args: [`--query-gpu=${QUERY}`, "--format=csv,nounits"],
      stdout: "piped",
      stderr: "null",
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    }).output();
    return out.success ? parseNvidiaSmiReadings(new TextDecoder().decode(out.stdout)) : [];
  } catch {
    return [];
  }
}
