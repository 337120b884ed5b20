import type { DatabaseSync } from "node:sqlite";
import { SELFTEST_STATUSES, type SelftestReport } from "../base/mod.ts";

/**
 * What the running agent learns from the chain and keeps in `meta` for
 * readers in other processes (`sonm-agent status`): the head it last saw,
 * the oracle rate, and its own address.
 */
export type StatusMeta = {
  /** The last block the agent indexed, and when it last heard the chain (unix ms). */
  head?: { number: bigint; seenAt: number } | undefined;
  /** Token wei per USD. */
  rate?: bigint | undefined;
  address?: string | undefined;
  /** Since when the agent cannot reach the chain (unix ms), and why; absent while it can. */
  unreachable?: { since: number; error: string } | null | undefined;
  /** Since when the node serves another chain than the indexed one, and what was seen; absent while not. */
  changed?: { since: number; error: string } | null | undefined;
  /** The config's plans now (a removed plan is gone) with their configured price. */
  plans?: { name: string; priceUsdPerHour: string }[] | undefined;
  /** The last self-test of the running agent. */
  selftest?: SelftestReport | undefined;
};

const KEYS = {
  head: "status.head",
  rate: "status.rate",
  address: "status.address",
  unreachable: "status.unreachable",
  changed: "status.changed",
  plans: "status.plans",
  selftest: "status.selftest",
} as const;

/**
 * Writes the given entries of the status meta (the agent's connection).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openState } from "./state.ts";
 * import { readStatusMeta, writeStatusMeta } from "./status_meta.ts";
 * const state = openState({ path: ":memory:" });
 * writeStatusMeta(state.db, { head: { number: 9n, seenAt: 1 }, rate: 5n });
 * assert.deepEqual(readStatusMeta(state.db), { head: { number: 9n, seenAt: 1 }, rate: 5n });
 * state.close();
 * ```
 */
export function writeStatusMeta(db: DatabaseSync, meta: StatusMeta): void {
  const put = db.prepare(
    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
  );
  if (meta.head !== undefined) {
    put.run(KEYS.head, JSON.stringify({ n: meta.head.number.toString(), at: meta.head.seenAt }));
  }
  if (meta.rate !== undefined) put.run(KEYS.rate, meta.rate.toString());
  if (meta.address !== undefined) put.run(KEYS.address, meta.address);
  if (meta.unreachable !== undefined) put.run(KEYS.unreachable, JSON.stringify(meta.unreachable));
  if (meta.changed !== undefined) put.run(KEYS.changed, JSON.stringify(meta.changed));
  if (meta.plans !== undefined) put.run(KEYS.plans, JSON.stringify(meta.plans));
  if (meta.selftest !== undefined) put.run(KEYS.selftest, JSON.stringify(meta.selftest));
}

/**
 * Reads the status meta; a missing or unreadable entry is left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openState } from "./state.ts";
 * import { readStatusMeta } from "./status_meta.ts";
 * const state = openState({ path: ":memory:" });
 * assert.deepEqual(readStatusMeta(state.db), {});
 * state.close();
 * ```
 */
export function readStatusMeta(db: DatabaseSync): StatusMeta {
  const rows = db.prepare("SELECT key, value FROM meta WHERE key LIKE 'status.%'").all() as {
    key: string;
    value: string;
  }[];
  const value = new Map(rows.map((r) => [r.key, r.value]));
  const out: StatusMeta = {};
  try {
    const head = value.get(KEYS.head);
    if (head !== undefined) {
      const parsed = JSON.parse(head) as { n: string; at: number };
      out.head = { number: BigInt(parsed.n), seenAt: Number(parsed.at) };
    }
    const rate = value.get(KEYS.rate);
    if (rate !== undefined && /^\d+$/.test(rate)) out.rate = BigInt(rate);
  } catch {
    // a torn or hand-edited entry: show the status without it
  }
  const unreachable = parseJson(value.get(KEYS.unreachable));
  if (unreachable === null) out.unreachable = null;
  else if (
    typeof unreachable === "object" && unreachable !== null &&
    typeof (unreachable as { since?: unknown }).since === "number"
  ) {
    const u = unreachable as { since: number; error?: unknown };
    out.unreachable = { since: u.since, error: String(u.error ?? "") };
  }
  const changed = parseJson(value.get(KEYS.changed));
  if (changed === null) out.changed = null;
  else if (
    typeof changed === "object" && changed !== null &&
    typeof (changed as { since?: unknown }).since === "number"
  ) {
    const c = changed as { since: number; error?: unknown };
    out.changed = { since: c.since, error: String(c.error ?? "") };
  }
  const plans = parseJson(value.get(KEYS.plans));
  if (Array.isArray(plans)) {
    out.plans = plans.filter((p): p is { name: string; priceUsdPerHour: string } =>
      typeof p?.name === "string" && typeof p?.priceUsdPerHour === "string"
    ).map((p) => ({ name: p.name, priceUsdPerHour: p.priceUsdPerHour }));
  }
  const address = value.get(KEYS.address);
  if (address !== undefined) out.address = address;
  const selftest = parseSelftest(parseJson(value.get(KEYS.selftest)));
  if (selftest !== undefined) out.selftest = selftest;
  return out;
}

/** A recorded self-test, its results checked one by one (a torn entry is dropped). */
function parseSelftest(raw: unknown): SelftestReport | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as { at?: unknown; ms?: unknown; results?: unknown };
  if (typeof r.at !== "number" || typeof r.ms !== "number" || !Array.isArray(r.results)) {
    return undefined;
  }
  const statuses: readonly string[] = SELFTEST_STATUSES;
  const results = r.results.filter((x): x is SelftestReport["results"][number] =>
    typeof x?.check === "string" && statuses.includes(x?.status) &&
    typeof x?.detail === "string" && typeof x?.gates === "boolean" && typeof x?.ms === "number"
  ).map((x) => ({
    check: x.check,
    ...(typeof x.plan === "string" ? { plan: x.plan } : {}),
    status: x.status,
    detail: x.detail,
    ...(typeof x.fix === "string" ? { fix: x.fix } : {}),
    gates: x.gates,
    ms: x.ms,
  }));
  return { at: r.at, ms: r.ms, results };
}

/** A meta entry's JSON, or undefined when absent or unreadable. */
function parseJson(text: string | undefined): unknown {
  if (text === undefined || text.length > 1_000_000) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
