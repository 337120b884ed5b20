import { formatUsdPerHour } from "../../chain/mod.ts";
import { createChainStore, planOrdersTable } from "../state/mod.ts";
import { openStateForView } from "./_read_state.ts";

/** Options of {@linkcode runOrdersCommand}. */
export type RunOrdersCommandOptions = {
  /** `--config`: the rig's config (for its data directory). */
  configPath?: string | undefined;
  /** The data directory, instead of the config's. */
  dataDir?: string | undefined;
};

/** One ASK the agent placed for a plan. */
export type OrderEntry = {
  plan: string;
  orderId: string;
  /** Whether it is the plan's order now. */
  current: boolean;
  /** `active`, `taken` (by a deal), `cancelled`, or `pending` (not indexed yet). */
  status: "active" | "taken" | "cancelled" | "pending";
  /** USD per hour, as people read it ("" while pending). */
  usdPerHour: string;
  /** Seconds, 0 = spot ("" while pending). */
  duration: string;
  /** The deal that took it, "" when none. */
  dealId: string;
  /** ISO time it was placed (or adopted). */
  placedAt: string;
  /** Why it stopped being the plan's order, "" while current. */
  retireReason: string;
};

/** What {@linkcode runOrdersCommand} returns. */
export type RunOrdersCommandReturnType = { orders: OrderEntry[] };

/**
 * `sonm-agent orders --config rig.yaml [--json]`: this agent's ASK orders,
 * newest first, from its state database (read while the agent runs).
 *
 * @throws {AgentError} when the data directory has no agent state
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runOrdersCommand } from "./orders_command.ts";
 * import { openState } from "../state/mod.ts";
 * const dataDir = await Deno.makeTempDir();
 * openState({ path: `${dataDir}/agent.sqlite` }).close();
 * const { orders } = await runOrdersCommand({ dataDir });
 * assert.deepEqual(orders, []);
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 */
export async function runOrdersCommand(
  options: RunOrdersCommandOptions,
): Promise<RunOrdersCommandReturnType> {
  const state = await openStateForView("orders", options);
  try {
    const store = createChainStore(state.db);
    const orders = planOrdersTable(state.db).all().map((row): OrderEntry => {
      const o = store.getOrder(row.orderId);
      const status = o === undefined
        ? "pending"
        : o.active
        ? "active"
        : o.dealId !== 0n
        ? "taken"
        : "cancelled";
      return {
        plan: row.plan,
        orderId: row.orderId.toString(),
        current: row.retiredAt === undefined,
        status,
        usdPerHour: o === undefined ? "" : formatUsdPerHour(o.price),
        duration: o === undefined ? "" : o.duration.toString(),
        dealId: o === undefined || o.dealId === 0n ? "" : o.dealId.toString(),
        placedAt: new Date(row.placedAt).toISOString(),
        retireReason: row.retireReason ?? "",
      };
    });
    return { orders };
  } finally {
    state.close();
  }
}
