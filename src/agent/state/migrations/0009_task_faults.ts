import type { Migration } from "./types.ts";

/**
 * Tasks the rig lost, and deals it gave up on (owner: src/agent/state/task_faults.ts).
 *
 * `task_restarts` keeps one row per restart of a task the rig lost for a
 * rig-side reason (a dockerd restart, its container removed from outside,
 * the host rebooted): the restart budget counts them in a window, and the
 * consumer sees them in the task's status. `lost_deals` keeps the deals whose
 * task was lost more often than the budget allows: they are never billed
 * again and the rig closes them where the contract lets it.
 */
export const migration0009TaskFaults: Migration = {
  version: 9,
  name: "task_faults",
  sql: `
    CREATE TABLE task_restarts (
      deal_id  INTEGER NOT NULL,
      task_id  INTEGER NOT NULL,
      at       INTEGER NOT NULL,              -- unix ms
      reason   TEXT NOT NULL
    ) STRICT;
    CREATE INDEX task_restarts_task ON task_restarts (deal_id, task_id, at);
    CREATE TABLE lost_deals (
      deal_id  INTEGER PRIMARY KEY,
      reason   TEXT NOT NULL,
      at       INTEGER NOT NULL               -- unix ms
    ) STRICT;
  `,
};
