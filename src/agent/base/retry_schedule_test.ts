import assert from "node:assert/strict";
import { backoffDelay, createRetrySchedule, DEFAULT_BACKOFF } from "./retry_schedule.ts";

const exact = { ...DEFAULT_BACKOFF, jitter: 0 };

Deno.test("backoffDelay() doubles from the base and stops at the cap", () => {
  const delays = [1, 2, 3, 4, 9, 10, 1000].map((n) =>
    backoffDelay(n, { policy: exact, random: 0.9 })
  );
  assert.deepEqual(delays, [2000, 4000, 8000, 16000, 512000, 600000, 600000]);
});

Deno.test("backoffDelay() takes at most the jitter share off, never adds", () => {
  const policy = { ...DEFAULT_BACKOFF, jitter: 0.5 };
  assert.equal(backoffDelay(2, { policy, random: 0 }), 4000);
  assert.equal(backoffDelay(2, { policy, random: 0.5 }), 3000);
  assert.equal(backoffDelay(2, { policy, random: 0.999999 }), 2000);
  assert.equal(backoffDelay(50, { policy, random: 0.5 }), 450000, "jitter applies below the cap");
});

Deno.test("backoffDelay() refuses an attempt below 1", () => {
  assert.throws(() => backoffDelay(0, { policy: exact, random: 0 }), RangeError);
  assert.throws(() => backoffDelay(1.5, { policy: exact, random: 0 }), /attempt must be/);
});

Deno.test("createRetrySchedule() spaces out a key's failures and clears on success", () => {
  const r = createRetrySchedule({ policy: { jitter: 0 } });
  assert.equal(r.ready("a", 0), true);
  const first = r.fail("a", 1000);
  assert.deepEqual(first, { attempts: 1, nextTryAt: 3000, first: true });
  assert.equal(r.ready("a", 2999), false);
  assert.equal(r.ready("a", 3000), true);
  const second = r.fail("a", 3000);
  assert.deepEqual(second, { attempts: 2, nextTryAt: 7000, first: false });
  r.fail("b", 3500);
  assert.equal(r.nextTryAt(), 5500);
  assert.equal(r.size(), 2);
  r.clear("b");
  assert.equal(r.nextTryAt(), 7000);
  r.clear("a");
  assert.equal(r.ready("a", 3001), true);
  assert.equal(r.fail("a", 0).first, true, "a cleared key starts over");
  assert.equal(r.nextTryAt(), 2000);
});

Deno.test("createRetrySchedule() clearWhere forgets the matching keys only", () => {
  const r = createRetrySchedule({ random: () => 0 });
  r.fail("1:10", 0);
  r.fail("2:10", 0);
  r.fail("1:11", 0);
  r.clearWhere((k) => k.endsWith(":10"));
  assert.equal(r.size(), 1);
  assert.equal(r.ready("1:11", 0), false);
  assert.equal(r.ready("1:10", 0), true);
});

Deno.test("createRetrySchedule() draws the jitter from its random source", () => {
  const r = createRetrySchedule({ policy: { jitter: 0.25 }, random: () => 1 - Number.EPSILON });
  assert.equal(r.fail("k", 0).nextTryAt, 1500);
});
