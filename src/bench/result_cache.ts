import type { DatabaseSync } from "node:sqlite";
import type { BenchResult } from "./types.ts";

/** Where the suite keeps measured results between runs, keyed by hardware. */
export type ResultCache = {
  /** The cached result of benchmark `id` on hardware `hardwareHash`, if any. */
  get(id: number, hardwareHash: string): BenchResult | undefined;
  /** Stores (or replaces) a measured result. */
  put(result: BenchResult, hardwareHash: string): void;
};

/**
 * A {@linkcode ResultCache} in the agent's sqlite state, table
 * `bench_results` (created by the agent's migration 0003_bench).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DatabaseSync } from "node:sqlite";
 * import { createSqliteResultCache } from "./result_cache.ts";
 * const db = new DatabaseSync(":memory:", { readBigInts: true });
 * db.exec(`CREATE TABLE bench_results (benchmark_id INTEGER NOT NULL, hardware_hash TEXT NOT NULL,
 *   value INTEGER NOT NULL, unit TEXT NOT NULL, note TEXT NOT NULL, probe TEXT NOT NULL,
 *   measured_at INTEGER NOT NULL, details TEXT NOT NULL, PRIMARY KEY (benchmark_id, hardware_hash))`);
 * const cache = createSqliteResultCache(db);
 * assert.equal(cache.get(0, "ab"), undefined);
 * ```
 */
export function createSqliteResultCache(db: DatabaseSync): ResultCache {
  const select = db.prepare(
    "SELECT value, unit, note, probe, measured_at, details FROM bench_results WHERE benchmark_id = ? AND hardware_hash = ?",
  );
  const upsert = db.prepare(
    `INSERT INTO bench_results (benchmark_id, hardware_hash, value, unit, note, probe, measured_at, details)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (benchmark_id, hardware_hash) DO UPDATE SET value = excluded.value,
       unit = excluded.unit, note = excluded.note, probe = excluded.probe,
       measured_at = excluded.measured_at, details = excluded.details`,
  );
  select.setReadBigInts(true);
  return {
    get(id, hardwareHash) {
      const row = select.get(id, hardwareHash) as CachedRow | undefined;
      return row === undefined ? undefined : toResult(id, row);
    },
    put(result, hardwareHash) {
      upsert.run(
        result.id,
        hardwareHash,
        result.value,
        result.unit,
        result.note,
        result.probe,
        result.measuredAt,
        JSON.stringify(result.details),
      );
    },
  };
}

type CachedRow = {
  value: bigint;
  unit: string;
  note: string;
  probe: string;
  measured_at: bigint;
  details: string;
};

function toResult(id: number, row: CachedRow): BenchResult {
  return {
    id,
    key: "",
    value: row.value,
    unit: row.unit,
    status: "cached",
    note: row.note,
    probe: row.probe,
    measuredAt: Number(row.measured_at),
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}

/**
 * The newest cached result of each benchmark, by id, on hardware
 * `hardwareHash` (on any hardware when undefined): what `status` shows.
 */
export function latestResults(db: DatabaseSync, hardwareHash?: string | undefined): BenchResult[] {
  const newest = db.prepare(
    "SELECT * FROM bench_results WHERE hardware_hash = ? OR ? IS NULL ORDER BY measured_at DESC",
  );
  newest.setReadBigInts(true);
  const hash = hardwareHash ?? null;
  const seen = new Set<number>();
  const out: BenchResult[] = [];
  for (const row of newest.all(hash, hash) as (CachedRow & { benchmark_id: bigint })[]) {
    const id = Number(row.benchmark_id);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(toResult(id, row));
  }
  return out.sort((a, b) => a.id - b.id);
}
