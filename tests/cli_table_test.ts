/**
 * The CLI's one table renderer, and a real `sonm-agent orders` whose plan
 * names are as long as the config allows (63 characters): every column
 * stays in line.
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { renderTable } from "../main.ts";
import { openState } from "../src/agent/state/mod.ts";

const ROOT = resolve(new URL(".", import.meta.url).pathname, "..");

Deno.test("renderTable() sizes each column to its widest cell and aligns numbers right", () => {
  const long = "a".repeat(63);
  assert.deepEqual(
    renderTable(["ID", "PLAN", "VALUE"], [["1", long, "5"], ["22", "b", "12345"]], {
      alignRight: [2],
    }),
    [
      `ID  PLAN${" ".repeat(59)}  VALUE`,
      `1   ${long}      5`,
      `22  b${" ".repeat(62)}  12345`,
    ],
  );
  assert.deepEqual(renderTable([], [["k", "v"], ["key", "value"]], { indent: "  " }), [
    "  k    v",
    "  key  value",
  ]);
  // Wide characters count as one column each, as terminals mostly show them.
  assert.deepEqual(renderTable(["N"], [["💥💥"]]), ["N", "💥💥"]);
});

Deno.test("sonm-agent orders keeps its columns in line with 63-character plan names", async () => {
  const dir = await Deno.makeTempDir({ prefix: "review-table-" });
  try {
    const config = join(dir, "rig.yaml");
    await Deno.writeTextFile(
      config,
      "chain: devnet\nkeystore: { path: k.json, passphrase_env: PASS }\ndata_dir: ./data\n",
    );
    const state = openState({ path: join(dir, "data", "agent.sqlite") });
    const insert = state.db.prepare(
      "INSERT INTO plan_orders (order_id, plan, params_hash, placed_at) VALUES (?, ?, ?, ?)",
    );
    insert.run(7n, "p".repeat(63), "ab", Date.UTC(2026, 0, 2));
    insert.run(12345n, "short", "cd", Date.UTC(2026, 0, 3));
    state.close();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(ROOT, "main.ts"), "orders", "--config", config],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const lines = stdout.trimEnd().split("\n");
    assert.equal(lines.length, 3, stdout);
    const status = lines[0]!.indexOf("STATUS");
    const placed = lines[0]!.indexOf("PLACED");
    for (const line of lines.slice(1)) {
      assert.equal(line.indexOf("pending"), status, stdout);
      assert.equal(line.indexOf("2026-01-0"), placed, stdout);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
