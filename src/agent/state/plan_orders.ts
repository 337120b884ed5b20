import type { DatabaseSync } from "node:sqlite";

/** A plan's order as the agent recorded it (its current one). */
export type PlanOrderRecord = { plan: string; orderId: bigint; hash: string };

/** Why a recorded order stops being its plan's order. */
export type RetireReason = "taken" | "cancelled" | "changed" | "removed" | "gone";

/** A row of `plan_orders` (migration 0004_plans). */
export type PlanOrderRow = PlanOrderRecord & {
  placedAt: number;
  retiredAt: number | undefined;
  retireReason: RetireReason | undefined;
};

/** The `plan_orders` table: which ASK serves which plan. Owner: the market loop. */
export type PlanOrdersTable = {
  /** Each plan's current (not retired) order. */
  current(): PlanOrderRecord[];
  /** Every row, newest first. */
  all(): PlanOrderRow[];
  /** The plan an order was placed for, if it is one of ours. */
  planOf(orderId: bigint): string | undefined;
  record(r: PlanOrderRecord, now: number): void;
  retire(orderId: bigint, reason: RetireReason, now: number): void;
  /**
   * Records an order a deal took before the agent recorded it (its plan
   * recovered from the chain), retired `taken`; an order already known is left alone.
   */
  recordTaken(r: PlanOrderRecord, now: number): void;
  /** Retires every current order with `reason` (a new devnet chain: their ids name nothing). */
  retireAll(reason: RetireReason, now: number): void;
};

/** Opens the table over the agent's state database. */
export function planOrdersTable(db: DatabaseSync): PlanOrdersTable {
  const q = {
    current: db.prepare(
      "SELECT order_id, plan, params_hash FROM plan_orders WHERE retired_at IS NULL ORDER BY plan",
    ),
    all: db.prepare("SELECT * FROM plan_orders ORDER BY placed_at DESC, order_id DESC"),
    planOf: db.prepare("SELECT plan FROM plan_orders WHERE order_id = ?"),
    insert: db.prepare(
      `INSERT INTO plan_orders (order_id, plan, params_hash, placed_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (order_id) DO UPDATE SET plan = excluded.plan,
         params_hash = excluded.params_hash, retired_at = NULL, retire_reason = NULL`,
    ),
    taken: db.prepare(
      `INSERT INTO plan_orders (order_id, plan, params_hash, placed_at, retired_at, retire_reason)
       VALUES (?, ?, ?, ?, ?, 'taken') ON CONFLICT (order_id) DO NOTHING`,
    ),
    retire: db.prepare(
      `UPDATE plan_orders SET retired_at = ?, retire_reason = ?
       WHERE order_id = ? AND retired_at IS NULL`,
    ),
    retireAll: db.prepare(
      "UPDATE plan_orders SET retired_at = ?, retire_reason = ? WHERE retired_at IS NULL",
    ),
  };
  type Row = Record<string, unknown>;
  return {
    current: () =>
      (q.current.all() as Row[]).map((r) => ({
        plan: r.plan as string,
        orderId: BigInt(r.order_id as bigint),
        hash: r.params_hash as string,
      })),
    all: () =>
      (q.all.all() as Row[]).map((r) => ({
        plan: r.plan as string,
        orderId: BigInt(r.order_id as bigint),
        hash: r.params_hash as string,
        placedAt: Number(r.placed_at),
        retiredAt: r.retired_at === null ? undefined : Number(r.retired_at),
        retireReason: (r.retire_reason ?? undefined) as RetireReason | undefined,
      })),
    planOf: (orderId) => (q.planOf.get(orderId) as Row | undefined)?.plan as string | undefined,
    record: (r, now) => void q.insert.run(r.orderId, r.plan, r.hash, now),
    retire: (orderId, reason, now) => void q.retire.run(now, reason, orderId),
    recordTaken: (r, now) => void q.taken.run(r.orderId, r.plan, r.hash, now, now),
    retireAll: (reason, now) => void q.retireAll.run(now, reason),
  };
}
