import type { DatabaseSync } from "node:sqlite";

/** One run of the agent as `agent_runs` keeps it. */
export type AgentRun = { startedAt: number; stoppedAt: number | null; pid: number };

/**
 * Records the start of a run (the owner of `agent_runs`). Runs that never
 * recorded their stop are marked `crashed` first: their count comes back, so
 * the agent says the last run did not stop cleanly.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openState } from "./state.ts";
 * import { lastRun, recordRunStart, recordRunStop } from "./agent_runs.ts";
 * const { db, close } = openState({ path: ":memory:" });
 * const first = recordRunStart(db, { now: 1000, version: "1.0.0", pid: 7 });
 * assert.equal(first.crashedRuns, 0);
 * assert.equal(recordRunStart(db, { now: 2000, version: "1.0.0", pid: 8 }).crashedRuns, 1);
 * recordRunStop(db, first.runId, 3000);
 * assert.deepEqual(lastRun(db), { startedAt: 2000, stoppedAt: null, pid: 8 });
 * close();
 * ```
 */
export function recordRunStart(
  db: DatabaseSync,
  run: { now: number; version: string; pid: number },
): { runId: bigint; crashedRuns: number } {
  const crashed = db.prepare(
    "UPDATE agent_runs SET end_reason = 'crashed' WHERE end_reason IS NULL RETURNING id",
  ).all();
  const row = db.prepare(
    "INSERT INTO agent_runs (started_at, version, pid) VALUES (?, ?, ?) RETURNING id",
  ).get(run.now, run.version, run.pid) as { id: bigint };
  return { runId: row.id, crashedRuns: crashed.length };
}

/** Records that run `runId` stopped cleanly at `now` (ms). */
export function recordRunStop(db: DatabaseSync, runId: bigint, now: number): void {
  db.prepare("UPDATE agent_runs SET stopped_at = ?, end_reason = 'stopped' WHERE id = ?")
    .run(now, runId);
}

/** The newest run, or undefined when the agent never ran on this state. */
export function lastRun(db: DatabaseSync): AgentRun | undefined {
  const r = db.prepare(
    "SELECT started_at, stopped_at, pid FROM agent_runs ORDER BY id DESC LIMIT 1",
  )
    .get() as { started_at: number; stopped_at: number | null; pid: number } | undefined;
  if (r === undefined) return undefined;
  return {
    startedAt: Number(r.started_at),
    stoppedAt: r.stopped_at === null ? null : Number(r.stopped_at),
    pid: Number(r.pid),
  };
}

/** When the agent first ran on this state, ms (the electricity bill counts from it). */
export function firstRunStart(db: DatabaseSync): number | undefined {
  const r = db.prepare("SELECT MIN(started_at) AS t FROM agent_runs").get() as
    | { t: number | bigint | null }
    | undefined;
  return r?.t === null || r?.t === undefined ? undefined : Number(r.t);
}
