import type { Logger } from "./logger.ts";
import { backoffDelay, type BackoffPolicy, DEFAULT_BACKOFF } from "./retry_schedule.ts";

/**
 * Every event that wakes steps, each raised somewhere (a test checks that
 * each name here has a raiser, so a step cannot wait on an event nothing
 * raises). The market reconciler raises `start` (once), `orders` (a sync
 * changed standing orders), `own` (our orders or deals changed), `views`
 * (masters, levels or blacklists changed), `head` (a new block: chain time
 * moved), `config` (plans reloaded) and `prices` (an auto price moved); the
 * task side raises `tasks` (a Docker event, an accepted task request, a task
 * lost by the rig) and `dependencies` (dockerd stopped or started answering);
 * the NAT host raises `dependencies` too (a relay reserved or lost); the
 * self-test step raises `selftest` (the plans it withholds changed).
 */
export const SCHEDULER_EVENTS = [
  "start",
  "orders",
  "own",
  "views",
  "head",
  "config",
  "prices",
  "tasks",
  "deals-due",
  "dependencies",
  "selftest",
] as const;

/** What wakes steps: one of {@linkcode SCHEDULER_EVENTS}. */
export type SchedulerEvent = typeof SCHEDULER_EVENTS[number];

/** What a step may ask of the scheduler after a run. */
export type StepOutcome = {
  /** Run this step again at this wall-clock time (ms), unless an event runs it first. */
  wakeAt?: number | undefined;
};

/** One step of the reconciler: a name, the events it answers, its run. */
export type ScheduledStep = {
  name: string;
  /** Events that make this step run. */
  on: readonly SchedulerEvent[];
  run(options: { signal: AbortSignal }): Promise<StepOutcome | void>;
};

/** The clock the scheduler reads and sets timers with (tests pass a fake one). */
export type SchedulerClock = {
  now(): number;
  /** Calls `fn` after `ms`; returns a function that cancels it. */
  setTimer(ms: number, fn: () => void): () => void;
};

/** The real clock: Date.now and setTimeout (the one place in the agent that reads them). */
export const systemClock: SchedulerClock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const id = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(id);
  },
};

/**
 * Waits `ms` on `clock`; ends early (resolving) when `signal` aborts, so a
 * loop that backs off never holds up a stop.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sleepOn, systemClock } from "./scheduler.ts";
 * const stop = new AbortController();
 * const t = performance.now();
 * const slept = sleepOn(systemClock, 60_000, stop.signal);
 * stop.abort();
 * await slept;
 * assert.ok(performance.now() - t < 1000);
 * ```
 */
