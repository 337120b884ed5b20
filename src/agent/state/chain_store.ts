import { inTransaction } from "./transaction.ts";
import type { DatabaseSync, SQLInputValue, SQLOutputValue, StatementSync } from "node:sqlite";
import type {
  BillRecord,
  BlockUpdate,
  ChainEvent,
  ChainStore,
  ChangeRequestState,
  DealState,
  DealStatus,
  IndexedBlock,
  NonceEntry,
  NonceStore,
  OrderState,
  TouchedKeys,
  WorkerState,
} from "../../chain/mod.ts";
import { ZERO_ADDRESS } from "../../internal/mod.ts";
import type {
  Address,
  Bytes32,
  IdentityLevel,
  MarketViewData,
  MarketViews,
  OrderColumns,
} from "../../matcher/mod.ts";
import { prepareActiveOrderColumns, readActiveOrderColumns } from "./_active_order_columns.ts";

/** The sqlite chain store: the indexer's {@linkcode ChainStore} and the tx sender's {@linkcode NonceStore}. */
export type SqliteChainStore = ChainStore & NonceStore & {
  /** Forgets everything indexed and every nonce (the state moves to a new chain). */
  clear(): void;
  /**
   * The standing orders (as `activeOrders`, ids ascending) as the matcher's
   * columns, for `OrderBook.loadColumns`: no object or bigint per order.
   */
  activeOrderColumns(): OrderColumns;
};

const DEAL_STATUS: Record<number, DealStatus> = { 1: "ACCEPTED", 2: "CLOSED" };
const CR_STATUS: Record<number, ChangeRequestState["status"]> = {
  1: "CREATED",
  2: "CANCELED",
  3: "REJECTED",
  4: "ACCEPTED",
};
const CR_STATUS_CODE = { CREATED: 1, CANCELED: 2, REJECTED: 3, ACCEPTED: 4 } as const;

type Row = Record<string, SQLInputValue>;

function arrays(statement: StatementSync): StatementSync {
  statement.setReturnArrays(true);
  return statement;
}

/** netflags as stored (`[true,false]`), without a JSON parse. */
function parseNetflags(text: string): boolean[] {
  if (text.length <= 2) return [];
  const parts = text.slice(1, -1).split(",");
  const out: boolean[] = new Array(parts.length);
  for (let i = 0; i < parts.length; i++) out[i] = parts[i] === "true";
  return out;
}

/** benchmarks as stored (`["1","2"]`), without a JSON parse. */
function parseBenchmarks(text: string): bigint[] {
  if (text.length <= 2) return [];
  const parts = text.slice(2, -2).split('","');
  const out: bigint[] = new Array(parts.length);
  for (let i = 0; i < parts.length; i++) out[i] = BigInt(parts[i] as string);
  return out;
}

/** A row of the `active` statement (its column order) as an order. */
function activeRowToOrder(r: SQLOutputValue[]): OrderState {
  return {
    id: r[0] as bigint,
    type: r[1] === 1n ? "BID" : "ASK",
    active: true,
    author: r[2] as Address,
    counterparty: r[3] as Address,
    duration: r[4] as bigint,
    price: BigInt(r[5] as string),
    netflags: parseNetflags(r[6] as string),
    identityLevel: Number(r[7]) as IdentityLevel,
    blacklist: r[8] as Address,
    tag: r[9] as Bytes32,
    benchmarks: parseBenchmarks(r[10] as string),
    frozenSum: BigInt(r[11] as string),
    dealId: r[12] as bigint,
  };
}

/** Benchmarks as the JSON array of decimal strings the table keeps. */
function benchmarksText(values: readonly bigint[]): string {
  return values.length === 0 ? "[]" : `["${values.join('","')}"]`;
}

/** Tables whose rows belong to a block (deleted on rollback). */
const BLOCK_TABLES = [
  "chain_events",
  "chain_orders",
  "chain_deals",
  "chain_change_requests",
  "chain_bills",
  "chain_workers",
  "chain_levels",
  "chain_blacklist",
  "chain_blocks",
] as const;

