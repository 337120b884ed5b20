import type { MarketStepComponents } from "./step_components.ts";
import {
  cancelOrder,
  ChainError,
  formatUsdPerHour,
  getOrder,
  placeOrder,
} from "../../chain/mod.ts";
import { askParamsHash } from "./_ask_params.ts";
import { recoverDealPlans } from "./deal_plans.ts";
import { killPoint, type StepOutcome } from "../base/mod.ts";
import { chainErrorFields } from "./classify_open_failure.ts";
import type { PlannedAsk } from "./plan_ask.ts";
import { type IndexedOrderStatus, type PlanAction, reconcilePlans } from "./reconcile_plans.ts";

/** Components of {@linkcode createPlansStep}. */
export type PlansStepComponents = Pick<
  MarketStepComponents,
  "market" | "store" | "view" | "planOrders" | "logger" | "clock" | "report" | "retries"
>;

/** Options of {@linkcode createPlansStep}. */
export type PlansStepOptions = {
  /** The plans' ASKs as they should stand now (the config's, re-priced by the price step). */
  planned: () => readonly PlannedAsk[];
};

/**
 * The "plans to ASKs" step: reads the plans' recorded orders, our standing
 * ASKs and our open deals from the market view, lets
 * {@linkcode reconcilePlans} decide, and carries the actions out (cancel,
 * retire, adopt, place). A plan whose action fails backs off (its first
 * failure logged at error, repeats at debug); the others go on.
 *
 * @example
 * ```ts ignore
 * const run = createPlansStep(components, { planned: () => asks });
 * await run({ signal });
 * ```
 */
