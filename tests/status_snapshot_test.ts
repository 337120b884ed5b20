/**
 * readStatusSnapshot() on a real sqlite state (the agent's migrations),
 * read over a read-only connection while the writer's connection is open,
 * as `sonm-agent status` reads a running agent's state.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  createErrorLog,
  createLogger,
  openState,
  openStatusDatabase,
  readStatusSnapshot,
  runStatusCommand,
} from "../src/agent/mod.ts";
import { AGENT, CONSUMER, PRICE, seedStatusState, WAD } from "./_fixtures/status_state.ts";

async function seeded(deals: number, open: number) {
  const dir = await Deno.makeTempDir({ prefix: "dash-status-" });
  const path = join(dir, "agent.sqlite");
  const state = openState({ path });
  seedStatusState(state.db, { deals, open, start: 1_000_000, billEvery: 600, bills: 2 });
  return { dir, path, state };
}

Deno.test("readStatusSnapshot() reads deals, bills and earnings over a read-only connection", async () => {
  const { dir, path, state } = await seeded(3, 1);
  try {
    const db = openStatusDatabase(path);
    const now = (1_000_000 + 20 + 1200 + 300) * 1000; // 300 s after the open deal's last bill
    const s = readStatusSnapshot(db, { now: () => now });
    assert.deepEqual(s.dealCounts, { open: 1, closed: 2 });
    const open = s.deals.find((d) => d.status === "ACCEPTED")!;
    assert.equal(open.dealId, "3");
    assert.equal(open.consumer, CONSUMER);
    assert.equal(open.bills, 2);
    // 2 bills of 600 s at 1e14 USD-wei/s and 2 tokens per USD = 0.24 tokens
    assert.equal(open.billedTokens, "0.24");
    assert.equal(open.pendingTokens, "0.06"); // 300 s accrued
    assert.equal(open.timeLeft, null, "a spot deal has no end");
    assert.equal(s.earnings.settledTokens, "0.72");
    assert.equal(s.earnings.settledUsd, 0.36);
    assert.equal(s.earnings.pendingUsd, Number(PRICE * 300n) / 1e18);
    assert.equal(s.earnings.rate, (2n * WAD).toString());
    assert.equal(s.earnings.series.at(-1)!.t, now / 1000);
    assert.equal(s.chain.indexedBlock, "10");
    assert.equal(s.chain.lagBlocks, null, "no head recorded");
    assert.equal(s.agent.running, true, "the seeded run is this process");
    assert.throws(() => db.exec("DELETE FROM chain_deals"), /readonly/i);
    db.close();
  } finally {
    state.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readStatusSnapshot() explains why the best BIDs do not match a plan's ASK", async () => {
  const { dir, path, state } = await seeded(1, 0);
  try {
    const db = openStatusDatabase(path);
    const s = readStatusSnapshot(db, { now: () => 2_000_000_000 });
    const plan = s.plans.find((p) => p.plan === "plan-x")!;
    assert.equal(plan.active, true);
    assert.equal(plan.verdicts.length, 2);
    assert.equal(plan.verdicts[0]!.matched, false);
    assert.equal(plan.verdicts[0]!.rule, "price-and-duration");
    assert.match(plan.verdicts[0]!.why!, /price/);
    const taken = s.plans.find((p) => p.plan === "plan-0")!;
    assert.equal(taken.orderId, null);
    assert.equal(taken.orders[0]!.retireReason, "taken");
    db.close();
  } finally {
    state.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readStatusSnapshot() shows tasks once the tasks table exists, and the error log", async () => {
  const { dir, path, state } = await seeded(1, 1);
  try {
    const db = openStatusDatabase(path);
    assert.deepEqual(readStatusSnapshot(db).tasks, []);
    state.db.exec(`CREATE TABLE tasks (deal_id INTEGER, task_id TEXT, spec TEXT, image TEXT,
      container_id TEXT, state TEXT, exit_code INTEGER, message TEXT, created_at INTEGER,
      started_at INTEGER, finished_at INTEGER)`);
    state.db.prepare(`INSERT INTO tasks VALUES (1, 't-1', '{}', 'busybox@sha256:ab', 'c1',
      'running', NULL, '', 5, 6, NULL)`).run();
    const errors = createErrorLog(state.db, { keep: 3 });
    const log = errors.wrap(createLogger({ write: () => {} }));
    for (let i = 0; i < 5; i++) {
      log.child("market").error(`cannot bill deal ${i}`, { passphrase: "p" });
    }
    const usage = new Map([["1/t-1", { cpuPercent: 12.5, memBytes: 1024 }]]);
    const s = readStatusSnapshot(db, { taskUsage: usage, address: AGENT });
    assert.equal(s.tasks.length, 1);
    assert.equal(s.tasks[0]!.state, "running");
    assert.deepEqual(s.tasks[0]!.usage, { cpuPercent: 12.5, memBytes: 1024 });
    assert.deepEqual(s.errors.map((e) => e.message), [
      "cannot bill deal 4",
      "cannot bill deal 3",
      "cannot bill deal 2",
    ]);
    assert.equal(s.errors[0]!.component, "agent:market");
    assert.equal(s.errors[0]!.fields.passphrase, "[redacted]");
    db.close();
  } finally {
    state.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runStatusCommand() prints the status from a data directory", async () => {
  const { dir, state } = await seeded(2, 1);
  try {
    const { snapshot, lines } = await runStatusCommand({ dataDir: dir });
    assert.equal(snapshot.dealCounts.open, 1);
    const text = lines.join("\n");
    assert.match(text, /deals\s+1 open/);
    assert.match(text, /plan-x: ASK active/);
    await assert.rejects(() => runStatusCommand({ dataDir: join(dir, "none") }), /no agent state/);
    state.close(); // a stopped agent: no WAL files left, still readable read-only
    const after = await runStatusCommand({ dataDir: dir });
    assert.equal(after.snapshot.dealCounts.open, 1);
    assert.equal(after.snapshot.agent.running, true);
  } finally {
    state.close();
    await Deno.remove(dir, { recursive: true });
  }
});
