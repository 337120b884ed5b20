import type { PlanConfig } from "./config.ts";
import type { ConfigProblem } from "../base/mod.ts";

/** What the rig has, as far as the overcommit check needs it. */
export type RigResources = {
  /** CPU threads (cores as the plans count them). */
  cpuThreads: number;
  ramBytes: number;
};

/**
 * Finds plans that together sell more than the rig has (pure): a GPU sold
 * by two plans, more CPU cores or RAM than the rig's in total. Each problem
 * names the plans involved. Plans run at the same time (one deal per plan),
 * so their sums must fit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkOvercommit } from "./check_overcommit.ts";
 * const plan = (name: string, gpus: number[]) => ({
 *   name, priceUsdPerHour: "1", duration: "spot" as const,
 *   resources: { cpuCores: 1, ramBytes: 2 ** 30, storageBytes: 0, gpus,
 *     net: { overlay: false, outbound: true, incoming: false } },
 *   identityLevel: 0 as const, counterparty: undefined, blacklist: undefined, tag: "",
 * });
 * const problems = checkOvercommit([plan("a", [0]), plan("b", [0])], {
 *   cpuThreads: 8, ramBytes: 2 ** 34,
 * });
 * assert.equal(problems.length, 1);
 * assert.match(problems[0]!.message, /GPU 0 is sold by plans "a" and "b"/);
 * ```
 */
export function checkOvercommit(
  plans: readonly PlanConfig[],
  rig: RigResources,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const sellers = new Map<number, string[]>();
  for (const p of plans) {
    for (const gpu of new Set(p.resources.gpus)) {
      sellers.set(gpu, [...(sellers.get(gpu) ?? []), p.name]);
    }
  }
  for (const [gpu, names] of [...sellers].sort(([a], [b]) => a - b)) {
    if (names.length < 2) continue;
    problems.push({
      path: "plans",
      message: `GPU ${gpu} is sold by plans ${quoteList(names)}: a GPU can serve one plan only`,
      value: gpu,
    });
  }
  const cores = plans.reduce((sum, p) => sum + p.resources.cpuCores, 0);
  if (cores > rig.cpuThreads + 1e-9) {
    problems.push({
      path: "plans",
      message: `plans ${quoteList(plans.map((p) => p.name))} sell ${cores} CPU cores in total, ` +
        `but the rig has ${rig.cpuThreads}`,
      value: cores,
    });
  }
  const ram = plans.reduce((sum, p) => sum + p.resources.ramBytes, 0);
  if (ram > rig.ramBytes) {
    problems.push({
      path: "plans",
      message: `plans ${quoteList(plans.map((p) => p.name))} sell ${ram} bytes of RAM in total, ` +
        `but the rig has ${rig.ramBytes}`,
      value: ram,
    });
  }
  return problems;
}

function quoteList(names: readonly string[]): string {
  const q = names.map((n) => `"${n}"`);
  return q.length <= 1 ? q.join("") : `${q.slice(0, -1).join(", ")} and ${q.at(-1)}`;
}
