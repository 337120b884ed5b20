/**
 * Reads the standing orders of `chain_orders` straight into the matcher's
 * {@linkcode OrderColumns}: rows as arrays, integers as numbers (no bigint),
 * prices and benchmarks parsed from their decimal text without BigInt when
 * they fit in 53 bits, addresses interned once per distinct value, zero
 * addresses and tags left to sqlite (NULL). The way a market view loads a
 * million orders.
 *
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { type OrderColumns, OrderColumnsBuilder } from "../matcher/mod.ts";

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
const ZERO_TAG = `0x${"0".repeat(64)}`;
/** More benchmarks than any market has: such a row is refused, not stored. */
const MOST_BENCHMARKS = 64;
const SAFE = "9007199254740991";

/** Prepares the statement {@linkcode readActiveOrderColumns} steps through. */
export function prepareActiveOrderColumns(db: DatabaseSync): StatementSync {
  // ids and durations beyond 2^53 come back as -1 (refused by the book's checks, not rounded)
  const statement = db.prepare(
    `SELECT CASE WHEN id > ${SAFE} THEN -1 ELSE id END, order_type, author,
       NULLIF(counterparty, '${ZERO_ADDRESS}'),
       CASE WHEN duration > ${SAFE} THEN -1 ELSE duration END,
       price, netflags, identity_level, NULLIF(blacklist, '${ZERO_ADDRESS}'),
       NULLIF(tag, '${ZERO_TAG}'), benchmarks
     FROM chain_orders o
     WHERE status = 2 AND NOT EXISTS (
       SELECT 1 FROM chain_orders n WHERE n.id = o.id AND n.block_number > o.block_number)
     ORDER BY id`,
  );
  statement.setReturnArrays(true);
  statement.setReadBigInts(false);
  return statement;
}

/**
 * Steps through the prepared statement into columns (ids ascending, one row
 * per standing order); `count` sizes the first allocation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openState } from "./state.ts";
 * import { prepareActiveOrderColumns, readActiveOrderColumns } from "./_active_order_columns.ts";
 * const state = openState({ path: ":memory:" });
 * const columns = readActiveOrderColumns(prepareActiveOrderColumns(state.db), 0);
 * assert.equal(columns.count, 0);
 * state.close();
 * ```
 */
export function readActiveOrderColumns(statement: StatementSync, count: number): OrderColumns {
  const b = new OrderColumnsBuilder(count + 16, 13);
  for (const row of statement.iterate() as Iterable<unknown[]>) {
    const r = b.addRow(row[0] as number, row[1] === 1, b.address(row[2] as string));
    const cp = row[3] as string | null, bl = row[8] as string | null, tag = row[9] as string | null;
    if (cp !== null) b.counterparty[r] = b.address(cp);
    if (bl !== null) b.blacklist[r] = b.address(bl);
    if (tag !== null) b.tag[r] = b.tagIndex(tag);
    b.duration[r] = row[4] as number;
    b.setPriceText(r, row[5] as string);
    const flags = row[6] as string;
    if (flags.length > 2) {
      // `[true,false]` as written by JSON.stringify
      const parts = flags.slice(1, -1).split(",");
      let mask = 0;
      for (let i = 0; i < parts.length; i++) if (parts[i] === "true") mask |= 1 << i;
      b.netflagMask[r] = mask;
      b.netflagCount[r] = Math.min(parts.length, 255);
    }
    b.identityLevel[r] = Math.min(row[7] as number, 255); // the book refuses above 3
    const bench = row[10] as string;
    if (bench.length > 2) {
      // `["1","2"]` as the store writes it
      const parts = bench.slice(2, -2).split('","');
      if (parts.length > MOST_BENCHMARKS) {
        b.benchmarkCount[r] = 255; // refused by the book's checks, never widened to
        continue;
      }
      for (let i = 0; i < parts.length; i++) b.setBenchmarkText(r, i, parts[i] as string);
      b.benchmarkCount[r] = parts.length;
    }
  }
  return b.build();
}
