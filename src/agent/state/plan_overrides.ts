import type { DatabaseSync } from "node:sqlite";
import type { PlanConfig } from "../config/mod.ts";

/** What an administrator changed about a plan. */
export type PlanOverride = { plan: string; paused: boolean; priceUsdPerHour: string | undefined };

/**
 * The config's plans as administrators left them (pure): paused plans are
 * left out (their ASK is cancelled), a set price replaces the config's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { applyPlanOverrides } from "./plan_overrides.ts";
 * const plans = [{ name: "a", priceUsdPerHour: "1" }, { name: "b", priceUsdPerHour: "1" }] as never[];
 * const out = applyPlanOverrides(plans, [
 *   { plan: "a", paused: true, priceUsdPerHour: undefined },
 *   { plan: "b", paused: false, priceUsdPerHour: "2" },
 * ]);
 * assert.deepEqual(out.map((p: { name: string; priceUsdPerHour: string }) => [p.name, p.priceUsdPerHour]), [["b", "2"]]);
 * ```
 */
export function applyPlanOverrides(
  plans: readonly PlanConfig[],
  overrides: readonly PlanOverride[],
): PlanConfig[] {
  const byPlan = new Map(overrides.map((o) => [o.plan, o]));
  return plans.flatMap((p) => {
    const o = byPlan.get(p.name);
    if (o?.paused) return [];
    return [o?.priceUsdPerHour === undefined ? p : { ...p, priceUsdPerHour: o.priceUsdPerHour }];
  });
}

/** The `plan_overrides` table (migration 0008_workloads). */
export type PlanOverridesTable = {
  all(): PlanOverride[];
  setPaused(plan: string, paused: boolean, by: string): void;
  setPrice(plan: string, priceUsdPerHour: string, by: string): void;
};

/**
 * Opens the `plan_overrides` table.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openState } from "./state.ts";
 * import { planOverridesTable } from "./plan_overrides.ts";
 * const state = openState({ path: ":memory:" });
 * const t = planOverridesTable(state.db);
 * t.setPrice("a", "0.5", "0xadmin");
 * assert.deepEqual(t.all(), [{ plan: "a", paused: false, priceUsdPerHour: "0.5" }]);
 * state.close();
 * ```
 */
export function planOverridesTable(db: DatabaseSync): PlanOverridesTable {
  const all = db.prepare(
    "SELECT plan, paused, price_usd_per_hour FROM plan_overrides ORDER BY plan",
  );
  const paused = db.prepare(
    `INSERT INTO plan_overrides (plan, paused, updated_at, updated_by) VALUES (?, ?, ?, ?)
     ON CONFLICT (plan) DO UPDATE SET paused = excluded.paused,
       updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
  );
  const price = db.prepare(
    `INSERT INTO plan_overrides (plan, price_usd_per_hour, updated_at, updated_by) VALUES (?, ?, ?, ?)
     ON CONFLICT (plan) DO UPDATE SET price_usd_per_hour = excluded.price_usd_per_hour,
       updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
  );
  return {
    all: () =>
      (all.all() as Record<string, unknown>[]).map((r) => ({
        plan: String(r.plan),
        paused: Number(r.paused) === 1,
        priceUsdPerHour: r.price_usd_per_hour === null ? undefined : String(r.price_usd_per_hour),
      })),
    setPaused: (plan, p, by) => void paused.run(plan, p ? 1 : 0, Date.now(), by),
    setPrice: (plan, usd, by) => void price.run(plan, usd, Date.now(), by),
  };
}
