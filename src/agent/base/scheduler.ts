import type { Logger } from "./logger.ts";

/**
 * What wakes steps. The market reconciler raises: `start` (once), `orders`
 * (a sync changed standing orders), `own` (our orders or deals changed),
 * `views` (masters, levels or blacklists changed), `head` (a new block, so
 * chain time moved), `config` (plans reloaded). Other modules raise their own
 * (`tasks`: a task request or a container event).
 */
export type SchedulerEvent = string;

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

/** The real clock: Date.now and setTimeout. */
export const systemClock: SchedulerClock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const id = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(id);
  },
};

/** Options of {@linkcode createScheduler}. */
export type CreateSchedulerOptions = {
  steps: readonly ScheduledStep[];
  logger: Logger;
  clock?: SchedulerClock | undefined;
  /** Called with an error a step did not expect (a bug): the scheduler stops. */
  onFatal?: ((error: unknown, step: string) => void) | undefined;
  /** Called after each step that returned, with its name and duration, ms. */
  onStep?: ((step: string, ms: number) => void) | undefined;
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
  /** Cancels timers, waits for the running step. */
  stop(): Promise<void>;
};

/**
 * Creates the reconciler's scheduler. Nothing runs until an event names a
 * step, or a step's own `wakeAt` comes: an idle agent has no timers but the
 * ones its steps asked for (a bill coming due, a backoff ending). Steps never
 * overlap; events raised while a step runs are served right after, in list
 * order, so a burst of events runs each step once. A step that throws is a
 * bug: the scheduler logs it, stops, and reports it through `onFatal`.
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
  const { steps, logger, clock = systemClock, onFatal, onStep } = options;
  const names = new Set<string>();
  for (const s of steps) {
    if (names.has(s.name)) throw new RangeError(`Cannot schedule step "${s.name}": name is taken`);
    names.add(s.name);
  }
  const controller = new AbortController();
  const pending = new Set<string>();
  const timers = new Map<string, { at: number; cancel: () => void }>();
  const runs = new Map<string, number>();
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
      stopped = true;
      logger.error("a reconciler step failed unexpectedly: stopping", {
        step: step.name,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      onFatal?.(error, step.name);
      return;
    }
    setWake(step.name, outcome?.wakeAt);
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
    async stop() {
      stopped = true;
      controller.abort();
      for (const t of timers.values()) t.cancel();
      timers.clear();
      await draining;
    },
  };
}
