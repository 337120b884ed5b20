import assert from "node:assert/strict";
import type { DealState, OrderState } from "../../chain/mod.ts";
import { identifyPlan, recoverDealPlans } from "./deal_plans.ts";
import { planAsk } from "./plan_ask.ts";
import type { PlanConfig } from "../config/config.ts";
import { openState } from "../state/state.ts";
import { planOrdersTable } from "../state/plan_orders.ts";

const ME = "0x00000000000000000000000000000000000000aa" as const;
const CONSUMER = "0x00000000000000000000000000000000000000bb" as const;

function plan(name: string, cpuCores: number, price = "1"): PlanConfig {
  return {
    name,
    priceUsdPerHour: price,
    duration: "spot",
    resources: {
      cpuCores,
      ramBytes: 2 ** 30,
      storageBytes: 0,
      gpus: [],
      net: { overlay: false, outbound: true, incoming: false },
    },
    identityLevel: 0,
    counterparty: undefined,
    blacklist: undefined,
    tag: "",
  };
}
const planned = (plans: PlanConfig[]) =>
  plans.map((p) => planAsk(p, { rig: { threads: 8, gpus: [] }, benchmarksQuantity: 15 }));

function ask(id: bigint, params: ReturnType<typeof planned>[number]["params"]): OrderState {
  return {
    ...params,
    id,
    type: "ASK",
    author: ME,
    active: false,
    frozenSum: 0n,
    dealId: id + 100n,
  } as unknown as OrderState;
}
function deal(id: bigint, askId: bigint, status: "ACCEPTED" | "CLOSED"): DealState {
  return {
    id,
    askId,
    bidId: 0n,
    supplier: ME,
    consumer: CONSUMER,
    master: ME,
    duration: 0n,
    price: 1n,
    startTime: 0n,
    endTime: 0n,
    status,
    blockedBalance: 0n,
    totalPayout: 0n,
    lastBillTime: 0n,
  };
}

Deno.test("identifyPlan() knows a plan by its ASK's parameters, even re-priced", () => {
  const [a, b] = planned([plan("a", 1), plan("b", 2)]);
  assert.equal(identifyPlan(b!.params, [a!, b!]), "b");
  const repriced = planned([plan("a", 1, "5"), plan("b", 2, "5")]);
  assert.equal(identifyPlan(a!.params, repriced), "a");
  assert.equal(identifyPlan(a!.params, repriced, new Set(["a"])), undefined);
});

Deno.test("recoverDealPlans() records the unrecorded ASK of each deal from the chain alone", () => {
  const state = openState({ path: ":memory:" });
  try {
    const twins = planned([plan("x", 1), plan("y", 1), plan("z", 4)]);
    const orders = new Map([
      [1n, ask(1n, twins[0]!.params)],
      [2n, ask(2n, twins[0]!.params)],
      [3n, ask(3n, twins[2]!.params)],
    ]);
    const deals = [deal(11n, 1n, "ACCEPTED"), deal(12n, 2n, "ACCEPTED"), deal(13n, 3n, "CLOSED")];
    const store = { deals: () => deals, getOrder: (id: bigint) => orders.get(id) };
    const recovered = recoverDealPlans(planOrdersTable(state.db), store, {
      me: ME,
      planned: twins,
      now: 5,
    });
    assert.deepEqual(recovered, [
      { dealId: 11n, plan: "x", open: true },
      { dealId: 12n, plan: "y", open: true },
      { dealId: 13n, plan: "z", open: false },
    ], "two identical plans: two deals, two plans");
    const rows = state.db.prepare(
      "SELECT order_id, plan, retire_reason FROM plan_orders ORDER BY order_id",
    ).all().map((r) => [r.order_id, r.plan, r.retire_reason]);
    assert.deepEqual(rows, [[1n, "x", "taken"], [2n, "y", "taken"], [3n, "z", "taken"]]);
    assert.deepEqual(
      recoverDealPlans(planOrdersTable(state.db), store, { me: ME, planned: twins }),
      [],
    );
  } finally {
    state.close();
  }
});
