import { BENCHMARKS } from "./benchmarks.ts";
import { UnknownBenchmarkError } from "./errors.ts";

/**
 * Turns `--only` values (ids or keys, comma-separated or repeated) into
 * benchmark ids, in list order.
 *
 * @throws {UnknownBenchmarkError} for a value that is no id or key
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectBenchmarks } from "./select_benchmarks.ts";
 * assert.equal(selectBenchmarks(["2,ram-size"]).join(), "2,3");
 * ```
 */
export function selectBenchmarks(values: readonly string[]): number[] {
  const ids = new Set<number>();
  for (
    const value of values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "")
  ) {
    const b = BENCHMARKS.find((b) => String(b.id) === value || b.key === value);
    if (b === undefined) throw new UnknownBenchmarkError({ value });
    ids.add(b.id);
  }
  return BENCHMARKS.filter((b) => ids.has(b.id)).map((b) => b.id);
}
