import type { Migration } from "./types.ts";

/** The agent's own bookkeeping: key/value metadata and its runs. */
export const migration0001Core: Migration = {
  version: 1,
  name: "core",
  sql: `
    CREATE TABLE meta (
      key   TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) STRICT;
    CREATE TABLE agent_runs (
      id          INTEGER PRIMARY KEY,
      started_at  INTEGER NOT NULL,  -- unix ms
      stopped_at  INTEGER,           -- unix ms; NULL while running or after a crash
      end_reason  TEXT CHECK (end_reason IN ('stopped', 'crashed')),  -- NULL while running
      version     TEXT NOT NULL,
      pid         INTEGER NOT NULL
    ) STRICT;
  `,
};
