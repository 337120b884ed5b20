/**
 * The one shared base error of the agent. Every module subclasses it once in
 * its own `errors.ts` (`DockerError`, `ChainError`, `ConfigError`, ...), so
 * main.ts can tell a rig owner's problem (an `AgentError`, printed with its
 * hints) from a programming error (anything else).
 *
 * This file imports nothing, so every folder may import it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AgentError } from "./errors.ts";
 * const e = new AgentError("Cannot open state: disk is full", { hints: ["Free some space"] });
 * assert.equal(e.hints.length, 1);
 * assert.equal(e.badInput, false);
 * ```
 *
 * @module
 */

/** Options of {@linkcode AgentError}. */
export type AgentErrorOptions = {
  /** The error that caused this one. */
  cause?: unknown;
  /** Lines that tell the rig owner what to do about it. */
  hints?: readonly string[] | undefined;
  /**
   * The rig owner's input is wrong (a file, a flag, an argument), not the
   * world: the CLI exits 2 instead of 1. @default {false}
   */
  badInput?: boolean | undefined;
};

/** Base class of every error that a rig owner can act on. */
export class AgentError extends Error {
  override name = "AgentError";
  /** Lines that tell the rig owner what to do about it. */
  readonly hints: readonly string[];
  /** The rig owner's input is wrong (exit 2), rather than the world (exit 1). */
  readonly badInput: boolean;

  constructor(message: string, options: AgentErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hints = options.hints ?? [];
    this.badInput = options.badInput ?? false;
  }

  /** Walks the cause chain, this error first. */
  *causes(): Generator<unknown> {
    yield this;
    const seen = new Set<unknown>([this]);
    let current: unknown = this.cause;
    while (current !== undefined && !seen.has(current)) {
      seen.add(current);
      yield current;
      current = current instanceof Error ? current.cause : undefined;
    }
  }
}
