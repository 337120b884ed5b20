/** How failed attempts are spaced out. */
export type BackoffPolicy = {
  /** Delay after the first failure, ms. @default {2000} */
  baseMs: number;
  /** Each further failure multiplies the delay by this. @default {2} */
  factor: number;
  /** The longest delay, ms. @default {600000} (10 minutes) */
  capMs: number;
  /** Fraction of the delay drawn at random and taken off (0 = none, 0.5 = up to half). @default {0.25} */
  jitter: number;
};

/** The default policy: 2 s, doubling, at most 10 minutes, up to a quarter taken off at random. */
export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseMs: 2_000,
  factor: 2,
  capMs: 600_000,
  jitter: 0.25,
};

/**
 * The delay before try `attempt + 1` after `attempt` failures (1 = the first
 * failure): `baseMs x factor^(attempt-1)`, capped at `capMs`, minus a random
 * share of at most `jitter` of it, so that many failing pairs do not retry in
 * lockstep. Pure: `random` (in [0, 1)) comes in.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backoffDelay, DEFAULT_BACKOFF } from "./retry_schedule.ts";
 * const noJitter = { ...DEFAULT_BACKOFF, jitter: 0 };
 * assert.equal(backoffDelay(1, { policy: noJitter, random: 0 }), 2000);
 * assert.equal(backoffDelay(3, { policy: noJitter, random: 0 }), 8000);
 * assert.equal(backoffDelay(99, { policy: noJitter, random: 0 }), 600000);
 * ```
 */
export function backoffDelay(
  attempt: number,
  options: { policy: BackoffPolicy; random: number },
): number {
  const { policy, random } = options;
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RangeError(`Cannot compute backoff: attempt must be an integer >= 1: got ${attempt}`);
  }
  const raw = policy.baseMs * policy.factor ** Math.min(attempt - 1, 64);
  const capped = Math.min(raw, policy.capMs);
  return Math.round(capped * (1 - policy.jitter * random));
}

/** A key's failure record. */
export type RetryEntry = {
  /** Failures in a row. */
  attempts: number;
  /** Wall-clock ms before which the key is not tried again. */
  nextTryAt: number;
};

/** What {@linkcode RetrySchedule.fail} says about a failure. */
export type FailureVerdict = RetryEntry & {
  /** The first failure in a row: worth an error log; repeats go to debug. */
  first: boolean;
};

/** Failures per key (an (ASK, BID) pair, a deal) with their next-try times. */
export type RetrySchedule = {
  /** Whether `key` may be tried at `now` (never failed, or its delay passed). */
  ready(key: string, now: number): boolean;
  /** Records a failure at `now` and schedules the next try. */
  fail(key: string, now: number): FailureVerdict;
  /** Forgets `key` (it succeeded, or what it was about is gone). */
  clear(key: string): void;
  /** Forgets every key for which `match` holds. */
  clearWhere(match: (key: string) => boolean): void;
  /** The earliest next-try time of the keys that wait, if any. */
  nextTryAt(): number | undefined;
  /** How many keys wait. */
  size(): number;
};

/**
 * Creates a schedule of failed keys. Each failure of a key pushes its next
 * try out by {@linkcode backoffDelay}; a success clears it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createRetrySchedule } from "./retry_schedule.ts";
 * const retries = createRetrySchedule({ random: () => 0 });
 * assert.equal(retries.fail("1:2", 0).first, true);
 * assert.equal(retries.ready("1:2", 1000), false);
 * assert.equal(retries.ready("1:2", 2000), true);
 * assert.equal(retries.fail("1:2", 2000).first, false);
 * ```
 */
export function createRetrySchedule(
  options: { policy?: Partial<BackoffPolicy> | undefined; random?: (() => number) | undefined } =
    {},
): RetrySchedule {
  const policy = { ...DEFAULT_BACKOFF, ...options.policy };
  const random = options.random ?? Math.random;
  const entries = new Map<string, RetryEntry>();
  return {
    ready: (key, now) => (entries.get(key)?.nextTryAt ?? -Infinity) <= now,
    fail(key, now) {
      const attempts = (entries.get(key)?.attempts ?? 0) + 1;
      const nextTryAt = now + backoffDelay(attempts, { policy, random: random() });
      entries.set(key, { attempts, nextTryAt });
      return { attempts, nextTryAt, first: attempts === 1 };
    },
    clear: (key) => void entries.delete(key),
    clearWhere(match) {
      for (const key of entries.keys()) if (match(key)) entries.delete(key);
    },
    nextTryAt() {
      let min: number | undefined;
      for (const e of entries.values()) {
        if (min === undefined || e.nextTryAt < min) min = e.nextTryAt;
      }
      return min;
    },
    size: () => entries.size,
  };
}
