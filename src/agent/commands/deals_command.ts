import { formatTokenAmount, formatUsdPerHour } from "../../chain/mod.ts";
import { createChainStore, planOrdersTable } from "../state/mod.ts";
import { openStateForView } from "./_read_state.ts";

/** Options of {@linkcode runDealsCommand}. */
export type RunDealsCommandOptions = {
  /** `--config`: the rig's config (for its data directory). */
  configPath?: string | undefined;
  /** The data directory, instead of the config's. */
  dataDir?: string | undefined;
};

/** One deal on an ASK of this agent. */
export type DealEntry = {
  dealId: string;
  plan: string;
  askId: string;
  bidId: string;
  consumer: string;
  status: "ACCEPTED" | "CLOSED";
  usdPerHour: string;
  /** Seconds, 0 = spot. */
  duration: string;
  startTime: string;
  /** ISO time, "" for a running spot deal. */
  endTime: string;
  lastBillTime: string;
  /** Tokens paid to the supplier so far (decimal, 18 decimals). */
  paid: string;
  bills: number;
};

/** What {@linkcode runDealsCommand} returns. */
export type RunDealsCommandReturnType = { deals: DealEntry[] };

/**
 * `sonm-agent deals --config rig.yaml [--json]`: the deals opened on this
 * agent's ASKs, from its state database (read while the agent runs), with
 * prices in USD/h and payments in tokens.
 *
 * @throws {AgentError} when the data directory has no agent state
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runDealsCommand } from "./deals_command.ts";
 * import { openState } from "../state/mod.ts";
 * const dataDir = await Deno.makeTempDir();
 * openState({ path: `${dataDir}/agent.sqlite` }).close();
 * const { deals } = await runDealsCommand({ dataDir });
 * assert.deepEqual(deals, []);
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 */
export async function runDealsCommand(
  options: RunDealsCommandOptions,
): Promise<RunDealsCommandReturnType> {
  const state = await openStateForView("deals", options);
  try {
    const store = createChainStore(state.db);
    const table = planOrdersTable(state.db);
    const iso = (t: bigint) => new Date(Number(t) * 1000).toISOString();
    const deals = store.deals().flatMap((d): DealEntry[] => {
      const plan = table.planOf(d.askId);
      if (plan === undefined) return [];
      const bills = store.bills(d.id);
      return [{
        dealId: d.id.toString(),
        plan,
        askId: d.askId.toString(),
        bidId: d.bidId.toString(),
        consumer: d.consumer,
        status: d.status,
        usdPerHour: formatUsdPerHour(d.price),
        duration: d.duration.toString(),
        startTime: iso(d.startTime),
        endTime: d.endTime === 0n ? "" : iso(d.endTime),
        lastBillTime: iso(d.lastBillTime),
        paid: formatTokenAmount(bills.reduce((sum, b) => sum + b.paidAmount, 0n)),
        bills: bills.length,
      }];
    }).reverse();
    return { deals };
  } finally {
    state.close();
  }
}
