import type { StatusSnapshot } from "./types.ts";

/**
 * A snapshot with nothing in it yet: what a fresh agent shows before its
 * first sync, and a base for tests.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptySnapshot } from "./empty_snapshot.ts";
 * assert.deepEqual(emptySnapshot(5).deals, []);
 * ```
 */
export function emptySnapshot(now: number): StatusSnapshot {
  return {
    generatedAt: now,
    agent: { version: "", running: false, startedAt: null, pid: null, address: null },
    chain: {
      indexedBlock: null,
      headBlock: null,
      headSeenAt: null,
      lagBlocks: null,
      headAgeSeconds: null,
      unreachableSince: null,
      unreachableReason: null,
      changedSince: null,
      changedReason: null,
    },
    plans: [],
    deals: [],
    dealCounts: { open: 0, closed: 0 },
    earnings: {
      settledTokens: "0",
      pendingTokens: "0",
      settledUsd: 0,
      pendingUsd: 0,
      electricityUsd: 0,
      netUsd: 0,
      rate: null,
      today: { earnedUsd: 0, electricityUsd: 0, netUsd: 0 },
      week: { earnedUsd: 0, electricityUsd: 0, netUsd: 0 },
      perHour: { earnedUsd: 0, electricityUsd: 0, netUsd: 0 },
      series: [],
    },
    tasks: [],
    connectivity: null,
    selftest: null,
    errors: [],
    hardware: null,
    benchmarks: [],
    gpus: [],
    counters: null,
  };
}
