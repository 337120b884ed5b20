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
 * import { AgentError } from "./errors.ts";
 * const e = new AgentError("Cannot open state: disk is full", { hints: ["Free some space"] });
 * console.assert(e.hints.length === 1);
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
};

/** Base class of every error that a rig owner can act on. */
export class AgentError extends Error {
  override name = "AgentError";
  /** Lines that tell the rig owner what to do about it. */
  readonly hints: readonly string[];

  constructor(message: string, options: AgentErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hints = options.hints ?? [];
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
