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
import { type OrderColumns, OrderColumnsBuilder } from "../../matcher/mod.ts";

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
const ZERO_TAG = `0x${"0".repeat(64)}`;
/** More benchmarks than any market has: such a row is refused, not stored. */
const MOST_BENCHMARKS = 64;
const TWO_32 = 4294967296;
const SAFE = "9007199254740991";

/** Rows per page: sqlite's `all()` is faster than `iterate()`, and a page bounds the memory. */
const PAGE = 16384;

/** Prepares the statement {@linkcode readActiveOrderColumns} pages through. */
export function prepareActiveOrderColumns(db: DatabaseSync): StatementSync {
  // one pass over the primary key: with a single max() the other columns come from the
  // latest version of each id (sqlite's documented bare-column rule); inactive ones are
  // skipped in the loop. Ids and durations beyond 2^53 come back as -1, refused by the
  // book's checks rather than rounded.
  const statement = db.prepare(
    `SELECT CASE WHEN id > ${SAFE} THEN -1 ELSE id END, order_type, author,
       NULLIF(counterparty, '${ZERO_ADDRESS}'),
       CASE WHEN duration > ${SAFE} THEN -1 ELSE duration END,
       price, netflags, identity_level, NULLIF(blacklist, '${ZERO_ADDRESS}'),
       NULLIF(tag, '${ZERO_TAG}'), benchmarks, status, max(block_number)
     FROM chain_orders WHERE id > ? GROUP BY id ORDER BY id LIMIT ${PAGE}`,
  );
  statement.setReturnArrays(true);
  statement.setReadBigInts(false);
  return statement;
}

/**
 * Pages through the prepared statement into columns (ids ascending, one row
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
  let after = -1;
  for (;;) {
    const rows = statement.all(after) as unknown as unknown[][];
    if (rows.length === 0) break;
    for (let k = 0; k < rows.length; k++) {
      const row = rows[k] as unknown[];
      if (row[11] === 2) addRow(b, row);
    }
    after = (rows[rows.length - 1] as unknown[])[0] as number;
    // an id past 2^53 (read as -1, sorted last) ends the read: the book refuses it
    if (rows.length < PAGE || after < 0) break;
  }
  return b.build();
}

/** One standing order's row (the statement's columns) into the builder. */
function addRow(b: OrderColumnsBuilder, row: unknown[]): void {
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
  if (bench.length > 2) readBenchmarks(b, r, bench);
}

/** `["1","2"]` as the store writes it, scanned in place: no split, slice or BigInt below 2^53. */
function readBenchmarks(b: OrderColumnsBuilder, r: number, text: string): void {
  let i = 0, start = 2, v = 0;
  for (let at = 2; at < text.length; at++) {
    const d = text.charCodeAt(at) - 48;
    if (d >= 0 && d <= 9) {
      v = v * 10 + d;
      continue;
    }
    // the closing quote of a value; anything else is not the store's text
    if (d !== 34 - 48 || i >= MOST_BENCHMARKS) {
      b.benchmarkCount[r] = 255; // refused by the book's checks, never widened to
      return;
    }
    if (at - start <= 15 && at > start) {
      b.setBenchmarkHalves(r, i++, Math.floor(v / TWO_32), v % TWO_32);
    } else b.setBenchmarkText(r, i++, text.slice(start, at)); // 2^53 and up: exact through BigInt
    start = at + 3; // past `","`
    at += 2;
    v = 0;
  }
}
