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
    steps: [{ name: "a", on: ["block"], run: push(ran, "a") }],
  });
  await new Promise((r) => setTimeout(r, 10));
  await s.idle();
  assert.deepEqual(ran, []);
  s.trigger("other");
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
      on: ["e"],
      run: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        count++;
        if (count === 1) s.trigger("e");
        await new Promise((r) => setTimeout(r, 5));
        active--;
      },
    }],
  });
  s.trigger("e");
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
      { name: "bug", on: ["e"], run: () => Promise.reject(new TypeError("x is undefined")) },
      { name: "after", on: ["e"], run: push(ran, "after") },
    ],
  });
  s.trigger("e");
  await s.idle();
  assert.equal(fatal.length, 1);
  assert.equal(fatal[0]![1], "bug");
  assert.ok(fatal[0]![0] instanceof TypeError);
  assert.match(lines[0]!, /x is undefined/);
  s.trigger("e");
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
