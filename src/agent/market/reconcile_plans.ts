import type { PlanOrderRecord, RetireReason } from "../state/mod.ts";

export type { PlanOrderRecord, RetireReason };

/** The indexed state of an order, as far as reconciling needs it. */
export type IndexedOrderStatus = {
  active: boolean;
  dealId: bigint;
  /** The chain has no such order (its block was reorganized away). */
  missing?: boolean | undefined;
};

/** What {@linkcode reconcilePlans} decides from. */
export type ReconcilePlansInput = {
  /** The config's plans with the hash of the ASK each should have now. */
  planned: readonly { plan: string; hash: string }[];
  /** The current (not retired) order of each plan that has one. */
  records: readonly PlanOrderRecord[];
  /** Indexed state by order id; an id missing here is not indexed yet. */
  orders: ReadonlyMap<bigint, IndexedOrderStatus>;
  /** This agent's active ASKs in the indexed book, with their parameter hashes. */
  ownActiveAsks: readonly { id: bigint; hash: string }[];
  /** Plans that have an open deal: one deal per plan at a time. */
  busyPlans: ReadonlySet<string>;
};

/** One step of reconciling, in the order to carry them out. */
export type PlanAction =
  /** The recorded order stands and matches the plan (or is not indexed yet). */
  | { kind: "keep"; plan: string; orderId: bigint }
  /** Cancel an active order: the plan changed or was removed, or it duplicates a plan's order. */
  | {
    kind: "cancel";
    orderId: bigint;
    plan: string | undefined;
    reason: "changed" | "removed" | "duplicate";
  }
  /** The recorded order is no longer active (a deal took it, or it was cancelled elsewhere). */
  | { kind: "retire"; plan: string; orderId: bigint; reason: "taken" | "cancelled" | "gone" }
  /** An active ASK of ours with the plan's parameters, not recorded (placed before a crash): take it as the plan's order. */
  | { kind: "adopt"; plan: string; orderId: bigint; hash: string }
  /** Place a new ASK for the plan. */
  | { kind: "place"; plan: string; hash: string }
  /** The plan has an open deal: its next ASK waits until the deal closes. */
  | { kind: "wait"; plan: string }
  /** An active ASK of ours that no plan explains: left alone, worth a warning. */
  | { kind: "unknown"; orderId: bigint };

/**
 * Decides what to do with the plans' ASK orders: the decision table of the
 * market loop, pure. Per plan, with its recorded order R:
 *
 * | R's indexed state | R's hash | plan busy | actions |
 * | --- | --- | --- | --- |
 * | not indexed yet | any | any | keep |
 * | active | same | any | keep |
 * | active | other | no / yes | cancel (changed), then place or adopt / wait |
 * | inactive | any | no / yes | retire (taken or cancelled), then place or adopt / wait |
 * | missing on chain | any | no / yes | retire (gone), then place or adopt / wait |
 * | no record | - | no / yes | adopt an unrecorded own ASK with the same hash, else place / wait |
 *
 * A record whose plan is gone from the config is cancelled (removed) while
 * active, retired otherwise. An unrecorded active ASK of ours with the hash
 * of a plan that already has its order is cancelled (duplicate); one with
 * any other hash is reported as unknown and left alone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reconcilePlans } from "./reconcile_plans.ts";
 * const actions = reconcilePlans({
 *   planned: [{ plan: "a", hash: "h2" }],
 *   records: [{ plan: "a", orderId: 1n, hash: "h1" }],
 *   orders: new Map([[1n, { active: true, dealId: 0n }]]),
 *   ownActiveAsks: [{ id: 1n, hash: "h1" }],
 *   busyPlans: new Set(),
 * });
 * assert.equal(actions.map((a) => a.kind).join(), "cancel,place");
 * ```
 */
export function reconcilePlans(input: ReconcilePlansInput): PlanAction[] {
  const { planned, records, orders, ownActiveAsks, busyPlans } = input;
  const cancels: PlanAction[] = [];
  const retires: PlanAction[] = [];
  const rest: PlanAction[] = [];
  const recordOf = new Map(records.map((r) => [r.plan, r]));
  const claimed = new Set(records.map((r) => r.orderId));
  const orphans = ownActiveAsks.filter((o) => !claimed.has(o.id));
  const adopted = new Set<bigint>();
  const planNames = new Set(planned.map((p) => p.plan));

  for (const { plan, hash } of planned) {
    const record = recordOf.get(plan);
    if (record !== undefined) {
      const state = orders.get(record.orderId);
      if (state === undefined || (state.active && record.hash === hash)) {
        rest.push({ kind: "keep", plan, orderId: record.orderId });
        continue;
      }
      if (state.active) {
        cancels.push({ kind: "cancel", orderId: record.orderId, plan, reason: "changed" });
      } else {
        retires.push({
          kind: "retire",
          plan,
          orderId: record.orderId,
          reason: retireReason(state),
        });
      }
    }
    if (busyPlans.has(plan)) {
      rest.push({ kind: "wait", plan });
      continue;
    }
    const orphan = orphans.find((o) => o.hash === hash && !adopted.has(o.id));
    if (orphan !== undefined) {
      adopted.add(orphan.id);
      rest.push({ kind: "adopt", plan, orderId: orphan.id, hash });
    } else {
      rest.push({ kind: "place", plan, hash });
    }
  }

  for (const record of records) {
    if (planNames.has(record.plan)) continue;
    const state = orders.get(record.orderId);
    if (state === undefined || state.active) {
      cancels.push({
        kind: "cancel",
        orderId: record.orderId,
        plan: record.plan,
        reason: "removed",
      });
    } else {
      retires.push({
        kind: "retire",
        plan: record.plan,
        orderId: record.orderId,
        reason: retireReason(state),
      });
    }
  }

  const plannedHashes = new Set(planned.map((p) => p.hash));
  for (const orphan of orphans) {
    if (adopted.has(orphan.id)) continue;
    if (plannedHashes.has(orphan.hash)) {
      cancels.push({ kind: "cancel", orderId: orphan.id, plan: undefined, reason: "duplicate" });
    } else {
      rest.push({ kind: "unknown", orderId: orphan.id });
    }
  }
  return [...cancels, ...retires, ...rest];
}

function retireReason(state: IndexedOrderStatus): "taken" | "cancelled" | "gone" {
  return state.missing === true ? "gone" : state.dealId !== 0n ? "taken" : "cancelled";
}
