import assert from "node:assert/strict";
import { zeroAddress } from "viem";
import { type DecodedLog, planBlocks } from "./_block_plans.ts";
import type { OrderState } from "./types.ts";

const A = "0x00000000000000000000000000000000000000aA" as const;
const M = "0x00000000000000000000000000000000000000cc" as const;
const hash = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as const;

function order(id: bigint, over: Partial<OrderState> = {}): OrderState {
  return {
    id,
    type: "BID",
    active: true,
    author: A,
    counterparty: zeroAddress,
    duration: 3600n,
    price: 10n,
    netflags: [true],
    identityLevel: 0,
    blacklist: zeroAddress,
    tag: hash(0),
    benchmarks: [1n],
    frozenSum: 36_000n,
    dealId: 0n,
    ...over,
  };
}

/** A Deal struct as the events carry it; status 1 open, 2 closed. */
const rawDeal = (status: number) => ({
  askId: 1n,
  bidId: 2n,
  supplier: A,
  consumer: A,
  master: M,
  duration: 0n,
  price: 10n,
  startTime: 100n,
  endTime: status === 2 ? 200n : 0n,
  status,
  blockedBalance: status === 2 ? 0n : 36_000n,
  totalPayout: status === 2 ? 5n : 0n,
  lastBillTime: 100n,
});

let logIndex = 0;
function log(block: number, over: Partial<DecodedLog>): DecodedLog {
  return {
    source: "market",
    eventName: "",
    args: {},
    logIndex: logIndex++,
    transactionHash: hash(900 + block),
    blockNumber: BigInt(block),
    blockHash: hash(block),
    ...over,
  };
}

const placed = (block: number, o: OrderState) =>
  log(block, { eventName: "OrderPlaced", args: { orderId: o.id, author: o.author }, order: o });
const updated = (
  block: number,
  orderId: bigint,
  status: number,
  frozenSum: bigint,
  dealId: bigint,
) =>
  log(block, {
    eventName: "OrderUpdated",
    args: { orderId, status, frozenSum, dealId },
    update: { status, frozenSum, dealId },
  });

Deno.test("planBlocks() builds each order's state from its events, across blocks", () => {
  const before = order(1n, { price: 99n });
  const plans = planBlocks([
    placed(5, order(2n)),
    updated(5, 1n, 1, 0n, 7n), // an order from before the batch is taken by deal 7
    updated(6, 2n, 1, 0n, 0n), // the order placed in block 5 is cancelled in block 6
    log(6, { eventName: "DealOpened", args: { dealId: 7n, deal: rawDeal(1) } }),
    log(6, { eventName: "Billed", args: { dealId: 7n, paidAmount: 5n } }),
    log(6, { eventName: "DealUpdated", args: { dealId: 7n, deal: rawDeal(2) } }),
  ], (id) => id === 1n ? before : undefined);
  assert.deepEqual(plans.map((p) => p.number), [5n, 6n]);
  assert.deepEqual(plans[0]!.orders.get(1n), {
    ...before,
    active: false,
    frozenSum: 0n,
    dealId: 7n,
  });
  assert.deepEqual(plans[0]!.orders.get(2n), order(2n));
  assert.deepEqual(plans[1]!.orders.get(2n), order(2n, { active: false, frozenSum: 0n }));
  // the deal comes whole from its events, the last one of the block wins: no read at the block
  assert.deepEqual([...plans[1]!.deals.keys()], [7n]);
  assert.equal(plans[1]!.deals.get(7n)?.status, "CLOSED");
  assert.equal(plans[1]!.deals.get(7n)?.totalPayout, 5n);
  assert.deepEqual(plans[1]!.bills.map((b) => b.paidAmount), [5n]);
  assert.deepEqual(plans.map((p) => p.orderReads.size), [0, 0]);
  assert.deepEqual(plans[0]!.events.map((e) => e.name), ["OrderPlaced", "OrderUpdated"]);
});

Deno.test("planBlocks() names an order it never saw placed, with the update to lay over it", () => {
  const plans = planBlocks([updated(3, 8n, 1, 0n, 0n), updated(4, 8n, 1, 0n, 2n)], () => undefined);
  assert.deepEqual([...plans[0]!.orderReads], [[8n, { status: 1, frozenSum: 0n, dealId: 0n }]]);
  assert.deepEqual([...plans[1]!.orderReads], [[8n, { status: 1, frozenSum: 0n, dealId: 2n }]]);
  assert.equal(plans[0]!.orders.size, 0);
});

Deno.test("planBlocks() derives bindings, levels and blacklist entries from their events", () => {
  const W = "0x00000000000000000000000000000000000000dd" as const;
  const plans = planBlocks([
    log(1, { eventName: "WorkerAnnounced", args: { worker: W, master: M } }),
    log(2, { eventName: "WorkerConfirmed", args: { worker: W, master: M } }),
    log(2, { source: "profiles", eventName: "LevelSet", args: { who: A, level: 2 } }),
    log(3, { eventName: "WorkerRemoved", args: { worker: W, master: M } }),
    log(3, { source: "blacklist", eventName: "Added", args: { owner: A, who: W } }),
    log(3, { source: "blacklist", eventName: "Removed", args: { owner: A, who: M } }),
  ], () => undefined);
  const worker = (i: number) => plans[i]!.workers.get(W.toLowerCase());
  assert.deepEqual(worker(0), { worker: W, master: zeroAddress, pendingMaster: M });
  assert.deepEqual(worker(1), { worker: W, master: M, pendingMaster: zeroAddress });
  assert.deepEqual(worker(2), { worker: W, master: zeroAddress, pendingMaster: zeroAddress });
  assert.deepEqual([...plans[1]!.levels.values()], [{ who: A, level: 2 }]);
  assert.deepEqual([...plans[2]!.listed.values()], [
    { owner: A, who: W, listed: true },
    { owner: A, who: M, listed: false },
  ]);
});