/**
 * Creates the sqlite implementation of the chain store over the agent's
 * state database (migration 0002_chain must have run; the connection must
 * read int64 as bigint, as `openState` sets up).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openState } from "./state.ts";
 * import { createChainStore } from "./chain_store.ts";
 * const state = openState({ path: ":memory:" });
 * const store = createChainStore(state.db);
 * assert.equal(store.lastIndexed(), undefined);
 * state.close();
 * ```
 */
export function createChainStore(db: DatabaseSync): SqliteChainStore {
  const q = {
    lastBlock: db.prepare("SELECT number, hash FROM chain_blocks ORDER BY number DESC LIMIT 1"),
    recent: db.prepare(
      "SELECT number, hash FROM chain_blocks WHERE number <= ? ORDER BY number DESC LIMIT ?",
    ),
    insBlock: db.prepare(
      "INSERT INTO chain_blocks (number, hash, parent_hash, timestamp) VALUES (?, ?, ?, ?)",
    ),
    insEvent: db.prepare(
      `INSERT INTO chain_events (block_number, log_index, tx_hash, contract, name, args)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    insOrder: db.prepare(
      `INSERT OR REPLACE INTO chain_orders (id, block_number, order_type, status, author,
         counterparty, duration, price, netflags, identity_level, blacklist, tag, benchmarks,
         frozen_sum, deal_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insDeal: db.prepare(
      `INSERT OR REPLACE INTO chain_deals (id, block_number, ask_id, bid_id, supplier, consumer,
         master, duration, price, start_time, end_time, status, blocked_balance, total_payout,
         last_bill_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insCr: db.prepare(
      `INSERT OR REPLACE INTO chain_change_requests (id, block_number, deal_id, request_type, price,
         duration, status) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    insBill: db.prepare(
      `INSERT INTO chain_bills (block_number, log_index, deal_id, paid_amount, tx_hash)
       VALUES (?, ?, ?, ?, ?)`,
    ),
    insWorker: db.prepare(
      `INSERT OR REPLACE INTO chain_workers (worker, block_number, master, pending_master)
       VALUES (?, ?, ?, ?)`,
    ),
    insLevel: db.prepare(
      "INSERT OR REPLACE INTO chain_levels (who, block_number, level) VALUES (?, ?, ?)",
    ),
    insListed: db.prepare(
      `INSERT OR REPLACE INTO chain_blacklist (owner, who, block_number, listed)
       VALUES (?, ?, ?, ?)`,
    ),
    order: db.prepare(
      "SELECT * FROM chain_orders WHERE id = ? ORDER BY block_number DESC LIMIT 1",
    ),
    deal: db.prepare("SELECT * FROM chain_deals WHERE id = ? ORDER BY block_number DESC LIMIT 1"),
    cr: db.prepare(
      "SELECT * FROM chain_change_requests WHERE id = ? ORDER BY block_number DESC LIMIT 1",
    ),
    // a market's whole book at start: arrays, not row objects, and only the columns it needs
    active: arrays(db.prepare(
      `SELECT id, order_type, author, counterparty, duration, price, netflags, identity_level,
         blacklist, tag, benchmarks, frozen_sum, deal_id FROM chain_orders o
       WHERE status = 2 AND NOT EXISTS (
         SELECT 1 FROM chain_orders n WHERE n.id = o.id AND n.block_number > o.block_number)
       ORDER BY id`,
    )),
    activeColumns: prepareActiveOrderColumns(db),
    activeCount: db.prepare("SELECT count(*) AS n FROM chain_orders WHERE status = 2"),
    deals: db.prepare(
      `SELECT d.* FROM chain_deals d
       WHERE d.block_number = (SELECT MAX(block_number) FROM chain_deals WHERE id = d.id)
       ORDER BY d.id`,
    ),
    bills: db.prepare(
      "SELECT * FROM chain_bills WHERE deal_id = ? ORDER BY block_number, log_index",
    ),
    events: db.prepare(
      `SELECT * FROM chain_events WHERE block_number >= ? ORDER BY block_number, log_index
       LIMIT ?`,
    ),
    touched: {
      orders: db.prepare("SELECT DISTINCT id FROM chain_orders WHERE block_number > ? ORDER BY id"),
      deals: db.prepare("SELECT DISTINCT id FROM chain_deals WHERE block_number > ? ORDER BY id"),
      workers: db.prepare("SELECT DISTINCT worker FROM chain_workers WHERE block_number > ?"),
      levels: db.prepare("SELECT DISTINCT who FROM chain_levels WHERE block_number > ?"),
      listed: db.prepare(
        "SELECT DISTINCT owner, who FROM chain_blacklist WHERE block_number > ?",
      ),
    },
    workerState: db.prepare(
      `SELECT master, pending_master FROM chain_workers WHERE worker = ?
       ORDER BY block_number DESC LIMIT 1`,
    ),
    worker: db.prepare(
      "SELECT master FROM chain_workers WHERE worker = ? ORDER BY block_number DESC LIMIT 1",
    ),
    level: db.prepare(
      "SELECT level FROM chain_levels WHERE who = ? ORDER BY block_number DESC LIMIT 1",
    ),
    listed: db.prepare(
      `SELECT listed FROM chain_blacklist WHERE owner = ? AND who = ?
       ORDER BY block_number DESC LIMIT 1`,
    ),
    allMasters: db.prepare(
      `SELECT w.worker, w.master FROM chain_workers w
       WHERE w.block_number = (SELECT MAX(block_number) FROM chain_workers WHERE worker = w.worker)
         AND w.master != '${ZERO_ADDRESS}' ORDER BY w.worker`,
    ),
    allLevels: db.prepare(
      `SELECT l.who, l.level FROM chain_levels l
       WHERE l.block_number = (SELECT MAX(block_number) FROM chain_levels WHERE who = l.who)
         AND l.level > 0 ORDER BY l.who`,
    ),
    allListed: db.prepare(
      `SELECT b.owner, b.who FROM chain_blacklist b
       WHERE b.block_number = (SELECT MAX(block_number) FROM chain_blacklist
                               WHERE owner = b.owner AND who = b.who)
         AND b.listed = 1 ORDER BY b.owner, b.who`,
    ),
    loadNonce: db.prepare("SELECT nonce, tx_hash FROM chain_tx_nonces WHERE address = ?"),
    saveNonce: db.prepare(
      `INSERT INTO chain_tx_nonces (address, nonce, tx_hash, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (address) DO UPDATE SET nonce = excluded.nonce, tx_hash = excluded.tx_hash,
         updated_at = excluded.updated_at`,
    ),
  };
  const versioned: [string, string][] = [
    ["chain_orders", "n.id = t.id"],
    ["chain_deals", "n.id = t.id"],
    ["chain_change_requests", "n.id = t.id"],
    ["chain_workers", "n.worker = t.worker"],
    ["chain_levels", "n.who = t.who"],
    ["chain_blacklist", "n.owner = t.owner AND n.who = t.who"],
  ];
  // A version is superseded once a newer one of the same key is at or below the cut; only
  // versions that came in since the last prune can supersede anything left.
  const prunes = [
    ...versioned.map(([table, same]) =>
      db.prepare(
        `DELETE FROM ${table} WHERE rowid IN (
           SELECT t.rowid FROM ${table} n JOIN ${table} t ON ${same}
             AND t.block_number < n.block_number
           WHERE n.block_number > :since AND n.block_number <= :below)`,
      )
    ),
    db.prepare("DELETE FROM chain_blocks WHERE number < :below AND :since = :since"),
  ];
  /** The cut of the last prune in this process (versions at or below it are pruned). */
  let prunedTo = -1n;
  const rollbacks = BLOCK_TABLES.map((t) =>
    db.prepare(`DELETE FROM ${t} WHERE ${t === "chain_blocks" ? "number" : "block_number"} > ?`)
  );

  const tx = (fn: () => void): void => inTransaction(db, fn);

  /** Writes one block's rows (inside a transaction). */
  function write(u: BlockUpdate): void {
    const n = u.number;
    q.insBlock.run(n, u.hash, u.parentHash, u.timestamp);
    for (const e of u.events) {
      q.insEvent.run(e.blockNumber, e.logIndex, e.txHash, e.contract, e.name, json(e.args));
    }
    for (const o of u.orders) {
      q.insOrder.run(
        o.id,
        n,
        o.type === "BID" ? 1 : 2,
        o.active ? 2 : 1,
        o.author,
        o.counterparty,
        o.duration,
        o.price.toString(),
        JSON.stringify(o.netflags),
        o.identityLevel,
        o.blacklist,
        o.tag,
        benchmarksText(o.benchmarks),
        o.frozenSum.toString(),
        o.dealId,
      );
    }
    for (const d of u.deals) {
      q.insDeal.run(
        d.id,
        n,
        d.askId,
        d.bidId,
        d.supplier,
        d.consumer,
        d.master,
        d.duration,
        d.price.toString(),
        d.startTime,
        d.endTime,
        d.status === "ACCEPTED" ? 1 : 2,
        d.blockedBalance.toString(),
        d.totalPayout.toString(),
        d.lastBillTime,
      );
    }
    for (const c of u.changeRequests) {
      q.insCr.run(
        c.id,
        n,
        c.dealId,
        c.side === "BID" ? 1 : 2,
        c.price.toString(),
        c.duration,
        CR_STATUS_CODE[c.status],
      );
    }
    for (const b of u.bills) {
      q.insBill.run(b.blockNumber, b.logIndex, b.dealId, b.paidAmount.toString(), b.txHash);
    }
    for (const w of u.workers) {
      q.insWorker.run(lc(w.worker), n, lc(w.master), lc(w.pendingMaster));
    }
    for (const l of u.levels) q.insLevel.run(lc(l.who), n, l.level);
    for (const b of u.listed) q.insListed.run(lc(b.owner), lc(b.who), n, b.listed ? 1 : 0);
  }

  const toOrder = (r: Row): OrderState => ({
    id: r.id as bigint,
    type: r.order_type === 1n ? "BID" : "ASK",
    active: r.status === 2n,
    author: r.author as Address,
    counterparty: r.counterparty as Address,
    duration: r.duration as bigint,
    price: BigInt(r.price as string),
    netflags: parseNetflags(r.netflags as string),
    identityLevel: Number(r.identity_level) as IdentityLevel,
    blacklist: r.blacklist as Address,
    tag: r.tag as Bytes32,
    benchmarks: parseBenchmarks(r.benchmarks as string),
    frozenSum: BigInt(r.frozen_sum as string),
    dealId: r.deal_id as bigint,
  });

  const toDeal = (r: Row): DealState => ({
    id: r.id as bigint,
    askId: r.ask_id as bigint,
    bidId: r.bid_id as bigint,
    supplier: r.supplier as Address,
    consumer: r.consumer as Address,
    master: r.master as Address,
    duration: r.duration as bigint,
    price: BigInt(r.price as string),
    startTime: r.start_time as bigint,
    endTime: r.end_time as bigint,
    status: DEAL_STATUS[Number(r.status)] ?? "CLOSED",
    blockedBalance: BigInt(r.blocked_balance as string),
    totalPayout: BigInt(r.total_payout as string),
    lastBillTime: r.last_bill_time as bigint,
  });

  const toCr = (r: Row): ChangeRequestState => ({
    id: r.id as bigint,
    dealId: r.deal_id as bigint,
    side: r.request_type === 1n ? "BID" : "ASK",
    price: BigInt(r.price as string),
    duration: r.duration as bigint,
    status: CR_STATUS[Number(r.status)] ?? "CANCELED",
  });

  const toBill = (r: Row): BillRecord => ({
    blockNumber: r.block_number as bigint,
    logIndex: Number(r.log_index),
    txHash: r.tx_hash as `0x${string}`,
    dealId: r.deal_id as bigint,
    paidAmount: BigInt(r.paid_amount as string),
  });

  const lc = (a: string) => a.toLowerCase();
  const json = (v: unknown) =>
    JSON.stringify(v, (_k, x) => typeof x === "bigint" ? x.toString() : x);

  const views: MarketViews = {
    masterOf(who) {
      const r = q.worker.get(lc(who)) as Row | undefined;
      const m = r?.master as string | undefined;
      return (m === undefined || m === ZERO_ADDRESS ? who : m) as Address;
    },
    levelOf(who) {
      const r = q.level.get(lc(who)) as Row | undefined;
      return (r === undefined ? 0 : Number(r.level)) as IdentityLevel;
    },
    listed(owner, who) {
      const r = q.listed.get(lc(owner), lc(who)) as Row | undefined;
      return r !== undefined && r.listed === 1n;
    },
  };

  return {
    lastIndexed(): IndexedBlock | undefined {
      const r = q.lastBlock.get() as Row | undefined;
      return r === undefined
        ? undefined
        : { number: r.number as bigint, hash: r.hash as `0x${string}` };
    },

    recentBlocks({ below, limit }) {
      return (q.recent.all(below, limit) as Row[]).map((r) => ({
        number: r.number as bigint,
        hash: r.hash as `0x${string}`,
      }));
    },

    applyBlock(u: BlockUpdate) {
      tx(() => write(u));
    },

    applyBlocks(updates) {
      if (updates.length > 0) tx(() => updates.forEach(write));
    },

    rollbackTo(number) {
      tx(() => {
        for (const s of rollbacks) s.run(number);
      });
      if (number < prunedTo) prunedTo = number;
    },

    prune(number) {
      if (number <= prunedTo) return;
      tx(() => {
        for (const s of prunes) s.run({ below: number, since: prunedTo });
      });
      prunedTo = number;
    },

    touchedAbove(number): TouchedKeys {
      const t = q.touched;
      return {
        orders: (t.orders.all(number) as Row[]).map((r) => r.id as bigint),
        deals: (t.deals.all(number) as Row[]).map((r) => r.id as bigint),
        workers: (t.workers.all(number) as Row[]).map((r) => r.worker as Address),
        levels: (t.levels.all(number) as Row[]).map((r) => r.who as Address),
        listed: (t.listed.all(number) as Row[]).map((r) => ({
          owner: r.owner as Address,
          who: r.who as Address,
        })),
      };
    },
    getWorker(worker): WorkerState | undefined {
      const r = q.workerState.get(lc(worker)) as Row | undefined;
      return r === undefined ? undefined : {
        worker,
        master: r.master as Address,
        pendingMaster: r.pending_master as Address,
      };
    },
    getOrder(id) {
      const r = q.order.get(id) as Row | undefined;
      return r === undefined ? undefined : toOrder(r);
    },
    getDeal(id) {
      const r = q.deal.get(id) as Row | undefined;
      return r === undefined ? undefined : toDeal(r);
    },
    getChangeRequest(id) {
      const r = q.cr.get(id) as Row | undefined;
      return r === undefined ? undefined : toCr(r);
    },
    activeOrders() {
      const rows = q.active.all() as unknown as SQLOutputValue[][];
      const out: OrderState[] = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) out[i] = activeRowToOrder(rows[i] as SQLOutputValue[]);
      return out;
    },
    activeOrderColumns() {
      const n = Number((q.activeCount.get() as Row).n);
      return readActiveOrderColumns(q.activeColumns, n);
    },
    deals(options = {}) {
      const party = options.party === undefined ? undefined : lc(options.party);
      return (q.deals.all() as Row[]).map(toDeal).filter((d) =>
        (party === undefined ||
          [d.supplier, d.consumer, d.master].some((a) => lc(a) === party)) &&
        (options.status === undefined || d.status === options.status)
      );
    },
    bills(dealId) {
      return (q.bills.all(dealId) as Row[]).map(toBill);
    },
    events(options = {}) {
      return (q.events.all(options.fromBlock ?? 0n, options.limit ?? -1) as Row[]).map((r) => ({
        blockNumber: r.block_number as bigint,
        logIndex: Number(r.log_index),
        txHash: r.tx_hash as `0x${string}`,
        contract: r.contract as ChainEvent["contract"],
        name: r.name as string,
        args: JSON.parse(r.args as string) as Record<string, unknown>,
      }));
    },
    marketViews() {
      return views;
    },
    clear() {
      tx(() => {
        for (const t of BLOCK_TABLES) db.exec(`DELETE FROM ${t}`);
        db.exec("DELETE FROM chain_tx_nonces");
      });
    },
    marketViewData(): MarketViewData {
      return {
        masters: (q.allMasters.all() as Row[]).map((r) => ({
          worker: r.worker as Address,
          master: r.master as Address,
        })),
        levels: (q.allLevels.all() as Row[]).map((r) => ({
          address: r.who as Address,
          level: Number(r.level) as IdentityLevel,
        })),
        blacklists: (q.allListed.all() as Row[]).map((r) => ({
          owner: r.owner as Address,
          listed: r.who as Address,
        })),
      };
    },

    loadNonce(address): NonceEntry | undefined {
      const r = q.loadNonce.get(lc(address)) as Row | undefined;
      return r === undefined
        ? undefined
        : { nonce: r.nonce as bigint, txHash: r.tx_hash as `0x${string}` };
    },
    saveNonce(address, entry) {
      q.saveNonce.run(lc(address), entry.nonce, entry.txHash, Date.now());
    },
  };
}

/** A bill of a deal with its time (unix seconds): the block's, else the deal's bill time then. */
export type TimedBill = { dealId: bigint; paid: bigint; t: number };

/**
 * Every bill indexed, oldest first, each with its time (for the earnings of
 * `status` and the page; works on a read-only connection from another process).
 */
export function billsWithTimes(db: DatabaseSync): TimedBill[] {
  const rows = db.prepare(
    `SELECT b.deal_id, b.paid_amount,
       COALESCE(k.timestamp, v.last_bill_time, d.start_time) AS t
     FROM chain_bills b
     LEFT JOIN chain_blocks k ON k.number = b.block_number
     LEFT JOIN chain_deals v ON v.id = b.deal_id AND v.block_number = b.block_number
     LEFT JOIN (SELECT id, MIN(start_time) AS start_time FROM chain_deals GROUP BY id) d
       ON d.id = b.deal_id
     ORDER BY b.block_number, b.log_index`,
  ).all() as { deal_id: bigint; paid_amount: string; t: bigint | null }[];
  return rows.map((r) => ({
    dealId: r.deal_id,
    paid: BigInt(r.paid_amount),
    t: Number(r.t ?? 0n),
  }));
}

/** The newest indexed block's time, unix seconds (0 before any block). */
export function latestBlockTime(db: DatabaseSync): number {
  const r = db.prepare("SELECT MAX(timestamp) AS t FROM chain_blocks").get() as
    | { t: number | bigint | null }
    | undefined;
  return r?.t === null || r?.t === undefined ? 0 : Number(r.t);
}

/** A consumer's change request still open (its latest version is CREATED), as indexed. */
export type OpenChangeRequest = { id: bigint; dealId: bigint; price: bigint; duration: bigint };

/** The change requests open now that the consumer made (request type 1: a BID's side), by id. */
export function openConsumerChangeRequests(db: DatabaseSync): OpenChangeRequest[] {
  const rows = db.prepare(
    `SELECT c.id, c.deal_id, c.price, c.duration FROM chain_change_requests c
     WHERE c.block_number = (SELECT MAX(block_number) FROM chain_change_requests WHERE id = c.id)
       AND c.status = ${CR_STATUS_CODE.CREATED} AND c.request_type = 1 ORDER BY c.id`,
  ).all() as Record<string, bigint | string>[];
  return rows.map((r) => ({
    id: BigInt(r.id!),
    dealId: BigInt(r.deal_id!),
    price: BigInt(r.price!),
    duration: BigInt(r.duration!),
  }));
}
