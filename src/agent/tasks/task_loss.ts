/** What the agent knows about how a running task ended. */
export type TaskEndFacts = {
  /** Its container is gone (removed outside the agent, or a host reboot wiped it). */
  containerGone: boolean;
  /** The container's exit code, when it still exists. */
  exitCode?: number | undefined;
  /** Docker says the kernel killed it for memory (the plan's RAM limit). */
  oomKilled?: boolean | undefined;
  /** Docker reported a kill of the container that the agent did not send (the signal). */
  killedFromOutside?: string | undefined;
  /** When the container finished (unix ms), when Docker says. */
  finishedAt?: number | undefined;
  /** Times the agent saw dockerd down (unix ms); `to` undefined while it still is. */
  daemonOutages?: readonly { from: number; to?: number | undefined }[] | undefined;
};

/** Whose a task's end is: the consumer's own (recorded), or the rig's loss (restarted). */
export type TaskEnd =
  | {
    by: "consumer";
    state: "exited" | "oom-killed";
    exitCode?: number | undefined;
    message: string;
  }
  | { by: "rig"; reason: string };

/** How long before the agent noticed dockerd gone a task may have been stopped by its shutdown, ms. */
const SHUTDOWN_LEAD_MS = 30_000;

/**
 * Decides whether a running task's end is the consumer's or the rig's loss.
 * Pure. In this order:
 *
 * | facts | end |
 * | --- | --- |
 * | the container is gone | rig: removed outside the agent, or the host rebooted |
 * | OOM-killed | consumer: `oom-killed` (its own memory use within the plan's limit) |
 * | a kill the agent did not send | rig: `docker stop`/`kill` from outside, a dockerd restart |
 * | finished while dockerd was down (or in the 30 s before the agent saw it go) | rig: a dockerd restart |
 * | exit code 137 or 143 (SIGKILL, SIGTERM from outside) | rig: a dockerd or host restart |
 * | any other exit | consumer: `exited` with its code |
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classifyTaskEnd } from "./task_loss.ts";
 * assert.equal(classifyTaskEnd({ containerGone: false, exitCode: 3 }).by, "consumer");
 * assert.equal(classifyTaskEnd({ containerGone: false, exitCode: 143 }).by, "rig");
 * assert.equal(classifyTaskEnd({ containerGone: true }).by, "rig");
 * assert.equal(classifyTaskEnd({ containerGone: false, exitCode: 137, oomKilled: true }).by, "consumer");
 * ```
 */
export function classifyTaskEnd(facts: TaskEndFacts): TaskEnd {
  if (facts.containerGone) {
    return {
      by: "rig",
      reason: "its container disappeared (removed outside the agent, or the host rebooted)",
    };
  }
  if (facts.oomKilled === true) {
    return {
      by: "consumer",
      state: "oom-killed",
      exitCode: facts.exitCode,
      message: "killed: out of memory (the plan's RAM limit)",
    };
  }
  if (facts.killedFromOutside !== undefined) {
    return {
      by: "rig",
      reason: `killed from outside the task (signal ${facts.killedFromOutside}: ` +
        "docker stop or kill on the rig, or a dockerd restart)",
    };
  }
  const at = facts.finishedAt;
  if (
    at !== undefined &&
    (facts.daemonOutages ?? []).some((o) =>
      at >= o.from - SHUTDOWN_LEAD_MS && (o.to === undefined || at <= o.to)
    )
  ) {
    return { by: "rig", reason: "it stopped while dockerd was down (a dockerd restart)" };
  }
  if (facts.exitCode === 137 || facts.exitCode === 143) {
    const signal = facts.exitCode === 137 ? "SIGKILL" : "SIGTERM";
    return {
      by: "rig",
      reason: `killed by ${signal} from outside the task (a dockerd or host restart)`,
    };
  }
  return {
    by: "consumer",
    state: "exited",
    exitCode: facts.exitCode,
    message: `exited with code ${facts.exitCode}`,
  };
}

/** How often a lost task is started again within its deal. */
export type RestartPolicy = {
  /** Restarts allowed within `windowMs`; past that the rig gives the deal up. */
  max: number;
  windowMs: number;
};

/**
 * Whether a task the rig lost is started again (`restart`) or its deal is
 * given up (`give-up`: never billed again, closed where the rig may): a
 * restart while fewer than `policy.max` restarts fall within the window.
 * Pure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decideRestart } from "./task_loss.ts";
 * const policy = { max: 3, windowMs: 3_600_000 };
 * assert.equal(decideRestart({ restartsInWindow: 2, policy }), "restart");
 * assert.equal(decideRestart({ restartsInWindow: 3, policy }), "give-up");
 * ```
 */
export function decideRestart(
  input: { restartsInWindow: number; policy: RestartPolicy },
): "restart" | "give-up" {
  return input.restartsInWindow < input.policy.max ? "restart" : "give-up";
}
