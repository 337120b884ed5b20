import { backoffDelay, type BackoffPolicy, type Logger, type SelftestResult } from "../base/mod.ts";

/** Why a plan is withheld: the first failing check that gates it. */
export type PlanBlock = { check: string; detail: string; fix: string | undefined };

/**
 * Which plans the self-test withholds from the market (pure): a plan is
 * withheld while a result with `gates` has failed for it, either rig-wide (no
 * `plan`: Docker gone withholds every plan) or for that plan (its container
 * did not get its limits, its GPUs are not visible, its storage does not
 * fit). `ok`, `warn` and `skipped` withhold nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blockedPlans } from "./selftest_gate.ts";
 * const blocked = blockedPlans(["a", "b"], [
 *   { check: "docker", status: "ok", detail: "", gates: true, ms: 1 },
 *   { check: "disk", plan: "b", status: "failed", detail: "1 GiB free", fix: "free disk",
 *     gates: true, ms: 1 },
 *   { check: "clock", status: "failed", detail: "skew 400 s", gates: false, ms: 1 },
 * ]);
 * assert.deepEqual([...blocked.keys()], ["b"]);
 * assert.equal(blocked.get("b")?.check, "disk");
 * ```
 */
export function blockedPlans(
  plans: readonly string[],
  results: readonly SelftestResult[],
): Map<string, PlanBlock> {
  const out = new Map<string, PlanBlock>();
  for (const plan of plans) {
    const failing = results.find((r) =>
      r.gates && r.status === "failed" && (r.plan === undefined || r.plan === plan)
    );
    if (failing !== undefined) {
      out.set(plan, { check: failing.check, detail: failing.detail, fix: failing.fix });
    }
  }
  return out;
}

/** A change of the gate's state worth one log line. */
export type GateChange =
  | { kind: "withheld"; check: string; plans: string[]; detail: string; fix: string | undefined }
  | { kind: "offered"; plans: string[]; check: string };

/**
 * What changed between two gate states (pure), grouped by failing check: one
 * `withheld` per check for the plans it withholds that were offered before,
 * one `offered` per check for the plans offered again. A plan that stays
 * withheld (even for another check now: Docker went away during a container
 * check, then the daemon check fails) gives nothing: the caller logs once per
 * change of a plan's state, offered or withheld.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gateChanges } from "./selftest_gate.ts";
 * const docker = { check: "docker", detail: "socket missing", fix: "start dockerd" };
 * const before = new Map();
 * const after = new Map([["a", docker], ["b", docker]]);
 * assert.deepEqual(gateChanges(before, after), [
 *   { kind: "withheld", check: "docker", plans: ["a", "b"], detail: "socket missing",
 *     fix: "start dockerd" },
 * ]);
 * assert.deepEqual(gateChanges(after, after), []);
 * assert.deepEqual(gateChanges(after, before), [
 *   { kind: "offered", check: "docker", plans: ["a", "b"] },
 * ]);
 * ```
 */
export function gateChanges(
  before: ReadonlyMap<string, PlanBlock>,
  after: ReadonlyMap<string, PlanBlock>,
): GateChange[] {
  const withheld = new Map<string, { plans: string[]; block: PlanBlock }>();
  for (const [plan, block] of after) {
    // a plan withheld already stays withheld: another check failing too is no new state
    if (before.has(plan)) continue;
    const entry = withheld.get(block.check) ?? { plans: [], block };
    entry.plans.push(plan);
    withheld.set(block.check, entry);
  }
  const offered = new Map<string, string[]>();
  for (const [plan, block] of before) {
    if (after.has(plan)) continue;
    offered.set(block.check, [...(offered.get(block.check) ?? []), plan]);
  }
  return [
    ...[...withheld].map(([check, { plans, block }]): GateChange => ({
      kind: "withheld",
      check,
      plans,
      detail: block.detail,
      fix: block.fix,
    })),
    ...[...offered].map(([check, plans]): GateChange => ({ kind: "offered", plans, check })),
  ];
}

