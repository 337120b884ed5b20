import type { Logger, SchedulerClock } from "../base/mod.ts";
import { ChainChangedError } from "../../chain/mod.ts";

/** What the agent knows of its link to the chain, from the indexer's polls. */
export type ChainHealthState = {
  /** The last block the indexer reached, undefined before the first sync. */
  head: bigint | undefined;
  /** When a poll last reached the chain (wall ms), undefined before the first. */
  seenAt: number | undefined;
  /** When the polls started failing (wall ms); undefined while they succeed. */
  unreachableSince: number | undefined;
  /** The last failure's text while unreachable. */
  lastError: string | undefined;
  /**
   * Set while the node serves another chain than the indexed one (it was reset
   * under the agent): since when, and what the indexer saw. The node answers,
   * so the chain is not unreachable; the agent serves status from local state.
   */
  changed?: { since: number; detail: string } | undefined;
};

/** The tracker of {@linkcode createChainHealth}. */
export type ChainHealth = {
  /** A poll reached the chain and indexed up to `head`. */
  succeeded(head: bigint | undefined): void;
  /** A poll failed as the chain can (unreachable, timed out). */
  failed(error: unknown): void;
  current(): ChainHealthState;
};

/** Options of {@linkcode createChainHealth}. */
export type CreateChainHealthOptions = {
  /** Called when the state is worth recording: the head moved, a change of reachability, or every `recordEveryMs`. */
  onChange?: ((state: ChainHealthState) => void) | undefined;
  /** The longest time between two `onChange` calls while polls succeed, ms. @default {5000} */
  recordEveryMs?: number | undefined;
};

/**
 * Tracks whether the agent hears the chain, from the indexer's polls: the
 * head and when it was last seen (so a status reader's head age grows while
 * the RPC hangs), and since when the chain is unreachable. Logs once per
 * change of state (the first `indexer poll failed` at warn, `chain reachable
 * again` at info), never once per failed poll.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createChainHealth } from "./chain_health.ts";
 * import { createLogger } from "../base/mod.ts";
 * let now = 1000;
 * const health = createChainHealth(
 *   { clock: { now: () => now, setTimer: () => () => {} }, logger: createLogger({ write: () => {} }) },
 * );
 * health.succeeded(7n);
 * now = 5000;
 * health.failed(new Error("HTTP request timed out"));
 * health.failed(new Error("HTTP request timed out"));
 * assert.deepEqual(health.current(), {
 *   head: 7n, seenAt: 1000, unreachableSince: 5000, lastError: "HTTP request timed out",
 * });
 * ```
 */
export function createChainHealth(
  components: { clock: SchedulerClock; logger: Logger },
  options: CreateChainHealthOptions = {},
): ChainHealth {
  const { clock, logger } = components;
  const recordEveryMs = options.recordEveryMs ?? 5000;
  let state: ChainHealthState = {
    head: undefined,
    seenAt: undefined,
    unreachableSince: undefined,
    lastError: undefined,
  };
  let recordedAt = -Infinity;
  const record = () => {
    recordedAt = clock.now();
    options.onChange?.(state);
  };
  return {
    succeeded(head) {
      const now = clock.now();
      const was = state;
      state = {
        head: head ?? was.head,
        seenAt: now,
        unreachableSince: undefined,
        lastError: undefined,
      };
      if (was.changed !== undefined) {
        logger.info("chain followed again", {
          resolves: "chain changed under the agent",
          changedMs: now - was.changed.since,
          head: state.head,
        });
      }
      if (was.unreachableSince !== undefined) {
        logger.info("chain reachable again", {
          // drops the poll's failures from the rig owner's list of problems: they are over
          resolves: "indexer poll failed",
          unreachableMs: now - was.unreachableSince,
          head: state.head,
        });
      }
      if (
        was.unreachableSince !== undefined || was.changed !== undefined ||
        was.head !== state.head || now - recordedAt >= recordEveryMs
      ) record();
    },
    failed(error) {
      const text = error instanceof Error ? error.message : String(error);
      if (error instanceof ChainChangedError) {
        // the node answers, with another chain: one line, then a state until it changes
        const first = state.changed === undefined;
        state = {
          ...state,
          seenAt: clock.now(),
          unreachableSince: undefined,
          lastError: undefined,
          changed: state.changed ?? { since: clock.now(), detail: text },
        };
        if (!first) return;
        logger.error("chain changed under the agent", {
          error: text,
          state: "the index no longer follows the node; serving status from local state",
          hints: error.hints,
        });
        record();
        return;
      }
      const first = state.unreachableSince === undefined;
      state = {
        ...state,
        unreachableSince: state.unreachableSince ?? clock.now(),
        lastError: text,
      };
      if (!first) {
        logger.debug("indexer poll failed", { error: text });
        return;
      }
      // one line per outage: the agent serves status from local state and polls on
      logger.warn("indexer poll failed", {
        error: text,
        state: "chain unreachable; retrying",
        lastSeenAt: state.seenAt === undefined ? undefined : new Date(state.seenAt).toISOString(),
      });
      record();
    },
    current: () => state,
  };
}
