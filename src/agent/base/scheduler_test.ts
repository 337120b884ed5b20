import assert from "node:assert/strict";
import { createScheduler, type SchedulerClock } from "./scheduler.ts";
import { createLogger } from "./logger.ts";

const quiet = createLogger({ write: () => {} });

/** A step body that records its name. */
function push(ran: string[], name: string): () => Promise<void> {
  return () => {
    ran.push(name);
    return Promise.resolve();
  };
}

/** A clock whose time moves only when the test says. */
function fakeClock() {
  let now = 0;
  const timers: { at: number; fn: () => void; live: boolean }[] = [];
  const clock: SchedulerClock = {
    now: () => now,
    setTimer(ms, fn) {
      const t = { at: now + ms, fn, live: true };
      timers.push(t);
      return () => void (t.live = false);
    },
  };
  return {
    clock,
    pendingTimers: () => timers.filter((t) => t.live).length,
    advance(ms: number) {
      now += ms;
      for (const t of timers) {
        if (t.live && t.at <= now) {
          t.live = false;
          t.fn();
        }
      }
    },
  };
}

Deno.test("createScheduler() runs nothing until an event names a step", async () => {
  const ran: string[] = [];
  const s = createScheduler({
    logger: quiet,
    steps: [{ name: "a", on: ["head"], run: push(ran, "a") }],
  });
  await new Promise((r) => setTimeout(r, 10));
  await s.idle();
  assert.deepEqual(ran, []);
  s.trigger("config");
  await s.idle();
  assert.deepEqual(ran, []);
  await s.stop();
});

Deno.test("createScheduler() runs a burst of events once per step, in list order", async () => {
  const ran: string[] = [];
  const s = createScheduler({
    logger: quiet,
    steps: [
      { name: "plans", on: ["own", "config"], run: push(ran, "plans") },
      { name: "match", on: ["orders", "own"], run: push(ran, "match") },
      { name: "bill", on: ["head"], run: push(ran, "bill") },
    ],
  });
  s.trigger("head");
  s.trigger("orders");
  s.trigger("own");
  s.trigger("config");
  await s.idle();
  assert.deepEqual(ran, ["plans", "match", "bill"]);
  assert.equal(s.runs().get("plans"), 1);
  await s.stop();
});

Deno.test("createScheduler() never overlaps steps; an event during a run runs again after", async () => {
  let active = 0;
  let maxActive = 0;
  let count = 0;
  const s: ReturnType<typeof createScheduler> = createScheduler({
    logger: quiet,
    steps: [{
      name: "a",
      on: ["tasks"],
      run: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        count++;
        if (count === 1) s.trigger("tasks");
        await new Promise((r) => setTimeout(r, 5));
        active--;
      },
    }],
  });
  s.trigger("tasks");
  await s.idle();
  assert.equal(count, 2);
  assert.equal(maxActive, 1);
  await s.stop();
});

Deno.test("createScheduler() wakes a step at the time it asked for, and only that step", async () => {
  const fake = fakeClock();
  const ran: string[] = [];
  let wake: number | undefined = 5_000;
  const s = createScheduler({
    logger: quiet,
    clock: fake.clock,
    steps: [
      {
        name: "bill",
        on: ["start"],
        run: () => {
          ran.push("bill");
          return Promise.resolve({ wakeAt: wake });
        },
      },
      { name: "other", on: ["start"], run: push(ran, "other") },
    ],
  });
  s.trigger("start");
  await s.idle();
  assert.deepEqual(ran, ["bill", "other"]);
  fake.advance(4_999);
  await s.idle();
  assert.equal(ran.length, 2);
  wake = undefined;
  fake.advance(1);
  await s.idle();
  assert.deepEqual(ran, ["bill", "other", "bill"]);
  assert.equal(fake.pendingTimers(), 0, "a step that asks for no wake leaves no timer");
  await s.stop();
});

Deno.test("createScheduler() stops on a step's unexpected error and reports it", async () => {
  const fatal: [unknown, string][] = [];
  const lines: string[] = [];
  const ran: string[] = [];
  const s = createScheduler({
    logger: createLogger({ format: "json", write: (l) => lines.push(l) }),
    onFatal: (e, step) => fatal.push([e, step]),
    steps: [
      { name: "bug", on: ["tasks"], run: () => Promise.reject(new TypeError("x is undefined")) },
      { name: "after", on: ["tasks"], run: push(ran, "after") },
    ],
  });
  s.trigger("tasks");
  await s.idle();
  assert.equal(fatal.length, 1);
  assert.equal(fatal[0]![1], "bug");
  assert.ok(fatal[0]![0] instanceof TypeError);
  assert.match(lines[0]!, /x is undefined/);
  s.trigger("tasks");
  await s.idle();
  assert.deepEqual(ran, [], "a stopped scheduler runs nothing more");
  await s.stop();
});

