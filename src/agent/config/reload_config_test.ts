import assert from "node:assert/strict";
import { join } from "node:path";
import type { AgentConfig } from "./config.ts";
import type { ConfigDiff } from "./diff_config.ts";
import { loadConfig } from "./load_config.ts";
import { createLogger } from "../base/logger.ts";
import { reloadConfigFile } from "./reload_config.ts";

const BASE = "chain: devnet\nkeystore: { path: k.json, passphrase_env: PASS }\n";
const PLAN = "  - { name: a, price_usd_per_hour: PRICE, resources: { cpu_cores: 1, ram: 1GiB } }\n";

async function withFile(fn: (file: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "reload-" });
  try {
    await fn(join(dir, "rig.yaml"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function harness(initial: AgentConfig) {
  const lines: Record<string, unknown>[] = [];
  let running = initial;
  const applied: ConfigDiff[] = [];
  return {
    lines,
    applied,
    running: () => running,
    options: {
      logger: createLogger({ format: "json", write: (l) => lines.push(JSON.parse(l)) }),
      current: () => running,
      apply: (diff: ConfigDiff) => {
        applied.push(diff);
        running = diff.config;
      },
    },
  };
}

Deno.test("reloadConfigFile: an invalid file logs every problem by field and applies nothing", async () => {
  await withFile(async (file) => {
    await Deno.writeTextFile(file, BASE + "plans:\n" + PLAN.replace("PRICE", '"1"'));
    const h = harness(await loadConfig(file));
    await Deno.writeTextFile(
      file,
      BASE + "dashboard: { port: 70000 }\nplans:\n" + PLAN.replace("PRICE", '"cheap"'),
    );
    const outcome = await reloadConfigFile(file, h.options);
    assert.equal(outcome.ok, false);
    assert.deepEqual(h.applied, []);
    assert.equal(h.running().plans[0]!.priceUsdPerHour, "1");
    const fields = h.lines.filter((l) => l.msg === "config reload: invalid field")
      .map((l) => l.field);
    assert.deepEqual(fields.sort(), ["dashboard.port", "plans[0].price_usd_per_hour"]);
    assert.ok(h.lines.every((l) => l.level === "error"));
  });
});

Deno.test("reloadConfigFile: a missing file is refused the same way", async () => {
  await withFile(async (file) => {
    await Deno.writeTextFile(file, BASE);
    const h = harness(await loadConfig(file));
    await Deno.remove(file);
    const outcome = await reloadConfigFile(file, h.options);
    assert.equal(outcome.ok, false);
    assert.deepEqual(h.applied, []);
    assert.ok(h.lines.some((l) => l.field === "(file)"));
  });
});

Deno.test("reloadConfigFile: applies live changes, logs each, and keeps the restart-only ones", async () => {
  await withFile(async (file) => {
    await Deno.writeTextFile(file, BASE + "plans:\n" + PLAN.replace("PRICE", '"1"'));
    const h = harness(await loadConfig(file));
    await Deno.writeTextFile(
      file,
      BASE + "data_dir: /moved\nplans:\n" + PLAN.replace("PRICE", '"2"'),
    );
    const outcome = await reloadConfigFile(file, h.options);
    assert.equal(outcome.ok, true);
    assert.equal(h.applied.length, 1);
    assert.equal(h.running().plans[0]!.priceUsdPerHour, "2");
    assert.notEqual(h.running().dataDir, "/moved");
    const byMsg = (msg: string) => h.lines.filter((l) => l.msg === msg);
    assert.deepEqual(
      byMsg("config reload: needs a restart; left as it was").map((l) => [l.level, l.field]),
      [["warn", "data_dir"]],
    );
    assert.deepEqual(byMsg("config reload: applied").map((l) => l.field), ["plans.a"]);
    assert.deepEqual(
      byMsg("config reloaded").map((l) => [l.applied, l.needsRestart]),
      [[1, 1]],
    );
  });
});

Deno.test("createLogger with a level function follows a reloaded logging.level at once", () => {
  const lines: string[] = [];
  let level: "info" | "debug" = "info";
  const log = createLogger({ level: () => level, write: (l) => lines.push(l) }).child("x");
  log.debug("hidden");
  level = "debug";
  log.debug("shown");
  assert.deepEqual(lines.map((l) => l.split(": ")[1]), ["shown"]);
});