/** How often the self-test runs: every `periodMs` while it passes, backed off while it fails. */
export type SelftestSchedule = {
  /** Between runs while nothing is withheld, ms. @default {300000} (5 minutes) */
  periodMs: number;
  /** Retries while a plan is withheld. @default {2 s doubling, at most 60 s} */
  retry: BackoffPolicy;
};

/** The default schedule: every 5 minutes; retries after 2 s, doubling, at most a minute. */
export const DEFAULT_SELFTEST_SCHEDULE: SelftestSchedule = {
  periodMs: 300_000,
  retry: { baseMs: 2_000, factor: 2, capMs: 60_000, jitter: 0.25 },
};

/** The agent's gate over its plans, fed by each self-test run. */
export type SelftestGate = {
  /**
   * Takes a run's results for the plans now configured; logs each change of
   * state (an `error` line naming the failing check and its fix, an `info`
   * line when the plans are offered again; retries that change nothing log at
   * `debug`) and returns whether the withheld plans changed and when to run
   * again (wall ms).
   */
  update(
    plans: readonly string[],
    results: readonly SelftestResult[],
    now: number,
  ): { changed: boolean; nextRunAt: number };
  /** Whether the plan is offered (no failing check withholds it). */
  offered(plan: string): boolean;
  /** The plans withheld now, with why. */
  blocked(): ReadonlyMap<string, PlanBlock>;
};

/**
 * Creates the gate: {@linkcode blockedPlans} decides, {@linkcode gateChanges}
 * says what to log, and failures in a row back the next run off.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createLogger } from "../base/mod.ts";
 * import { createSelftestGate } from "./selftest_gate.ts";
 * const lines: string[] = [];
 * const gate = createSelftestGate({ logger: createLogger({ write: (l) => lines.push(l) }) });
 * const failed = [{ check: "docker", status: "failed" as const, detail: "no socket",
 *   fix: "start dockerd", gates: true, ms: 1 }];
 * assert.equal(gate.update(["a"], failed, 0).changed, true);
 * assert.equal(gate.offered("a"), false);
 * assert.equal(gate.update(["a"], failed, 1).changed, false); // a retry: no new line
 * assert.equal(lines.length, 1);
 * assert.equal(gate.update(["a"], [], 2).changed, true);
 * assert.equal(gate.offered("a"), true);
 * ```
 */
export function createSelftestGate(
  components: { logger: Logger; random?: (() => number) | undefined },
  options: { schedule?: Partial<SelftestSchedule> | undefined } = {},
): SelftestGate {
  const { logger } = components;
  const random = components.random ?? Math.random;
  const schedule = { ...DEFAULT_SELFTEST_SCHEDULE, ...options.schedule };
  let current: ReadonlyMap<string, PlanBlock> = new Map();
  let failures = 0;
  return {
    update(plans, results, now) {
      const next = blockedPlans(plans, results);
      const changes = gateChanges(current, next);
      for (const change of changes) {
        if (change.kind === "withheld") {
          logger.error(`self-test check "${change.check}" failed: plans not offered`, {
            check: change.check,
            plans: change.plans,
            detail: change.detail,
            fix: change.fix,
          });
        } else {
          logger.info(`self-test check "${change.check}" passes: plans offered again`, {
            check: change.check,
            plans: change.plans,
            after: failures,
          });
        }
      }
      // the same plans withheld for the same reasons, or offered: the set is what counts
      const changed = next.size !== current.size ||
        [...next.keys()].some((p) => !current.has(p));
      current = next;
      if (next.size === 0) {
        failures = 0;
        return { changed, nextRunAt: now + schedule.periodMs };
      }
      failures++;
      if (changes.length === 0) {
        logger.debug("self-test still fails; retrying with backoff", {
          plans: [...next.keys()],
          attempts: failures,
        });
      }
      const delay = backoffDelay(failures, { policy: schedule.retry, random: random() });
      return { changed, nextRunAt: now + Math.min(delay, schedule.periodMs) };
    },
    offered: (plan) => !current.has(plan),
    blocked: () => current,
  };
}
