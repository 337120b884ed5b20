import type { Migration } from "./types.ts";

/**
 * The chain layer's indexed state (owner: src/agent/chain_store.ts).
 *
 * Market objects are kept as versions: one row per object per block where
 * it changed, with its full state as read at that block. The current state
 * is the row with the highest block; a reorg rolls back by deleting every
 * row above the common ancestor. int64 values are INTEGER (read as bigint);
 * uint256 amounts and prices are TEXT decimal.
 */
export const migration0002Chain: Migration = {
  version: 2,
  name: "chain",
  sql: `
    CREATE TABLE chain_blocks (
      number       INTEGER PRIMARY KEY,
      hash         TEXT NOT NULL,
      parent_hash  TEXT NOT NULL,
      timestamp    INTEGER NOT NULL            -- unix seconds
    ) STRICT;
    CREATE TABLE chain_events (
      block_number INTEGER NOT NULL,
      log_index    INTEGER NOT NULL,
      tx_hash      TEXT NOT NULL,
      contract     TEXT NOT NULL,              -- market, blacklist, profiles
      name         TEXT NOT NULL,
      args         TEXT NOT NULL,              -- JSON, bigints as decimal strings
      PRIMARY KEY (block_number, log_index)
    ) STRICT;
    CREATE TABLE chain_orders (
      id             INTEGER NOT NULL,
      block_number   INTEGER NOT NULL,
      order_type     INTEGER NOT NULL,         -- 1 BID, 2 ASK
      status         INTEGER NOT NULL,         -- 1 inactive, 2 active
      author         TEXT NOT NULL,
      counterparty   TEXT NOT NULL,
      duration       INTEGER NOT NULL,
      price          TEXT NOT NULL,
      netflags       TEXT NOT NULL,            -- JSON bool[]
      identity_level INTEGER NOT NULL,
      blacklist      TEXT NOT NULL,
      tag            TEXT NOT NULL,
      benchmarks     TEXT NOT NULL,            -- JSON decimal strings
      frozen_sum     TEXT NOT NULL,
      deal_id        INTEGER NOT NULL,
      PRIMARY KEY (id, block_number)
    ) STRICT;
    CREATE INDEX chain_orders_status ON chain_orders (status, id);
    CREATE TABLE chain_deals (
      id              INTEGER NOT NULL,
      block_number    INTEGER NOT NULL,
      ask_id          INTEGER NOT NULL,
      bid_id          INTEGER NOT NULL,
      supplier        TEXT NOT NULL,
      consumer        TEXT NOT NULL,
      master          TEXT NOT NULL,
      duration        INTEGER NOT NULL,
      price           TEXT NOT NULL,
      start_time      INTEGER NOT NULL,
      end_time        INTEGER NOT NULL,
      status          INTEGER NOT NULL,        -- 1 accepted, 2 closed
      blocked_balance TEXT NOT NULL,
      total_payout    TEXT NOT NULL,
      last_bill_time  INTEGER NOT NULL,
      PRIMARY KEY (id, block_number)
    ) STRICT;
    CREATE TABLE chain_change_requests (
      id           INTEGER NOT NULL,
      block_number INTEGER NOT NULL,
      deal_id      INTEGER NOT NULL,
      request_type INTEGER NOT NULL,           -- 1 consumer side, 2 supplier side
      price        TEXT NOT NULL,
      duration     INTEGER NOT NULL,
      status       INTEGER NOT NULL,           -- 1 created, 2 canceled, 3 rejected, 4 accepted
      PRIMARY KEY (id, block_number)
    ) STRICT;
    CREATE TABLE chain_bills (
      block_number INTEGER NOT NULL,
      log_index    INTEGER NOT NULL,
      deal_id      INTEGER NOT NULL,
      paid_amount  TEXT NOT NULL,
      tx_hash      TEXT NOT NULL,
      PRIMARY KEY (block_number, log_index)
    ) STRICT;
    CREATE INDEX chain_bills_deal ON chain_bills (deal_id);
    CREATE TABLE chain_workers (
      worker         TEXT NOT NULL,            -- lower-case address
      block_number   INTEGER NOT NULL,
      master         TEXT NOT NULL,            -- confirmed master, 0x0 when none
      pending_master TEXT NOT NULL,            -- requested master, 0x0 when none
      PRIMARY KEY (worker, block_number)
    ) STRICT;
    CREATE TABLE chain_levels (
      who          TEXT NOT NULL,
      block_number INTEGER NOT NULL,
      level        INTEGER NOT NULL,
      PRIMARY KEY (who, block_number)
    ) STRICT;
    CREATE TABLE chain_blacklist (
      owner        TEXT NOT NULL,
      who          TEXT NOT NULL,
      block_number INTEGER NOT NULL,
      listed       INTEGER NOT NULL,           -- 0 or 1
      PRIMARY KEY (owner, who, block_number)
    ) STRICT;
    CREATE TABLE chain_tx_nonces (
      address    TEXT PRIMARY KEY,             -- lower-case sender address
      nonce      INTEGER NOT NULL,             -- last nonce used
      tx_hash    TEXT NOT NULL,
      updated_at INTEGER NOT NULL              -- unix ms
    ) STRICT;
  `,
};