export function sleepOn(clock: SchedulerClock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      cancel();
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const cancel = clock.setTimer(ms, done);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Tells an expected failure (the world: the chain's RPC, Docker, a relay)
 * from a bug: returns the failing dependency's name (`chain`, `docker`...)
 * or undefined for an error no step expects.
 */
export type FailureKind = (error: unknown) => string | undefined;

/** Options of {@linkcode createScheduler}. */
export type CreateSchedulerOptions = {
  steps: readonly ScheduledStep[];
  logger: Logger;
  clock?: SchedulerClock | undefined;
  /** Called with an error a step did not expect (a bug): the scheduler stops. */
  onFatal?: ((error: unknown, step: string) => void) | undefined;
  /** Called after each step that returned, with its name and duration, ms. */
  onStep?: ((step: string, ms: number) => void) | undefined;
  /**
   * Which thrown errors are expected failures of the world rather than bugs:
   * such a step is logged once (warn), run again after a backoff, and logged
   * once more when it recovers. @default {none: every throw is a bug}
   */
  expected?: FailureKind | undefined;
  /** Spacing of the runs of a step that keeps failing as expected. @default {DEFAULT_BACKOFF} */
  backoff?: Partial<BackoffPolicy> | undefined;
  /** How long `stop()` waits for a running step before it returns anyway, ms. @default {1000} */
  stopGraceMs?: number | undefined;
};

/** Runs steps on events, one at a time, in the list's order. */
export type Scheduler = {
  /** Marks every step that answers `event` to run (soon, after the running step). */
  trigger(event: SchedulerEvent): void;
  /** Runs every step once now, in order (tests, and a manual nudge); waits for it. */
  runAll(): Promise<void>;
  /** Resolves when no step runs and none is pending. */
  idle(): Promise<void>;
  /** Steps run so far, by name (for tests and the bench). */
  runs(): ReadonlyMap<string, number>;
  /** Steps failing as expected now, by name, with their failures in a row and the last error. */
  failing(): ReadonlyMap<string, { attempts: number; kind: string; error: string }>;
  /**
   * Cancels timers, aborts the running step's signal and waits for it, at most
   * `stopGraceMs`: a step stuck in a call that ignores the signal is left
   * behind (every step is idempotent, so this is no worse than a kill).
   */
  stop(): Promise<void>;
};

/**
 * Creates the reconciler's scheduler. Nothing runs until an event names a
 * step, or a step's own `wakeAt` comes: an idle agent has no timers but the
 * ones its steps asked for (a bill coming due, a backoff ending). Steps never
 * overlap; events raised while a step runs are served right after, in list
 * order, so a burst of events runs each step once. A step that throws an
 * error `expected` names (the RPC hanging, Docker gone) is logged once, run
 * again after a backoff (or sooner, on an event), and logged again when it
 * recovers; any other throw is a bug: the scheduler logs it, stops, and
 * reports it through `onFatal`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createScheduler } from "./scheduler.ts";
 * import { createLogger } from "./logger.ts";
 * const ran: string[] = [];
 * const scheduler = createScheduler({
 *   logger: createLogger({ write: () => {} }),
 *   steps: [
 *     { name: "plans", on: ["config"], run: async () => void ran.push("plans") },
 *     { name: "bill", on: ["head"], run: async () => void ran.push("bill") },
 *   ],
 * });
 * scheduler.trigger("head");
 * await scheduler.idle();
 * assert.deepEqual(ran, ["bill"]);
 * await scheduler.stop();
 * ```
 */
export function createScheduler(options: CreateSchedulerOptions): Scheduler {
  const { steps, logger, clock = systemClock, onFatal, onStep, expected } = options;
  const policy = { ...DEFAULT_BACKOFF, ...options.backoff };
  const stopGraceMs = options.stopGraceMs ?? 1000;
  const names = new Set<string>();
  for (const s of steps) {
    if (names.has(s.name)) throw new RangeError(`Cannot schedule step "${s.name}": name is taken`);
    names.add(s.name);
  }
  const controller = new AbortController();
  const pending = new Set<string>();
  const timers = new Map<string, { at: number; cancel: () => void }>();
  const runs = new Map<string, number>();
  const failures = new Map<string, { attempts: number; kind: string; error: string }>();
  let draining: Promise<void> | undefined;
  let stopped = false;

  function schedule(): void {
    if (draining !== undefined || stopped || pending.size === 0) return;
    draining = drain().finally(() => {
      draining = undefined;
      schedule();
    });
  }

  async function drain(): Promise<void> {
    // a microtask turn first, so that events raised together run the steps once
    await Promise.resolve();
    while (pending.size > 0 && !stopped) {
      const step = steps.find((s) => pending.has(s.name));
      if (step === undefined) break;
      pending.delete(step.name);
      await runStep(step);
    }
  }

  async function runStep(step: ScheduledStep): Promise<void> {
    runs.set(step.name, (runs.get(step.name) ?? 0) + 1);
    let outcome: StepOutcome | void;
    const started = performance.now();
    try {
      outcome = await step.run({ signal: controller.signal });
      onStep?.(step.name, performance.now() - started);
    } catch (error) {
      if (controller.signal.aborted) return;
      const kind = expected?.(error);
      if (kind !== undefined) {
        setWake(step.name, failed(step.name, kind, error));
        return;
      }
      stopped = true;
      logger.error("a reconciler step failed unexpectedly: stopping", {
        step: step.name,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      onFatal?.(error, step.name);
      return;
    }
    recovered(step.name);
    setWake(step.name, outcome?.wakeAt);
  }

  /** Records an expected failure; returns when to run the step again. */
  function failed(name: string, kind: string, error: unknown): number {
    const text = error instanceof Error ? error.message : String(error);
    const previous = failures.get(name);
    const attempts = (previous?.attempts ?? 0) + 1;
    failures.set(name, { attempts, kind, error: text });
    const delay = backoffDelay(attempts, { policy, random: Math.random() });
    // one line per change of state: the first failure, or a different dependency failing
    const level = previous === undefined || previous.kind !== kind ? "warn" : "debug";
    logger[level](`a step cannot reach ${kind}; retrying with backoff`, {
      step: name,
      attempts,
      retryInMs: delay,
      error: text,
    });
    return clock.now() + delay;
  }

  function recovered(name: string): void {
    const previous = failures.get(name);
    if (previous === undefined) return;
    failures.delete(name);
    logger.info(`a step reaches ${previous.kind} again`, {
      step: name,
      failures: previous.attempts,
    });
  }

  function setWake(name: string, at: number | undefined): void {
    const current = timers.get(name);
    if (current !== undefined && current.at === at) return;
    current?.cancel();
    timers.delete(name);
    if (at === undefined || stopped) return;
    const cancel = clock.setTimer(at - clock.now(), () => {
      timers.delete(name);
      pending.add(name);
      schedule();
    });
    timers.set(name, { at, cancel });
  }

  return {
    trigger(event) {
      for (const s of steps) if (s.on.includes(event)) pending.add(s.name);
      schedule();
    },
    async runAll() {
      while (draining !== undefined) await draining;
      for (const s of steps) pending.add(s.name);
      schedule();
      while (draining !== undefined) await draining;
    },
    async idle() {
      while (draining !== undefined) await draining;
    },
    runs: () => runs,
    failing: () => failures,
    async stop() {
      stopped = true;
      controller.abort();
      for (const t of timers.values()) t.cancel();
      timers.clear();
      if (draining === undefined) return;
      let cancel = () => {};
      const grace = new Promise<void>((resolve) => (cancel = clock.setTimer(stopGraceMs, resolve)));
      await Promise.race([draining, grace]);
      cancel();
    },
  };
}
