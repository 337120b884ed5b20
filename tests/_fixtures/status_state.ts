/**
 * A seeded agent state for the status snapshot's tests and benchmark: real
 * sqlite (the agent's own migrations), rows written as the indexer and the
 * market loop write them. One plan per ASK, one deal per ASK, bills every
 * `billEvery` seconds.
 */
import type { DatabaseSync } from "node:sqlite";

export const AGENT = "0x00000000000000000000000000000000000000a1";
export const CONSUMER = "0x00000000000000000000000000000000000000c1";
export const WAD = 10n ** 18n;
/** 0.36 USD/h. */
export const PRICE = 10n ** 14n;

export type SeedOptions = {
  /** Deals to create; the last `open` of them stay open. */
  deals: number;
  open: number;
  /** Unix seconds of the first deal's start. */
  start: number;
  /** Seconds between a deal's bills; each deal runs `billEvery * bills`. */
  billEvery?: number;
  bills?: number;
  /** Token wei per USD recorded as the agent's last read rate. */
  rate?: bigint;
  /** BIDs standing in the book (priced below the ASK: they do not match). */
  standingBids?: number;
};

const ZERO = "0x0000000000000000000000000000000000000000";
const TAG = "0x" + "0".repeat(64);

/** Seeds `db` (opened with openState) and returns the ids it used. */
export function seedStatusState(db: DatabaseSync, o: SeedOptions): { lastBlock: number } {
  const { billEvery = 600, bills = 2, rate = 2n * WAD, standingBids = 2 } = o;
  const order = db.prepare(
    `INSERT INTO chain_orders (id, block_number, order_type, status, author, counterparty,
       duration, price, netflags, identity_level, blacklist, tag, benchmarks, frozen_sum, deal_id)
     VALUES (?, ?, ?, ?, ?, ?, 0, ?, '[false,false,false]', 0, ?, ?, '["1","1"]', '0', ?)`,
  );
  const deal = db.prepare(
    `INSERT INTO chain_deals (id, block_number, ask_id, bid_id, supplier, consumer, master,
       duration, price, start_time, end_time, status, blocked_balance, total_payout, last_bill_time)
     VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, 0, ?, '0', ?, ?)`,
  );
  const bill = db.prepare(
    `INSERT INTO chain_bills (block_number, log_index, deal_id, paid_amount, tx_hash)
     VALUES (?, ?, ?, ?, '0x00')`,
  );
  const block = db.prepare(
    `INSERT OR IGNORE INTO chain_blocks (number, hash, parent_hash, timestamp) VALUES (?, ?, ?, ?)`,
  );
  const plan = db.prepare(
    `INSERT INTO plan_orders (order_id, plan, params_hash, placed_at, retired_at, retire_reason)
     VALUES (?, ?, 'h', ?, ?, ?)`,
  );
  let blockNumber = 0;
  const nextBlock = (t: number) => {
    blockNumber++;
    block.run(blockNumber, `0x${blockNumber.toString(16)}`, "0x", t);
    return blockNumber;
  };
  db.exec("BEGIN");
  db.prepare("INSERT INTO agent_runs (started_at, version, pid) VALUES (?, 'test', ?)")
    .run(o.start * 1000, Deno.pid);
  const perBill = PRICE * BigInt(billEvery) * rate / WAD;
  for (let i = 0; i < o.deals; i++) {
    const askId = 2 * i + 1;
    const bidId = 2 * i + 2;
    const dealId = i + 1;
    const open = i >= o.deals - o.open;
    const start = o.start + i * 10;
    const b0 = nextBlock(start);
    order.run(askId, b0, 2, 1, AGENT, ZERO, PRICE.toString(), ZERO, TAG, dealId);
    order.run(bidId, b0, 1, 1, CONSUMER, ZERO, PRICE.toString(), ZERO, TAG, dealId);
    plan.run(askId, `plan-${i % 4}`, start * 1000, start * 1000, "taken"); // a deal took it
    let paid = 0n;
    for (let k = 1; k <= bills; k++) {
      const t = start + k * billEvery;
      const b = nextBlock(t);
      paid += perBill;
      bill.run(b, 0, dealId, perBill.toString());
      if (k === bills) {
        deal.run(
          dealId,
          b,
          askId,
          bidId,
          AGENT,
          CONSUMER,
          AGENT,
          PRICE.toString(),
          start,
          open ? 1 : 2,
          paid.toString(),
          t,
        );
      }
    }
    if (bills === 0) {
      deal.run(
        dealId,
        b0,
        askId,
        bidId,
        AGENT,
        CONSUMER,
        AGENT,
        PRICE.toString(),
        start,
        open ? 1 : 2,
        "0",
        start,
      );
    }
  }
  // a standing ASK for plan-x and BIDs that do not reach its price
  const askId = 2 * o.deals + 1;
  const b = nextBlock(o.start);
  order.run(askId, b, 2, 2, AGENT, ZERO, (PRICE * 2n).toString(), ZERO, TAG, 0);
  plan.run(askId, "plan-x", o.start * 1000, null, null);
  for (let k = 0; k < standingBids; k++) {
    order.run(askId + 1 + k, b, 1, 2, CONSUMER, ZERO, PRICE.toString(), ZERO, TAG, 0);
  }
  db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('status.rate', ?)").run(
    rate.toString(),
  );
  db.exec("COMMIT");
  return { lastBlock: blockNumber };
}
