import type { Migration } from "./types.ts";

/**
 * Benchmark results cache (owner: src/bench's `createSqliteResultCache`):
 * one row per benchmark and hardware hash. The probe column holds
 * `name@version`; a row measured by another probe version is measured again.
 */
export const migration0003Bench: Migration = {
  version: 3,
  name: "bench",
  sql: `
    CREATE TABLE bench_results (
      benchmark_id  INTEGER NOT NULL,
      hardware_hash TEXT NOT NULL,     -- sha256 hex of the hardware identity
      value         INTEGER NOT NULL,  -- the int64 offered on the market
      unit          TEXT NOT NULL,
      note          TEXT NOT NULL,
      probe         TEXT NOT NULL,     -- e.g. "gpu-cuda@2", "sysbench@1"
      measured_at   INTEGER NOT NULL,  -- unix ms
      details       TEXT NOT NULL,     -- JSON: the probe's output worth keeping
      PRIMARY KEY (benchmark_id, hardware_hash)
    ) STRICT;
  `,
};
