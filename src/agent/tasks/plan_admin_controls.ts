import type { DatabaseSync } from "node:sqlite";
import { parseUsdPerHour } from "../../chain/mod.ts";
import { RequestRefusedError } from "../../nat/mod.ts";
import type { PlanConfig } from "../config/mod.ts";
import type { AdminControls } from "./admin_actions.ts";
import { applyPlanOverrides, planOverridesTable } from "../state/mod.ts";

/**
 * The administrators' controls over the plans, kept in `plan_overrides`; the
 * market loop follows them at its next step (it re-reads the plans).
 *
 * @example
 * ```ts ignore
 * const controls = createPlanAdminControls(db, { plans: config.plans });
 * ```
 */
export function createPlanAdminControls(
  db: DatabaseSync,
  options: {
    /** The config's plans (a function is read at each use: a config reload changes them). */
    plans: readonly PlanConfig[] | (() => readonly PlanConfig[]);
    status?: (() => unknown) | undefined;
    /** Called after every change (the market reconciler re-reads the plans). */
    onChange?: (() => void) | undefined;
  },
): AdminControls & { current(): PlanConfig[] } {
  const table = planOverridesTable(db);
  const plans = () => typeof options.plans === "function" ? options.plans() : options.plans;
  const has = (plan: string) => plans().some((p) => p.name === plan);
  const known = (plan: string) => {
    if (!has(plan)) {
      throw new RequestRefusedError("malformed", `plan "${plan}" is not in this rig's config`);
    }
  };
  return {
    current: () => applyPlanOverrides(plans(), table.all()),
    hasPlan: has,
    status: () => ({
      plans: applyPlanOverrides(plans(), []).map((p) => {
        const o = table.all().find((x) => x.plan === p.name);
        return {
          name: p.name,
          paused: o?.paused ?? false,
          priceUsdPerHour: o?.priceUsdPerHour ?? p.priceUsdPerHour,
        };
      }),
      ...(options.status === undefined ? {} : { market: options.status() }),
    }),
    pausePlan(plan, by) {
      known(plan);
      table.setPaused(plan, true, by);
      options.onChange?.();
    },
    resumePlan(plan, by) {
      known(plan);
      table.setPaused(plan, false, by);
      options.onChange?.();
    },
    setPrice(plan, priceUsdPerHour, by) {
      known(plan);
      try {
        parseUsdPerHour(priceUsdPerHour);
      } catch (error) {
        throw new RequestRefusedError(
          "malformed",
          `price "${priceUsdPerHour}": ${error instanceof Error ? error.message : error}`,
        );
      }
      table.setPrice(plan, priceUsdPerHour, by);
      options.onChange?.();
    },
  };
}
