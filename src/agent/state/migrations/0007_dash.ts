import type { Migration } from "./types.ts";

/**
 * The agent's recent warnings and errors (owner: src/agent/error_log.ts), so
 * `sonm-agent status` and the dashboard show them from another process. A
 * ring: the writer keeps the newest rows only.
 */
export const migration0007Dash: Migration = {
  version: 7,
  name: "dash",
  sql: `
    CREATE TABLE agent_errors (
      id         INTEGER PRIMARY KEY,
      at         INTEGER NOT NULL,             -- unix ms
      level      TEXT NOT NULL CHECK (level IN ('warn', 'error')),
      component  TEXT NOT NULL,
      message    TEXT NOT NULL,
      fields     TEXT NOT NULL                 -- JSON, secrets already redacted
    ) STRICT;
  `,
};