Deno.test("createScheduler() refuses two steps with one name", () => {
  const run = () => Promise.resolve();
  assert.throws(
    () =>
      createScheduler({
        logger: quiet,
        steps: [{ name: "a", on: [], run }, { name: "a", on: [], run }],
      }),
    /name is taken/,
  );
});

Deno.test("createScheduler() runAll runs every step once and waits", async () => {
  const ran: string[] = [];
  const s = createScheduler({
    logger: quiet,
    steps: [
      { name: "a", on: [], run: push(ran, "a") },
      { name: "b", on: [], run: push(ran, "b") },
    ],
  });
  await s.runAll();
  assert.deepEqual(ran, ["a", "b"]);
  await s.stop();
});

/** A world failure as the agent's steps meet them (the RPC timing out). */
class WorldError extends Error {
  override name = "WorldError";
}
const worldKind = (e: unknown) => e instanceof WorldError ? "the chain" : undefined;

Deno.test("createScheduler() backs a step off on an expected failure: logged once, never fatal", async () => {
  const fake = fakeClock();
  const lines: { level: string; msg: string; attempts?: number }[] = [];
  const fatal: unknown[] = [];
  let failing = 3;
  let runs = 0;
  const s = createScheduler({
    logger: createLogger({
      format: "json",
      level: "debug",
      write: (l) => lines.push(JSON.parse(l)),
    }),
    clock: fake.clock,
    expected: worldKind,
    backoff: { baseMs: 1000, factor: 2, jitter: 0 },
    onFatal: (e) => fatal.push(e),
    steps: [{
      name: "bill",
      on: ["head"],
      run: () => {
        runs++;
        return failing-- > 0 ? Promise.reject(new WorldError("RPC timed out")) : Promise.resolve();
      },
    }],
  });
  s.trigger("head");
  await s.idle();
  assert.equal(runs, 1);
  assert.equal(s.failing().get("bill")?.attempts, 1);
  fake.advance(999);
  await s.idle();
  assert.equal(runs, 1, "not before its backoff");
  fake.advance(1);
  await s.idle();
  assert.equal(runs, 2);
  fake.advance(2000); // the third failure, then 4 s
  await s.idle();
  fake.advance(4000);
  await s.idle();
  assert.equal(runs, 4);
  assert.equal(s.failing().size, 0);
  assert.deepEqual(fatal, []);
  const about = lines.filter((l) => /reach/.test(l.msg));
  assert.deepEqual(about.map((l) => l.level), ["warn", "debug", "debug", "info"]);
  assert.equal(about[0]!.msg, "a step cannot reach the chain; retrying with backoff");
  assert.equal(about[3]!.msg, "a step reaches the chain again");
  await s.stop();
});

Deno.test("createScheduler() stop() leaves a step stuck in a call after its grace", async () => {
  let release = () => {};
  const stuck = new Promise<void>((r) => (release = r));
  const s = createScheduler({
    logger: quiet,
    stopGraceMs: 50,
    steps: [{ name: "hung", on: ["start"], run: () => stuck }],
  });
  s.trigger("start");
  await new Promise((r) => setTimeout(r, 5));
  const t = performance.now();
  await s.stop();
  assert.ok(performance.now() - t < 1000);
  release();
});

Deno.test("SCHEDULER_EVENTS: every event has a raiser in src/agent", async () => {
  const { SCHEDULER_EVENTS } = await import("./scheduler.ts");
  const root = new URL("../", import.meta.url).pathname;
  let text = "";
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(path);
      else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) {
        // code only: a doc example that raises an event is no raiser
        text += (await Deno.readTextFile(path)).replace(/\/\*[\s\S]*?\*\//g, "")
          .replace(/^\s*\/\/.*$/gm, "");
      }
    }
  };
  await walk(root.replace(/\/$/, ""));
  for (const event of SCHEDULER_EVENTS) {
    const raised = new RegExp(`(trigger|raise|events\\.add)\\(\\s*"${event}"`).test(text) ||
      new RegExp(`"${event}"[^\\n]*\\]\\)\\s*events\\.add`).test(text) ||
      new RegExp(`ALL_MARKET_EVENTS = \\[[^\\]]*"${event}"`).test(text);
    assert.ok(raised, `scheduler event "${event}" is raised nowhere in src/agent`);
  }
});
