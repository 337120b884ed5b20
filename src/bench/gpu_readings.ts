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
 * --format=csv,noheader,nounits`: one reading per line; a field the GPU does
 * not report (`[N/A]`, `[Not Supported]`) is left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseNvidiaSmiReadings } from "./gpu_readings.ts";
 * assert.deepEqual(parseNvidiaSmiReadings("0, 41, 72.31, 3\n1, 39, [N/A], 0\n"), [
 *   { index: 0, temperatureC: 41, powerW: 72.31, utilizationPercent: 3 },
 *   { index: 1, temperatureC: 39, utilizationPercent: 0 },
 * ]);
 * ```
 */
export function parseNvidiaSmiReadings(csv: string): GpuReading[] {
  const out: GpuReading[] = [];
  for (const line of csv.split("\n")) {
    const [index, temperature, power, utilization] = line.split(",").map((f) => f.trim());
    if (index === undefined || !/^\d+$/.test(index)) continue;
    const reading: GpuReading = { index: Number(index) };
    const number = (text: string | undefined) =>
      text !== undefined && /^\d+(\.\d+)?$/.test(text) ? Number(text) : undefined;
    const t = number(temperature), p = number(power), u = number(utilization);
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
      args: [`--query-gpu=${QUERY}`, "--format=csv,noheader,nounits"],
      stdout: "piped",
      stderr: "null",
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    }).output();
    return out.success ? parseNvidiaSmiReadings(new TextDecoder().decode(out.stdout)) : [];
  } catch {
    return [];
  }
}
