import type { MarketStepComponents } from "./step_components.ts";
import { formatUsdPerHour } from "../../chain/mod.ts";
import type { MarketOrder } from "../../matcher/mod.ts";
import { type AutoPriceSettings, decideAutoPrice, DEFAULT_AUTO_PRICE } from "./auto_price.ts";
import type { PlanConfig } from "../config/mod.ts";
import type { StepOutcome } from "../base/mod.ts";
import { planAsk, type PlanAskOptions, type PlannedAsk } from "./plan_ask.ts";
import { planShare, powerFloor } from "./power_floor.ts";

/** Components of {@linkcode createPriceStep}. */
export type PriceStepComponents = Pick<
  MarketStepComponents,
  "view" | "planOrders" | "logger" | "clock"
>;

/** Options of {@linkcode createPriceStep}. */
export type PriceStepOptions = {
  /** The plans priced `auto`. */
  plans: readonly PlanConfig[];
  /** What planAsk needs besides the price (the rig, its measurements, the market's benchmark count). */
  planning: Omit<PlanAskOptions, "price">;
  /** The config's `power` section: watts under load and USD per kWh. */
  power: { loadWatts: number; pricePerKwh: string };
  /** The agent's address (the author of the probe ASK). */
  me: `0x${string}`;
  /** Called when a price changed: the plans step should run. */
  onChange: () => void;
};

/** The "price" step, and the ASKs of the plans it has priced. */
export type PriceStep = {
  run(options: { signal: AbortSignal }): Promise<StepOutcome>;
  /** The auto plans' ASKs at their current prices (a plan not priced yet is absent). */
  planned(): PlannedAsk[];
};

/**
 * The "price" step for plans priced `auto`: for each, the fitting BIDs are
 * those the plan's ASK would serve at any price (the market view's book,
 * matched with a price-0 probe of the ASK); {@linkcode decideAutoPrice}
 * sets the price between the power floor ({@linkcode powerFloor} of the
 * plan's share of the rig) and the configured quantile of those BIDs'
 * prices, within the minimum interval and the maximum step. Each change is
 * logged with its reason; the plans step then replaces the ASK. A restart
 * starts from the price of the plan's standing ASK.
 *
 * @example
 * ```ts ignore
 * const step = createPriceStep(components, { plans, planning, power, me, onChange });
 * await step.run({ signal });
 * ```
 */
export function createPriceStep(
  components: PriceStepComponents,
  options: PriceStepOptions,
): PriceStep {
  const { view, planOrders, logger, clock } = components;
  const { plans, planning, power, me } = options;
  const prices = new Map<string, bigint>();
  const changedAt = new Map<string, number>();
  const waitingLogged = new Set<string>();

  const settingsOf = (plan: PlanConfig): AutoPriceSettings =>
    plan.autoPrice === undefined
      ? DEFAULT_AUTO_PRICE
      : { ...DEFAULT_AUTO_PRICE, ...plan.autoPrice };

  const floorOf = (plan: PlanConfig) =>
    powerFloor({
      loadWatts: power.loadWatts,
      pricePerKwh: power.pricePerKwh,
      share: planShare(
        { cpuCores: plan.resources.cpuCores, gpus: plan.resources.gpus },
        { threads: planning.rig.threads, gpuCount: planning.rig.gpus.length },
      ),
    });

  /** The price of the plan's standing ASK, when it has one (a restart). */
  function standingPrice(plan: string): bigint | undefined {
    const record = planOrders.current().find((r) => r.plan === plan);
    return record === undefined ? undefined : view.ownAsks().get(record.orderId)?.price;
  }

  function fittingBidPrices(plan: PlanConfig): bigint[] {
    const { params } = planAsk(plan, { ...planning, price: 0n });
    const probe: MarketOrder = { id: 0n, type: "ASK", author: me, active: true, ...params };
    const out: bigint[] = [];
    for (const id of view.book.matchAsk(probe)) {
      const bid = view.book.get(id);
      if (bid !== undefined) out.push(bid.price);
    }
    return out;
  }

  return {
    run() {
      const now = clock.now();
      let wakeAt: number | undefined;
      let changed = false;
      for (const plan of plans) {
        const settings = settingsOf(plan);
        const current = prices.get(plan.name) ?? standingPrice(plan.name);
        const last = changedAt.get(plan.name);
        const allowedAt = last === undefined ? now : last + settings.minIntervalSeconds * 1000;
        if (current !== undefined && now < allowedAt) {
          // nothing may change before then: not even worth a match
          prices.set(plan.name, current);
          wakeAt = Math.min(wakeAt ?? allowedAt, allowedAt);
          continue;
        }
        const floor = floorOf(plan);
        const bidPrices = fittingBidPrices(plan);
        const d = decideAutoPrice({ current, lastChangeAt: last, now, floor, bidPrices, settings });
        if (d.price === undefined) {
          if (!waitingLogged.has(plan.name)) {
            waitingLogged.add(plan.name);
            logger.info("auto-priced plan waits for a fitting BID to learn its price from", {
              plan: plan.name,
              floorUsdPerHour: formatUsdPerHour(floor),
            });
          }
          continue;
        }
        prices.set(plan.name, d.price);
        if (d.changed) {
          changed = true;
          changedAt.set(plan.name, now);
          logger.info("re-priced plan", {
            plan: plan.name,
            fromUsdPerHour: current === undefined ? undefined : formatUsdPerHour(current),
            toUsdPerHour: formatUsdPerHour(d.price),
            reason: d.reason,
            targetUsdPerHour: d.target === undefined ? undefined : formatUsdPerHour(d.target),
            floorUsdPerHour: formatUsdPerHour(floor),
            fittingBids: bidPrices.length,
            quantile: settings.targetQuantile,
          });
        }
        // still short of the target: look again once the interval allows
        if (d.target !== undefined && d.target !== d.price) {
          const next = now + settings.minIntervalSeconds * 1000;
          wakeAt = Math.min(wakeAt ?? next, next);
        }
      }
      if (changed) options.onChange();
      return Promise.resolve({ wakeAt });
    },
    planned() {
      return plans.flatMap((plan) => {
        const price = prices.get(plan.name);
        return price === undefined ? [] : [planAsk(plan, { ...planning, price })];
      });
    },
  };
}
