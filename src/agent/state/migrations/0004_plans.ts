import type { Migration } from "./types.ts";

/**
 * The ASK orders the agent placed for its plans (owner: src/agent/market_loop.ts
 * through its private `_plan_orders.ts`). One row per order: the plan it
 * serves and a hash of the order's parameters, so a restart keeps an
 * unchanged order and replaces a changed one. The plan's current order is its
 * row with `retired_at` NULL; retired rows stay, so the deals of a plan can be
 * found from their ASK ids.
 */
export const migration0004Plans: Migration = {
  version: 4,
  name: "plans",
  sql: `
    CREATE TABLE plan_orders (
      order_id      INTEGER PRIMARY KEY,     -- the ASK's id on chain
      plan          TEXT NOT NULL,           -- the config plan's name
      params_hash   TEXT NOT NULL,           -- hex hash of the order's parameters
      placed_at     INTEGER NOT NULL,        -- unix ms (placed or adopted)
      retired_at    INTEGER,                 -- unix ms; NULL while it is the plan's order
      retire_reason TEXT CHECK (retire_reason IN ('taken', 'cancelled', 'changed', 'removed', 'gone'))
    ) STRICT;
    CREATE UNIQUE INDEX plan_orders_current ON plan_orders (plan) WHERE retired_at IS NULL;
  `,
};
