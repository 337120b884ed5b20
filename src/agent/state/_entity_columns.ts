/**
 * The versioned chain tables' columns, defined once as data: for each field
 * of an entity, its column and how it is written and read. The insert
 * statement, the values of a write and the entity of a row all come from it.
 *
 * @module
 */
import type { SQLInputValue, SQLOutputValue } from "node:sqlite";
import type { ChangeRequestState, DealState, DealStatus, OrderState } from "../../chain/mod.ts";
import type { Address, Bytes32, IdentityLevel } from "../../matcher/mod.ts";

/** One field's column: its name, and the field's value as stored and back. */
type Column<V> = { column: string; write(value: V): SQLInputValue; read(cell: SQLOutputValue): V };

/** A column per field of `T`, in the table's order. */
export type EntityColumns<T> = { [K in keyof T]-?: Column<T[K]> };

const same = <V extends SQLInputValue>(column: string): Column<V> => ({
  column,
  write: (value) => value,
  read: (cell) => cell as V,
});
/** A bigint kept as its decimal text (sqlite's integers stop at 2^63). */
const decimal = (column: string): Column<bigint> => ({
  column,
  write: (value) => value.toString(),
  read: (cell) => BigInt(cell as string),
});

/** netflags as stored (`[true,false]`), without a JSON parse. */
export function parseNetflags(text: string): boolean[] {
  if (text.length <= 2) return [];
  const parts = text.slice(1, -1).split(",");
  const out: boolean[] = new Array(parts.length);
  for (let i = 0; i < parts.length; i++) out[i] = parts[i] === "true";
  return out;
}

/** benchmarks as stored (`["1","2"]`), without a JSON parse. */
export function parseBenchmarks(text: string): bigint[] {
  if (text.length <= 2) return [];
  const parts = text.slice(2, -2).split('","');
  const out: bigint[] = new Array(parts.length);
  for (let i = 0; i < parts.length; i++) out[i] = BigInt(parts[i] as string);
  return out;
}

/** Benchmarks as the JSON array of decimal strings the table keeps. */
function benchmarksText(values: readonly bigint[]): string {
  return values.length === 0 ? "[]" : `["${values.join('","')}"]`;
}

const DEAL_STATUS: Record<number, DealStatus> = { 1: "ACCEPTED", 2: "CLOSED" };
const CR_STATUS: Record<number, ChangeRequestState["status"]> = {
  1: "CREATED",
  2: "CANCELED",
  3: "REJECTED",
  4: "ACCEPTED",
};
/** A change request's status as `chain_change_requests` stores it. */
export const CR_STATUS_CODE = { CREATED: 1, CANCELED: 2, REJECTED: 3, ACCEPTED: 4 } as const;

/** `chain_orders`. */
export const ORDER_COLUMNS: EntityColumns<OrderState> = {
  id: same("id"),
  type: {
    column: "order_type",
    write: (t) => (t === "BID" ? 1 : 2),
    read: (c) => (c === 1n ? "BID" : "ASK"),
  },
  active: { column: "status", write: (a) => (a ? 2 : 1), read: (c) => c === 2n },
  author: same<Address>("author"),
  counterparty: same<Address>("counterparty"),
  duration: same<bigint>("duration"),
  price: decimal("price"),
  netflags: {
    column: "netflags",
    write: (n) => JSON.stringify(n),
    read: (c) => parseNetflags(c as string),
  },
  identityLevel: {
    column: "identity_level",
    write: (l) => l,
    read: (c) => Number(c) as IdentityLevel,
  },
  blacklist: same<Address>("blacklist"),
  tag: same<Bytes32>("tag"),
  benchmarks: {
    column: "benchmarks",
    write: benchmarksText,
    read: (c) => parseBenchmarks(c as string),
  },
  frozenSum: decimal("frozen_sum"),
  dealId: same<bigint>("deal_id"),
};

/** `chain_deals`. */
export const DEAL_COLUMNS: EntityColumns<DealState> = {
  id: same("id"),
  askId: same<bigint>("ask_id"),
  bidId: same<bigint>("bid_id"),
  supplier: same<Address>("supplier"),
  consumer: same<Address>("consumer"),
  master: same<Address>("master"),
  duration: same<bigint>("duration"),
  price: decimal("price"),
  startTime: same<bigint>("start_time"),
  endTime: same<bigint>("end_time"),
  status: {
    column: "status",
    write: (s) => (s === "ACCEPTED" ? 1 : 2),
    read: (c) => DEAL_STATUS[Number(c)] ?? "CLOSED",
  },
  blockedBalance: decimal("blocked_balance"),
  totalPayout: decimal("total_payout"),
  lastBillTime: same<bigint>("last_bill_time"),
};

/** `chain_change_requests`. */
export const CHANGE_REQUEST_COLUMNS: EntityColumns<ChangeRequestState> = {
  id: same("id"),
  dealId: same<bigint>("deal_id"),
  side: {
    column: "request_type",
    write: (s) => (s === "BID" ? 1 : 2),
    read: (c) => (c === 1n ? "BID" : "ASK"),
  },
  price: decimal("price"),
  duration: same<bigint>("duration"),
  status: {
    column: "status",
    write: (s) => CR_STATUS_CODE[s],
    read: (c) => CR_STATUS[Number(c)] ?? "CANCELED",
  },
};

/** `INSERT OR REPLACE` of one version of an entity: its columns and `block_number`. */
export function insertSql<T>(table: string, columns: EntityColumns<T>): string {
  const names = Object.values<Column<unknown>>(columns).map((c) => c.column);
  return `INSERT OR REPLACE INTO ${table} (${names.join(", ")}, block_number)
    VALUES (${names.map(() => "?").join(", ")}, ?)`;
}

/**
 * The values of {@linkcode insertSql}'s statement for an entity at a block:
 * a function built once per table (a plain loop over the fields, on the
 * indexer's hot path).
 */
export function insertValuesOf<T>(
  columns: EntityColumns<T>,
): (entity: T, blockNumber: bigint) => SQLInputValue[] {
  const fields = Object.keys(columns) as (keyof T)[];
  const writers = fields.map((key) => columns[key].write as (value: unknown) => SQLInputValue);
  const n = fields.length;
  return (entity, blockNumber) => {
    const out: SQLInputValue[] = new Array(n + 1);
    for (let i = 0; i < n; i++) out[i] = writers[i]!(entity[fields[i]!]);
    out[n] = blockNumber;
    return out;
  };
}

/** The entity of a row read with `SELECT *`: a function built once per table. */
export function entityOf<T>(columns: EntityColumns<T>): (row: Record<string, unknown>) => T {
  const fields = Object.keys(columns) as (keyof T)[];
  const names = fields.map((key) => columns[key].column);
  const readers = fields.map((key) => columns[key].read as (cell: SQLOutputValue) => unknown);
  const n = fields.length;
  return (row) => {
    const out = {} as Record<keyof T, unknown>;
    for (let i = 0; i < n; i++) out[fields[i]!] = readers[i]!(row[names[i]!] as SQLOutputValue);
    return out as T;
  };
}
