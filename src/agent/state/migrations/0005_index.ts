import type { Migration } from "./types.ts";

/**
 * Indexes by block on the chain layer's versioned tables (owner:
 * src/agent/chain_store.ts): a rollback, the list of what the blocks above a
 * number changed, and pruning read rows by block, which in a market of a
 * million orders must not scan every row.
 */
export const migration0005Index: Migration = {
  version: 5,
  name: "chain block indexes",
  sql: `
    CREATE INDEX chain_orders_block ON chain_orders (block_number);
    CREATE INDEX chain_deals_block ON chain_deals (block_number);
    CREATE INDEX chain_change_requests_block ON chain_change_requests (block_number);
    CREATE INDEX chain_workers_block ON chain_workers (block_number);
    CREATE INDEX chain_levels_block ON chain_levels (block_number);
    CREATE INDEX chain_blacklist_block ON chain_blacklist (block_number);
  `,
};
