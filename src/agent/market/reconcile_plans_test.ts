import assert from "node:assert/strict";
import {
  type IndexedOrderStatus,
  type PlanAction,
  reconcilePlans,
  type ReconcilePlansInput,
} from "./reconcile_plans.ts";

const active: IndexedOrderStatus = { active: true, dealId: 0n };
const taken: IndexedOrderStatus = { active: false, dealId: 9n };
const cancelled: IndexedOrderStatus = { active: false, dealId: 0n };

function run(input: Partial<ReconcilePlansInput>): PlanAction[] {
  return reconcilePlans({
    planned: [],
    records: [],
    orders: new Map(),
    ownActiveAsks: [],
    busyPlans: new Set(),
    ...input,
  });
}

Deno.test("reconcilePlans() places a plan that has no order", () => {
  assert.deepEqual(run({ planned: [{ plan: "a", hash: "h" }] }), [
    { kind: "place", plan: "a", hash: "h" },
  ]);
});

Deno.test("reconcilePlans() keeps an active order with the same hash, and one not indexed yet", () => {
  assert.deepEqual(
    run({
      planned: [{ plan: "a", hash: "h" }, { plan: "b", hash: "g" }],
      records: [{ plan: "a", orderId: 1n, hash: "h" }, { plan: "b", orderId: 2n, hash: "old" }],
      orders: new Map([[1n, active]]),
      ownActiveAsks: [{ id: 1n, hash: "h" }],
    }),
    [{ kind: "keep", plan: "a", orderId: 1n }, { kind: "keep", plan: "b", orderId: 2n }],
  );
});

Deno.test("reconcilePlans() cancels a changed plan's order before placing the new one", () => {
  assert.deepEqual(
    run({
      planned: [{ plan: "a", hash: "new" }],
      records: [{ plan: "a", orderId: 1n, hash: "old" }],
      orders: new Map([[1n, active]]),
      ownActiveAsks: [{ id: 1n, hash: "old" }],
    }),
    [
      { kind: "cancel", orderId: 1n, plan: "a", reason: "changed" },
      { kind: "place", plan: "a", hash: "new" },
    ],
  );
});

Deno.test("reconcilePlans() retires a taken order and waits while the plan's deal is open", () => {
  assert.deepEqual(
    run({
      planned: [{ plan: "a", hash: "h" }],
      records: [{ plan: "a", orderId: 1n, hash: "h" }],
      orders: new Map([[1n, taken]]),
      busyPlans: new Set(["a"]),
    }),
    [
      { kind: "retire", plan: "a", orderId: 1n, reason: "taken" },
      { kind: "wait", plan: "a" },
    ],
  );
  // a plan with an open deal and no record (the deal's ASK was retired earlier) waits too
  assert.deepEqual(run({ planned: [{ plan: "a", hash: "h" }], busyPlans: new Set(["a"]) }), [
    { kind: "wait", plan: "a" },
  ]);
});

Deno.test("reconcilePlans() re-places a plan whose order was cancelled elsewhere or whose deal closed", () => {
  assert.deepEqual(
    run({
      planned: [{ plan: "a", hash: "h" }],
      records: [{ plan: "a", orderId: 1n, hash: "h" }],
      orders: new Map([[1n, cancelled]]),
    }),
    [
      { kind: "retire", plan: "a", orderId: 1n, reason: "cancelled" },
      { kind: "place", plan: "a", hash: "h" },
    ],
  );
});

Deno.test("reconcilePlans() adopts an unrecorded ASK of ours with the plan's hash instead of placing", () => {
  assert.deepEqual(
    run({
      planned: [{ plan: "a", hash: "h" }, { plan: "b", hash: "h" }],
      ownActiveAsks: [{ id: 5n, hash: "h" }],
    }),
    [
      { kind: "adopt", plan: "a", orderId: 5n, hash: "h" },
      { kind: "place", plan: "b", hash: "h" },
    ],
    "one ASK is adopted once; a second plan with equal parameters gets its own",
  );
});

Deno.test("reconcilePlans() cancels a removed plan's order and retires an inactive one", () => {
  assert.deepEqual(
    run({
      records: [{ plan: "gone", orderId: 1n, hash: "h" }, { plan: "old", orderId: 2n, hash: "g" }],
      orders: new Map([[1n, active], [2n, taken]]),
      ownActiveAsks: [{ id: 1n, hash: "h" }],
    }),
    [
      { kind: "cancel", orderId: 1n, plan: "gone", reason: "removed" },
      { kind: "retire", plan: "old", orderId: 2n, reason: "taken" },
    ],
  );
});

Deno.test("reconcilePlans() cancels a duplicate of a plan's order and leaves unknown ASKs alone", () => {
  assert.deepEqual(
    run({
      planned: [{ plan: "a", hash: "h" }],
      records: [{ plan: "a", orderId: 1n, hash: "h" }],
      orders: new Map([[1n, active], [2n, active], [3n, active]]),
      ownActiveAsks: [{ id: 1n, hash: "h" }, { id: 2n, hash: "h" }, { id: 3n, hash: "other" }],
    }),
    [
      { kind: "cancel", orderId: 2n, plan: undefined, reason: "duplicate" },
      { kind: "keep", plan: "a", orderId: 1n },
      { kind: "unknown", orderId: 3n },
    ],
  );
});

Deno.test("reconcilePlans() retires an order the chain no longer has and places the plan again", () => {
  assert.deepEqual(
    run({
      planned: [{ plan: "a", hash: "h" }],
      records: [{ plan: "a", orderId: 1n, hash: "h" }],
      orders: new Map([[1n, { active: false, dealId: 0n, missing: true }]]),
    }),
    [
      { kind: "retire", plan: "a", orderId: 1n, reason: "gone" },
      { kind: "place", plan: "a", hash: "h" },
    ],
  );
});