export function createPlansStep(
  components: PlansStepComponents,
  options: PlansStepOptions,
): (run: { signal: AbortSignal }) => Promise<StepOutcome> {
  const { market, store, view, planOrders, logger, clock, retries } = components;
  const warnedUnknown = new Set<bigint>();
  const waiting = new Set<string>();

  async function orderStates(signal: AbortSignal): Promise<Map<bigint, IndexedOrderStatus>> {
    const orders = new Map<bigint, IndexedOrderStatus>();
    const ownAsks = view.ownAsks();
    for (const r of planOrders.current()) {
      const mine = ownAsks.get(r.orderId);
      if (mine !== undefined) {
        orders.set(r.orderId, { active: true, dealId: mine.dealId });
        continue;
      }
      const o = store.getOrder(r.orderId); // one point lookup per plan, not a scan
      if (o !== undefined && (o.type !== "ASK" || o.author.toLowerCase() !== me())) {
        orders.set(r.orderId, { active: false, dealId: 0n, missing: true });
      } else if (o !== undefined) {
        orders.set(r.orderId, { active: o.active, dealId: o.dealId });
      } else if (await getOrder(market, { orderId: r.orderId, signal }) === undefined) {
        // not indexed and not on chain: its block was reorganized away
        orders.set(r.orderId, { active: false, dealId: 0n, missing: true });
      }
    }
    return orders;
  }

  const me = () => market.sender.address.toLowerCase();

  async function act(action: PlanAction, planned: Map<string, PlannedAsk>, signal: AbortSignal) {
    const now = clock.now();
    const report = components.report();
    switch (action.kind) {
      case "keep":
        waiting.delete(action.plan);
        return;
      case "wait":
        if (!waiting.has(action.plan)) {
          logger.info("plan has an open deal: its next ASK waits until the deal closes", {
            plan: action.plan,
          });
          waiting.add(action.plan);
        }
        return;
      case "unknown":
        if (!warnedUnknown.has(action.orderId)) {
          warnedUnknown.add(action.orderId);
          logger.warn("an active ASK of this agent's address belongs to no plan; left alone", {
            orderId: action.orderId,
          });
        }
        return;
      case "retire":
        planOrders.retire(action.orderId, action.reason, now);
        logger.info("plan's ASK is no longer active", {
          plan: action.plan,
          orderId: action.orderId,
          reason: action.reason,
        });
        return;
      case "cancel":
        await cancelOrder(market, { orderId: action.orderId, signal });
        if (action.plan !== undefined) {
          planOrders.retire(
            action.orderId,
            action.reason === "removed" ? "removed" : "changed",
            clock.now(),
          );
        }
        report.cancelled.push(action.orderId);
        logger.info("cancelled ASK", {
          plan: action.plan,
          orderId: action.orderId,
          reason: action.reason,
        });
        return;
      case "adopt":
        planOrders.record({ plan: action.plan, orderId: action.orderId, hash: action.hash }, now);
        logger.info("found the plan's ASK on chain, unrecorded: adopted it", {
          plan: action.plan,
          orderId: action.orderId,
        });
        return;
      case "place": {
        const p = planned.get(action.plan);
        if (p === undefined) return;
        waiting.delete(action.plan);
        const { orderId } = await placeOrder(market, { type: "ASK", ...p.params, signal });
        killPoint("ask-placed");
        planOrders.record({ plan: p.plan, orderId, hash: p.hash }, clock.now());
        report.placed.push(orderId);
        logger.info("placed ASK", {
          plan: p.plan,
          orderId,
          usdPerHour: formatUsdPerHour(p.params.price),
          duration: p.params.duration,
        });
        return;
      }
    }
  }

  return async ({ signal }) => {
    const plannedList = options.planned();
    const planned = new Map(plannedList.map((p) => [p.plan, p]));
    // a deal on an ASK the table does not know (crash, lost state): its plan from the chain
    const me = market.sender.address;
    const recovered = recoverDealPlans(planOrders, store, {
      me,
      planned: plannedList,
      now: clock.now(),
    });
    for (const { open, ...r } of recovered) {
      // an open deal the state did not know is worth a look; a closed one is history, kept quietly
      if (open) {
        logger.warn("found a deal on an unrecorded ASK: its plan recovered from the chain", r);
      }
    }
    const closed = recovered.filter((r) => !r.open);
    if (closed.length > 0) {
      logger.info("recorded closed deals found on chain for unrecorded ASKs", {
        deals: closed.length,
        dealIds: closed.slice(0, 20).map((r) => r.dealId),
      });
    }
    const busyPlans = new Set<string>();
    for (const d of view.ownDeals().values()) {
      const plan = view.planOf(d);
      if (plan !== undefined) busyPlans.add(plan);
    }
    const actions = reconcilePlans({
      planned: plannedList.map((p) => ({ plan: p.plan, hash: p.hash })),
      records: planOrders.current(),
      orders: await orderStates(signal),
      ownActiveAsks: [...view.ownAsks().values()].map((o) => ({
        id: o.id,
        hash: askParamsHash(o),
      })),
      busyPlans,
    });
    const keyOf = (action: PlanAction) =>
      "plan" in action && action.plan !== undefined
        ? `plan:${action.plan}`
        : `order:${"orderId" in action ? action.orderId : ""}`;
    // a backoff whose action is no longer wanted is dropped (its wake would fire for nothing)
    const wanted = new Set(actions.map(keyOf));
    retries.clearWhere((key) => !wanted.has(key));
    const failedPlans = new Set<string>();
    for (const action of actions) {
      const plan = "plan" in action ? action.plan : undefined;
      const key = keyOf(action);
      if (plan !== undefined && failedPlans.has(plan)) continue;
      if (!retries.ready(key, clock.now())) continue;
      try {
        await act(action, planned, signal);
        retries.clear(key);
      } catch (error) {
        if (signal.aborted || !(error instanceof ChainError)) throw error;
        components.report().failures++;
        if (plan !== undefined) failedPlans.add(plan);
        const verdict = retries.fail(key, clock.now());
        logger[verdict.first ? "error" : "debug"](`cannot ${action.kind} the ASK`, {
          plan,
          orderId: "orderId" in action ? action.orderId : undefined,
          attempts: verdict.attempts,
          retryInMs: verdict.nextTryAt - clock.now(),
          ...chainErrorFields(error),
        });
      }
    }
    return { wakeAt: retries.nextTryAt() };
  };
}
