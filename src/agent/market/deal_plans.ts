import type { ChainStore, OrderState } from "../../chain/mod.ts";
import { type AskParameters, askParamsHash } from "./_ask_params.ts";
import type { PlanOrdersTable } from "../state/mod.ts";
import { isDealOf } from "./market_view.ts";
import type { PlannedAsk } from "./plan_ask.ts";

/**
 * A hash of what an ASK sells, without its price and duration: a plan
 * re-priced while its deal runs is still recognised on the deal's ASK.
 */
function resourcesHash(p: AskParameters): string {
  return askParamsHash({ ...p, price: 0n, duration: 0n });
}

/**
 * Which plan an ASK order serves, from the order's parameters alone (as the
 * chain stores them): the plan whose ASK has exactly these parameters, else
 * the plan selling exactly these resources (netflags, benchmarks, identity
 * level, counterparty, blacklist, tag) at another price or duration. Plans in
 * `exclude` (already busy with another deal) are passed over, so two
 * identical plans map two deals to two plans. Pure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { identifyPlan } from "./deal_plans.ts";
 * const params = {
 *   duration: 0n, price: 5n, netflags: [false, true], identityLevel: 0 as const,
 *   counterparty: `0x${"0".repeat(40)}` as const, blacklist: `0x${"0".repeat(40)}` as const,
 *   tag: `0x${"0".repeat(64)}` as const, benchmarks: [0n, 0n, 1n],
 * };
 * const planned = [{ plan: "a", params, hash: "" }];
 * assert.equal(identifyPlan({ ...params, price: 7n }, planned), "a");
 * assert.equal(identifyPlan({ ...params, benchmarks: [0n, 0n, 2n] }, planned), undefined);
 * ```
 */
export function identifyPlan(
  order: AskParameters,
  planned: readonly PlannedAsk[],
  exclude: ReadonlySet<string> = new Set(),
): string | undefined {
  const free = planned.filter((p) => !exclude.has(p.plan));
  const exact = askParamsHash(order);
  const byHash = free.find((p) => askParamsHash(p.params) === exact);
  if (byHash !== undefined) return byHash.plan;
  const resources = resourcesHash(order);
  return free.find((p) => resourcesHash(p.params) === resources)?.plan;
}

/** Options of {@linkcode recoverDealPlans}. */
export type RecoverDealPlansOptions = {
  /** This agent's address (supplier of its deals). */
  me: `0x${string}`;
  planned: readonly PlannedAsk[];
  now?: number | undefined;
};

/**
 * Records in `plan_orders` the ASK of every deal of this agent that the
 * table does not know (an ASK mined but not recorded before a crash, or a
 * state database lost or emptied), as its plan's order, retired `taken`. The
 * plan comes from the chain alone ({@linkcode identifyPlan} on the indexed
 * ASK). Afterwards the market loop sees the plan busy while the deal is open
 * (no second ASK, no second deal) and `deals` lists the deal. Idempotent.
 *
 * @returns the deals whose plan was recovered (`open`: the deal still runs)
 * @example
 * ```ts ignore
 * recoverDealPlans(planOrders, store, { me: account.address, planned });
 * ```
 */
export function recoverDealPlans(
  planOrders: Pick<PlanOrdersTable, "planOf" | "recordTaken">,
  store: Pick<ChainStore, "deals" | "getOrder">,
  options: RecoverDealPlansOptions,
): { dealId: bigint; plan: string; open: boolean }[] {
  const me = options.me.toLowerCase();
  const mine = store.deals({ party: options.me }).filter((d) => isDealOf(d, me));
  const busy = new Set<string>();
  for (const d of mine) {
    const known = planOrders.planOf(d.askId);
    if (known !== undefined && d.status === "ACCEPTED") busy.add(known);
  }
  const recovered: { dealId: bigint; plan: string; open: boolean }[] = [];
  const now = options.now ?? Date.now();
  // open deals first, so that they claim their plans before closed ones
  const ordered = [...mine].sort((a, b) =>
    a.status === b.status ? Number(a.id - b.id) : a.status === "ACCEPTED" ? -1 : 1
  );
  for (const deal of ordered) {
    if (planOrders.planOf(deal.askId) !== undefined) continue;
    const ask: OrderState | undefined = store.getOrder(deal.askId);
    if (ask === undefined || ask.type !== "ASK" || ask.author.toLowerCase() !== me) continue;
    const exclude = deal.status === "ACCEPTED" ? busy : new Set<string>();
    const plan = identifyPlan(ask, options.planned, exclude);
    if (plan === undefined) continue;
    planOrders.recordTaken({ orderId: deal.askId, plan, hash: askParamsHash(ask) }, now);
    if (deal.status === "ACCEPTED") busy.add(plan);
    recovered.push({ dealId: deal.id, plan, open: deal.status === "ACCEPTED" });
  }
  return recovered;
}
