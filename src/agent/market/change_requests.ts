import type { DatabaseSync } from "node:sqlite";
import {
  type ChangeRequestState,
  createChangeRequest,
  formatUsdPerHour,
  getChangeRequest,
  parseUsdPerHour,
  type WriteMarketClient,
} from "../../chain/mod.ts";
import type { PlanConfig } from "../config/mod.ts";
import { openConsumerChangeRequests } from "../state/mod.ts";
import type { Logger } from "../base/mod.ts";
import type { MarketView } from "./market_view.ts";

/** What {@linkcode decideChangeRequest} says about a consumer's change request. */
export type ChangeDecision = { accept: true } | { accept: false; reason: string };

/**
 * Whether the supplier accepts a consumer's change request on a deal of
 * `plan` (pure): the new price may not be below the plan's price, and the new
 * duration must be what the plan sells (0 on a spot plan, at most the plan's
 * duration on a forward one). An auto-priced plan's floor is the deal's price.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decideChangeRequest } from "./change_requests.ts";
 * const plan = { name: "p", priceUsdPerHour: "0.36", duration: "spot" as const } as never;
 * assert.deepEqual(decideChangeRequest({ price: 2n * 10n ** 14n, duration: 0n }, plan), { accept: true });
 * assert.equal(decideChangeRequest({ price: 1n, duration: 0n }, plan).accept, false);
 * ```
 */
export function decideChangeRequest(
  request: Pick<ChangeRequestState, "price" | "duration">,
  plan: Pick<PlanConfig, "name" | "priceUsdPerHour" | "duration">,
  deal: { price: bigint } = { price: 0n },
): ChangeDecision {
  // an auto-priced plan has no fixed price: the deal's own price is the floor
  const floor = plan.priceUsdPerHour === "auto"
    ? deal.price
    : parseUsdPerHour(plan.priceUsdPerHour);
  if (request.price < floor) {
    return {
      accept: false,
      reason: `price ${formatUsdPerHour(request.price)} USD/h is below plan "${plan.name}"'s ${
        formatUsdPerHour(floor)
      } USD/h`,
    };
  }
  if (plan.duration === "spot" && request.duration !== 0n) {
    return { accept: false, reason: `plan "${plan.name}" sells spot deals only (duration 0)` };
  }
  if (plan.duration !== "spot" && request.duration > BigInt(plan.duration)) {
    return {
      accept: false,
      reason: `duration ${request.duration} s is beyond plan "${plan.name}"'s ${plan.duration} s`,
    };
  }
  return { accept: true };
}

/** What the change-request step works with. */
export type ChangeRequestsComponents = {
  db: DatabaseSync;
  /** Our open deals and the plan each bought. */
  view: Pick<MarketView, "ownDeals" | "planOf">;
  logger: Logger;
};

/** The consumers' change requests on this agent's deals. */
export type ChangeRequests = {
  /** Answers every pending consumer request once: accepts (proposing the same) or logs why not. */
  step(market: WriteMarketClient, options?: { signal?: AbortSignal | undefined }): Promise<void>;
  /**
   * `step` as a scheduler step: a failed chain call throws to the scheduler,
   * which backs the step off (an expected failure) and runs it again.
   */
  run(
    market: WriteMarketClient,
    options: { signal: AbortSignal },
  ): Promise<{ wakeAt?: number | undefined }>;
};

/**
 * Creates the change-request step: reads the consumers' pending requests on
 * this agent's open deals from the index, decides each against the deal's
 * plan ({@linkcode decideChangeRequest}), accepts by proposing the same
 * values (after checking on chain that the request is still pending), and
 * logs an ignored one once.
 *
 * @example
 * ```ts ignore
 * const changes = createChangeRequests({ db, view, logger }, { plans });
 * await changes.step(market);
 * ```
 */
export function createChangeRequests(
  components: ChangeRequestsComponents,
  /** `plans`: a function is read at each step (a config reload changes them). */
  options: { plans: readonly PlanConfig[] | (() => readonly PlanConfig[]) },
): ChangeRequests {
  const { db, view, logger } = components;
  const plans = () => typeof options.plans === "function" ? options.plans() : options.plans;
  const answered = new Set<bigint>();

  async function step(market: WriteMarketClient, opts: { signal?: AbortSignal | undefined } = {}) {
    for (const r of openConsumerChangeRequests(db)) {
      const { id } = r;
      if (answered.has(id)) continue;
      const deal = view.ownDeals().get(r.dealId);
      if (deal === undefined) continue;
      const name = view.planOf(deal);
      const plan = name === undefined ? undefined : plans().find((p) => p.name === name);
      if (plan === undefined) continue;
      const request = { price: r.price, duration: r.duration };
      const decision = decideChangeRequest(request, plan, deal);
      answered.add(id);
      if (!decision.accept) {
        logger.warn("ignored the consumer's change request", {
          dealId: deal.id,
          changeRequestId: id,
          reason: decision.reason,
        });
        continue;
      }
      const onChain = await getChangeRequest(market, { changeRequestId: id, signal: opts.signal });
      if (onChain?.status !== "CREATED") continue;
      try {
        await createChangeRequest(market, {
          dealId: deal.id,
          newPrice: request.price,
          newDuration: request.duration,
          signal: opts.signal,
        });
        logger.info("accepted the consumer's change request", {
          dealId: deal.id,
          changeRequestId: id,
          usdPerHour: formatUsdPerHour(request.price),
          duration: request.duration,
        });
      } catch (error) {
        answered.delete(id); // try again next step
        throw error;
      }
    }
  }
  return {
    step,
    async run(market, opts) {
      await step(market, opts);
      return {};
    },
  };
}
