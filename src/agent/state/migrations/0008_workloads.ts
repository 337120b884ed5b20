import type { Migration } from "./types.ts";

/**
 * Deals' tasks and the task protocol's nonces (owner: src/agent/tasks_table.ts).
 *
 * `tasks` is the journal of the deal -> task reconciler: a row is written
 * (state `starting`) before any container call, its container id before the
 * container starts, and its end before the container is removed, so a restart
 * at any point converges with Docker (containers by `sonm.*` label) and the
 * chain (open deals). `request_nonces` keeps every accepted request's nonce per
 * signer, so a replay is refused even after a restart. `plan_overrides` keeps
 * what administrators changed through the task protocol (a paused plan, a
 * new price) across restarts.
 */
export const migration0008Workloads: Migration = {
  version: 8,
  name: "workloads",
  sql: `
    CREATE TABLE tasks (
      deal_id      INTEGER NOT NULL,
      task_id      INTEGER NOT NULL,          -- 1, 2, ... within the deal
      spec         TEXT NOT NULL,             -- the consumer's task spec, JSON
      image        TEXT NOT NULL,
      container_id TEXT,                      -- NULL until the container is created
      state        TEXT NOT NULL CHECK (state IN
                     ('starting', 'running', 'exited', 'oom-killed', 'failed', 'stopped')),
      exit_code    INTEGER,
      message      TEXT,
      ports        TEXT NOT NULL DEFAULT '[]', -- JSON [{containerPort, protocol, hostPort}]
      created_at   INTEGER NOT NULL,          -- unix ms
      started_at   INTEGER,                   -- unix ms
      finished_at  INTEGER,                   -- unix ms
      PRIMARY KEY (deal_id, task_id)
    ) STRICT;
    CREATE INDEX tasks_state ON tasks (state);
    CREATE TABLE request_nonces (
      signer   TEXT NOT NULL,                 -- lower-case address
      nonce    TEXT NOT NULL,                 -- decimal uint256
      action   TEXT NOT NULL,
      deal_id  TEXT NOT NULL,
      expiry   INTEGER NOT NULL,              -- unix seconds
      seen_at  INTEGER NOT NULL,              -- unix ms
      PRIMARY KEY (signer, nonce)
    ) STRICT;
    CREATE TABLE plan_overrides (
      plan               TEXT PRIMARY KEY,    -- a config plan's name
      paused             INTEGER NOT NULL DEFAULT 0,
      price_usd_per_hour TEXT,                -- exact decimal; NULL: the config's price
      updated_at         INTEGER NOT NULL,    -- unix ms
      updated_by         TEXT NOT NULL        -- the administrator's address
    ) STRICT;
  `,
};
