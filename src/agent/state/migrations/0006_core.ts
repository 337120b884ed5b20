import type { Migration } from "./types.ts";

/**
 * Which chain the state's chain tables describe (owner:
 * src/agent/ensure_chain_identity.ts). One row: the chain id, the genesis
 * block's hash (two devnets share a chain id, never a genesis hash) and the
 * Market contract's address. A start on another chain is refused, or, for
 * the embedded devnet, begins the chain tables afresh.
 */
export const migration0006Core: Migration = {
  version: 6,
  name: "chain_identity",
  sql: `
    CREATE TABLE chain_identity (
      id           INTEGER PRIMARY KEY CHECK (id = 1),
      chain_id     INTEGER NOT NULL,
      genesis_hash TEXT NOT NULL,            -- 0x-prefixed, lower-case
      market       TEXT NOT NULL,            -- lower-case address
      recorded_at  INTEGER NOT NULL          -- unix ms
    ) STRICT;
  `,
};
