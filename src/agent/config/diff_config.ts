/**
 * The decision of a config reload (pure): which changes between the running
 * config and the file's new one apply live, and which need a restart.
 *
 * @module
 */
import { canonicalJson } from "../../internal/mod.ts";
import type { AgentConfig, PlanConfig } from "./config.ts";

/** A change a reload applies. */
export type AppliedChange = { field: string; change: string };

/** A change a reload leaves as it was, and why. */
export type RefusedChange = { field: string; reason: string };

/** What {@linkcode diffConfig} decided. */
export type ConfigDiff = {
  applied: AppliedChange[];
  refused: RefusedChange[];
  /** The config to run on: the new one, with every refused change kept as it was. */
  config: AgentConfig;
};

const RESTART = "needs a restart";

/** Settings read once at start (a socket, a port, a key, the state's folder). */
const RESTART_ONLY: readonly { field: string; read: (c: AgentConfig) => unknown }[] = [
  { field: "data_dir", read: (c) => c.dataDir },
  { field: "chain", read: (c) => c.chain },
  { field: "keystore", read: (c) => c.keystore },
  { field: "master", read: (c) => c.master },
  { field: "nat.relays", read: (c) => c.nat.relays },
  { field: "nat.listen_ports", read: (c) => c.nat.listenPorts },
  { field: "dashboard", read: (c) => c.dashboard },
  { field: "docker.socket", read: (c) => c.docker.socket },
  { field: "docker.default_limits", read: (c) => c.docker.defaultLimits },
  { field: "power", read: (c) => c.power },
  { field: "logging.format", read: (c) => c.logging.format },
];

/**
 * Diffs the running config against a new, already validated one. Live: the
 * fixed-price plans (added, removed, re-priced, changed), `logging.level`,
 * `docker.allowed_images` (for new tasks) and `admins`. Everything else, and
 * any change touching an `auto`-priced plan (its price step is built at
 * start), is refused with "needs a restart" and kept as it was in `config`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { diffConfig } from "./diff_config.ts";
 * import { parseConfig } from "./parse_config.ts";
 * const base = "chain: devnet\nkeystore: { path: k.json, passphrase_env: P }\n";
 * const old = parseConfig(base + "data_dir: /a\nlogging: { level: info }\n");
 * const next = parseConfig(base + "data_dir: /b\nlogging: { level: debug }\n");
 * const diff = diffConfig(old, next);
 * assert.deepEqual(diff.applied, [{ field: "logging.level", change: "info -> debug" }]);
 * assert.deepEqual(diff.refused.map((r) => r.field), ["data_dir"]);
 * assert.equal(diff.config.dataDir, "/a");
 * assert.equal(diff.config.logging.level, "debug");
 * ```
 */
export function diffConfig(current: AgentConfig, next: AgentConfig): ConfigDiff {
  const applied: AppliedChange[] = [];
  const refused: RefusedChange[] = [];
  for (const { field, read } of RESTART_ONLY) {
    if (!same(read(current), read(next))) refused.push({ field, reason: RESTART });
  }
  if (current.logging.level !== next.logging.level) {
    applied.push({
      field: "logging.level",
      change: `${current.logging.level} -> ${next.logging.level}`,
    });
  }
  if (!same(current.docker.allowedImages, next.docker.allowedImages)) {
    applied.push({
      field: "docker.allowed_images",
      change: `${list(current.docker.allowedImages)} -> ${list(next.docker.allowedImages)}`,
    });
  }
  if (!same(current.admins, next.admins)) {
    applied.push({ field: "admins", change: `${list(current.admins)} -> ${list(next.admins)}` });
  }
  const plans = diffPlans(current.plans, next.plans);
  applied.push(...plans.applied);
  refused.push(...plans.refused);
  const config: AgentConfig = {
    ...current,
    logging: { ...current.logging, level: next.logging.level },
    docker: { ...current.docker, allowedImages: next.docker.allowedImages },
    admins: next.admins,
    plans: plans.plans,
  };
  return { applied, refused, config };
}

/** The plans to run on: the new list, with refused changes to auto plans undone. */
function diffPlans(
  current: readonly PlanConfig[],
  next: readonly PlanConfig[],
): { applied: AppliedChange[]; refused: RefusedChange[]; plans: PlanConfig[] } {
  const applied: AppliedChange[] = [];
  const refused: RefusedChange[] = [];
  const before = new Map(current.map((p) => [p.name, p]));
  const after = new Map(next.map((p) => [p.name, p]));
  const plans: PlanConfig[] = [];
  const autoRefused = (name: string) =>
    refused.push({ field: `plans.${name}`, reason: `an auto-priced plan's change ${RESTART}` });
  for (const plan of next) {
    const old = before.get(plan.name);
    if (old !== undefined && same(old, plan)) {
      plans.push(plan);
      continue;
    }
    if (plan.priceUsdPerHour === "auto" || old?.priceUsdPerHour === "auto") {
      autoRefused(plan.name);
      if (old !== undefined) plans.push(old);
      continue;
    }
    plans.push(plan);
    applied.push({ field: `plans.${plan.name}`, change: describePlanChange(old, plan) });
  }
  for (const old of current) {
    if (after.has(old.name)) continue;
    if (old.priceUsdPerHour === "auto") {
      autoRefused(old.name);
      plans.push(old);
      continue;
    }
    applied.push({ field: `plans.${old.name}`, change: "removed (its ASK is cancelled)" });
  }
  return { applied, refused, plans };
}

function describePlanChange(old: PlanConfig | undefined, plan: PlanConfig): string {
  if (old === undefined) return `added at ${plan.priceUsdPerHour} USD/h`;
  const changed = Object.keys(plan).filter((key) =>
    !same(old[key as keyof PlanConfig], plan[key as keyof PlanConfig])
  );
  const price = changed.includes("priceUsdPerHour")
    ? `price ${old.priceUsdPerHour} -> ${plan.priceUsdPerHour} USD/h`
    : undefined;
  const others = changed.filter((key) => key !== "priceUsdPerHour").map(snakeCase);
  return [price, others.length > 0 ? `changed ${others.join(", ")}` : undefined]
    .filter((part) => part !== undefined).join("; ") + " (its ASK is replaced)";
}

function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function list(values: readonly string[]): string {
  return `[${values.join(", ")}]`;
}

/** Deep equality of parsed config values (plain data, bigints included). */
function same(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
