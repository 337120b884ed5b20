import assert from "node:assert/strict";
import { join } from "node:path";
import { AgentError } from "../../errors.ts";
import { runDealsCommand } from "./deals_command.ts";
import { runOrdersCommand } from "./orders_command.ts";
import { openState } from "../state/state.ts";

Deno.test("runOrdersCommand() and runDealsCommand() refuse a data directory without agent state", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "orders_command_test_" });
  try {
    for (const run of [runOrdersCommand, runDealsCommand]) {
      await assert.rejects(
        run({ dataDir }),
        (e: unknown) => e instanceof AgentError && e.message.includes("no agent state at"),
      );
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("runOrdersCommand() shows a recorded order the indexer has not seen as pending", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "orders_command_test_" });
  try {
    const state = openState({ path: join(dataDir, "agent.sqlite") });
    state.db.prepare(
      "INSERT INTO plan_orders (order_id, plan, params_hash, placed_at) VALUES (?, ?, ?, ?)",
    ).run(7n, "cpu-small", "ab", Date.UTC(2026, 0, 2));
    state.close();
    const { orders } = await runOrdersCommand({ dataDir });
    assert.deepEqual(orders, [{
      plan: "cpu-small",
      orderId: "7",
      current: true,
      status: "pending",
      usdPerHour: "",
      duration: "",
      dealId: "",
      placedAt: "2026-01-02T00:00:00.000Z",
      retireReason: "",
    }]);
    assert.deepEqual((await runDealsCommand({ dataDir })).deals, []);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
