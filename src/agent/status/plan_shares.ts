import type { PlanConfig } from "../config/mod.ts";
import { planShare } from "../market/mod.ts";

/**
 * The part of the rig each plan sells, by plan name (0-1): its GPUs' share of
 * the rig's GPUs when it sells GPUs, else its cores' share of the rig's
 * threads (the same rule as the power floor of an auto price). A deal on the
 * plan draws that share of the rig's load power.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planSharesOf } from "./plan_shares.ts";
 * const plan = (name: string, cpuCores: number, gpus: number[]) =>
 *   ({ name, resources: { cpuCores, gpus } }) as never;
 * const shares = planSharesOf([plan("half", 1, []), plan("gpu", 1, [0])], { threads: 2, gpuCount: 2 });
 * assert.deepEqual([...shares], [["half", 0.5], ["gpu", 0.5]]);
 * ```
 */
export function planSharesOf(
  plans: readonly Pick<PlanConfig, "name" | "resources">[],
  rig: { threads: number; gpuCount: number },
): Map<string, number> {
  return new Map(plans.map((plan) => {
    const { numerator, denominator } = planShare(plan.resources, rig);
    return [plan.name, Number(numerator) / Number(denominator)];
  }));
}
