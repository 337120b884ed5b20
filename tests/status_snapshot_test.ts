/**
 * readStatusSnapshot() on a real sqlite state (the agent's migrations),
 * read over a read-only connection while the writer's connection is open,
 * as `sonm-agent status` reads a running agent's state.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createLogger } from "../src/agent/base/mod.ts";
import { runStatusCommand } from "../src/agent/commands/mod.ts";
import {
  createErrorLog,
  openState,
  planOverridesTable,
  tasksTable,
  writeStatusMeta,
} from "../src/agent/state/mod.ts";
import { openStatusDatabase, readStatusSnapshot } from "../src/agent/status/mod.ts";
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

Deno.test("readStatusSnapshot() shows the tasks journal and the error log", async () => {
  const { dir, path, state } = await seeded(1, 1);
  try {
    const db = openStatusDatabase(path);
    assert.deepEqual(readStatusSnapshot(db).tasks, []);
    tasksTable(state.db).insert({
      dealId: 1n,
      taskId: 1,
      spec: "{}",
      image: "busybox@sha256:ab",
      containerId: "c1",
      state: "running",
      exitCode: undefined,
      message: "",
      createdAt: 5,
      startedAt: 6,
      finishedAt: undefined,
    });
    const errors = createErrorLog(state.db, { keep: 3 });
    const log = errors.wrap(createLogger({ write: () => {} }));
    for (let i = 0; i < 5; i++) {
      log.child("market").error(`cannot bill deal ${i}`, { passphrase: "p" });
    }
    const usage = new Map([["1/1", { cpuPercent: 12.5, memBytes: 1024 }]]);
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

Deno.test("readStatusSnapshot() shows a plan the rig owner paused, with or without an order", async () => {
  const { dir, path, state } = await seeded(2, 1);
  try {
    const overrides = planOverridesTable(state.db);
    overrides.setPaused("plan-x", true, "dashboard");
    overrides.setPaused("plan-never-placed", true, "dashboard");
    overrides.setPaused("plan-resumed", false, "dashboard");
    const db = openStatusDatabase(path);
    const plans = readStatusSnapshot(db).plans;
    db.close();
    const shown = (name: string) => {
      const p = plans.find((x) => x.plan === name);
      return p === undefined ? undefined : { paused: p.paused, placed: p.orderId !== null };
    };
    assert.deepEqual(shown("plan-x"), { paused: true, placed: true });
    assert.deepEqual(shown("plan-never-placed"), { paused: true, placed: false });
    assert.equal(shown("plan-resumed"), undefined, "resumed and never placed: nothing to show");
    assert.deepEqual(shown("plan-1"), { paused: false, placed: false });
    const { lines } = await runStatusCommand({ dataDir: dir });
    assert.match(lines.join("\n"), /plan-x: paused, ASK active/);
    assert.match(lines.join("\n"), /plan-never-placed: paused, order -/);
  } finally {
    state.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readStatusSnapshot() never shows a head behind the indexed block", async () => {
  const { dir, path, state } = await seeded(1, 1);
  try {
    const db = openStatusDatabase(path);
    const indexed = readStatusSnapshot(db).chain.indexedBlock!;
    // the head was recorded at start; the indexer went on (a stopped agent's state)
    const s = readStatusSnapshot(db, { head: { number: 1n, seenAt: 5 } });
    assert.equal(s.chain.headBlock, indexed);
    assert.equal(s.chain.lagBlocks, 0);
    assert.equal(s.chain.headSeenAt, 5);
    const ahead = readStatusSnapshot(db, { head: { number: BigInt(indexed) + 4n, seenAt: 5 } });
    assert.equal(ahead.chain.lagBlocks, 4);
    db.close();
  } finally {
    state.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readStatusSnapshot() lists the config's plans now, with the price each asks now", async () => {
  const { dir, path, state } = await seeded(8, 1); // orders of plan-0 .. plan-3
  try {
    // the config now has two of them (plan-2 and plan-3 were removed) and a new one
    writeStatusMeta(state.db, {
      plans: [
        { name: "plan-0", priceUsdPerHour: "0.36" },
        { name: "plan-1", priceUsdPerHour: "0.5" },
        { name: "plan-new", priceUsdPerHour: "2" },
      ],
    });
    planOverridesTable(state.db).setPrice("plan-1", "0.9", "0xadmin"); // an admin's set-price
    const db = openStatusDatabase(path);
    const plans = readStatusSnapshot(db).plans;
    db.close();
    assert.deepEqual(
      plans.map((p) => [p.plan, p.priceUsdPerHour]),
      [["plan-0", "0.36"], ["plan-1", "0.9"], ["plan-new", "2"]],
      "a removed plan is gone; an administrator's price shows at once",
    );
    const { lines } = await runStatusCommand({ dataDir: dir });
    assert.match(lines.join("\n"), /plan-1: .*asks 0\.9 USD\/h/);
    assert.doesNotMatch(lines.join("\n"), /plan-2/);
  } finally {
    state.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readStatusSnapshot() says since when the running agent cannot hear the chain", async () => {
  const { dir, path, state } = await seeded(1, 1);
  try {
    const now = 5_000_000;
    const db = openStatusDatabase(path);
    const at = (seenAt: number) =>
      readStatusSnapshot(db, { now: () => now, head: { number: 10n, seenAt }, unreachable: null })
        .chain;
    assert.deepEqual(
      [at(now - 2_000).headAgeSeconds, at(now - 2_000).unreachableSince],
      [2, null],
      "heard 2 s ago: reachable",
    );
    // a hanging RPC fails no poll for a long while: silence alone says it
    const silent = at(now - 40_000);
    assert.deepEqual([silent.headAgeSeconds, silent.unreachableSince], [40, now - 40_000]);
    assert.match(silent.unreachableReason ?? "", /has not answered since/);
    // what the agent recorded when its polls failed
    writeStatusMeta(state.db, {
      head: { number: 10n, seenAt: now - 90_000 },
      unreachable: { since: now - 60_000, error: "HTTP request timed out" },
    });
    const recorded = readStatusSnapshot(db, { now: () => now }).chain;
    assert.deepEqual(
      [recorded.headAgeSeconds, recorded.unreachableSince, recorded.unreachableReason],
      [90, now - 60_000, "HTTP request timed out"],
    );
    const { lines } = await runStatusCommand({ dataDir: dir });
    assert.match(lines[1]!, /UNREACHABLE since .*HTTP request timed out/);
    db.close();
  } finally {
    state.close();
    await Deno.remove(dir, { recursive: true });
  }
});
