/**
 * The `task_restarts` and `lost_deals` tables (migration 0009_task_faults):
 * restarts of tasks the rig lost, and deals it gave up on. Owner: the task
 * reconciler; the bill step reads the lost deals, `status` and the task
 * protocol read the restarts.
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";

/** One restart of a task the rig lost. */
export type TaskRestart = { at: number; reason: string };

/** The tables' operations. */
export type TaskFaultsTable = {
  /** Records a restart of a task (before the restart is carried out). */
  recordRestart(dealId: bigint, taskId: number, restart: TaskRestart): void;
  /** The task's restarts, oldest first (at most the last `limit`). */
  restarts(dealId: bigint, taskId: number, limit?: number): TaskRestart[];
  /** How many restarts the task had at or after `since` (unix ms). */
  restartsSince(dealId: bigint, taskId: number, since: number): number;
  /** Records a deal given up on; the first reason stays. */
  markLost(dealId: bigint, reason: string, at: number): void;
  /** Deals given up on. */
  lostDeals(): Set<bigint>;
  /** Forgets everything (a new devnet chain: these deal ids name nothing any more). */
  clear(): void;
};

/**
 * Opens the tables over the agent's state database.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openState } from "./state.ts";
 * import { taskFaultsTable } from "./task_faults.ts";
 * const state = openState({ path: ":memory:" });
 * const faults = taskFaultsTable(state.db);
 * faults.recordRestart(7n, 1, { at: 1000, reason: "container removed" });
 * faults.recordRestart(7n, 1, { at: 5000, reason: "dockerd restarted" });
 * assert.equal(faults.restartsSince(7n, 1, 2000), 1);
 * assert.deepEqual(faults.restarts(7n, 1).map((r) => r.reason), ["container removed", "dockerd restarted"]);
 * faults.markLost(7n, "lost 4 times", 6000);
 * assert.deepEqual([...faults.lostDeals()], [7n]);
 * state.close();
 * ```
 */
export function taskFaultsTable(db: DatabaseSync): TaskFaultsTable {
  const q = {
    add: db.prepare("INSERT INTO task_restarts (deal_id, task_id, at, reason) VALUES (?, ?, ?, ?)"),
    list: db.prepare(
      `SELECT at, reason FROM (SELECT at, reason, rowid AS r FROM task_restarts
         WHERE deal_id = ? AND task_id = ? ORDER BY at DESC, r DESC LIMIT ?) ORDER BY at, r`,
    ),
    since: db.prepare(
      "SELECT COUNT(*) AS n FROM task_restarts WHERE deal_id = ? AND task_id = ? AND at >= ?",
    ),
    lost: db.prepare(
      "INSERT INTO lost_deals (deal_id, reason, at) VALUES (?, ?, ?) ON CONFLICT (deal_id) DO NOTHING",
    ),
    lostAll: db.prepare("SELECT deal_id FROM lost_deals"),
  };
  return {
    recordRestart: (dealId, taskId, r) => void q.add.run(dealId, taskId, r.at, r.reason),
    restarts: (dealId, taskId, limit = 20) =>
      (q.list.all(dealId, taskId, limit) as { at: number | bigint; reason: string }[])
        .map((r) => ({ at: Number(r.at), reason: String(r.reason) })),
    restartsSince: (dealId, taskId, since) =>
      Number((q.since.get(dealId, taskId, since) as { n: number | bigint }).n),
    markLost: (dealId, reason, at) => void q.lost.run(dealId, reason, at),
    lostDeals: () =>
      new Set((q.lostAll.all() as { deal_id: number | bigint }[]).map((r) => BigInt(r.deal_id))),
    clear: () => db.exec("DELETE FROM task_restarts; DELETE FROM lost_deals"),
  };
}
