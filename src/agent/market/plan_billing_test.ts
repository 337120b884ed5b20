import assert from "node:assert/strict";
import type { DealState } from "../../chain/mod.ts";
import { planBilling } from "./plan_billing.ts";

const deal = (d: Partial<DealState> & { id: bigint }): DealState => ({
  askId: 1n,
  bidId: 2n,
  supplier: "0x00000000000000000000000000000000000000a1",
  consumer: "0x00000000000000000000000000000000000000b2",
  master: "0x00000000000000000000000000000000000000a1",
  duration: 0n,
  price: 1n,
  startTime: 1000n,
  endTime: 0n,
  status: "ACCEPTED",
  blockedBalance: 0n,
  totalPayout: 0n,
  lastBillTime: 1000n,
  ...d,
});

Deno.test("planBilling() bills a deal whose last bill is an interval old, not before", () => {
  const deals = [deal({ id: 1n })];
  const early = planBilling({ deals, now: 1599n, billedAt: new Map(), intervalSeconds: 600n });
  assert.deepEqual(early, { actions: [], nextDue: 1600n });
  const due = planBilling({ deals, now: 1600n, billedAt: new Map(), intervalSeconds: 600n });
  assert.deepEqual(due.actions, [{ kind: "bill", dealId: 1n }]);
  assert.equal(due.nextDue, 2200n);
});

Deno.test("planBilling() counts our own unindexed bill", () => {
  const r = planBilling({
    deals: [deal({ id: 1n })],
    now: 1700n,
    billedAt: new Map([[1n, 1650n]]),
    intervalSeconds: 600n,
  });
  assert.deepEqual(r, { actions: [], nextDue: 2250n });
});

Deno.test("planBilling() closes a forward deal at its end and wakes for the end", () => {
  const fwd = deal({ id: 2n, duration: 3600n, endTime: 4600n });
  const before = planBilling({
    deals: [fwd],
    now: 1100n,
    billedAt: new Map(),
    intervalSeconds: 86400n,
  });
  assert.deepEqual(before, { actions: [], nextDue: 4600n });
  const at = planBilling({ deals: [fwd], now: 4600n, billedAt: new Map(), intervalSeconds: 600n });
  assert.deepEqual(at.actions, [{ kind: "close", dealId: 2n, reason: "end" }]);
  assert.equal(at.nextDue, undefined);
});

Deno.test("planBilling() with no deals has nothing due", () => {
  assert.deepEqual(planBilling({ deals: [], now: 5n, billedAt: new Map(), intervalSeconds: 1n }), {
    actions: [],
    nextDue: undefined,
  });
});

Deno.test("planBilling() never bills a lost deal: a spot one closes, a forward one waits for its end", () => {
  const spot = deal({ id: 1n });
  const fwd = deal({ id: 2n, duration: 3600n, endTime: 4600n });
  const lost = new Set([1n, 2n]);
  const r = planBilling({
    deals: [spot, fwd],
    now: 4000n,
    billedAt: new Map(),
    intervalSeconds: 600n,
    lost,
  });
  assert.deepEqual(r, { actions: [{ kind: "close", dealId: 1n, reason: "lost" }], nextDue: 4600n });
  const end = planBilling({
    deals: [fwd],
    now: 4600n,
    billedAt: new Map(),
    intervalSeconds: 600n,
    lost,
  });
  assert.deepEqual(end.actions, [{ kind: "close", dealId: 2n, reason: "end" }]);
});
