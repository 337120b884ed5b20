import { AgentError, type AgentErrorOptions } from "../../errors.ts";
import { quoteValue } from "../../internal/mod.ts";

/** One problem found in a config file: where, what, and the value found. */
export type ConfigProblem = {
  /** Dotted path of the field, e.g. `plans[0].price_usd_per_hour`. */
  path: string;
  /** What is wrong with it, e.g. `must not be negative`. */
  message: string;
  /** The value found there (undefined when the field is missing). */
  value: unknown;
};

/** A config file that cannot be used; lists every problem found. */
export class ConfigError extends AgentError {
  override name = "ConfigError";
  /** The config file, when the config came from one. */
  readonly file: string | undefined;
  readonly problems: readonly ConfigProblem[];

  constructor(
    args: { file?: string | undefined; problems: readonly ConfigProblem[] },
    options: AgentErrorOptions = {},
  ) {
    const where = args.file === undefined ? "config" : `config "${args.file}"`;
    const count = args.problems.length;
    super(
      `Cannot use ${where}: ${count} problem${count === 1 ? "" : "s"} found`,
      { ...options, badInput: true },
    );
    this.file = args.file;
    this.problems = args.problems;
  }
}

/**
 * Formats a problem as `path.to.field: what is wrong (got VALUE)`; the value
 * is quoted with bounded work, whatever the file holds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatConfigProblem } from "./errors.ts";
 * const line = formatConfigProblem({ path: "dashboard.port", message: "must be a number", value: "x" });
 * assert.equal(line, 'dashboard.port: must be a number (got "x")');
 * ```
 */
export function formatConfigProblem(problem: ConfigProblem): string {
  const got = problem.value === undefined ? "" : ` (got ${quoteValue(problem.value)})`;
  return `${problem.path}: ${problem.message}${got}`;
}

/** The state database cannot be opened or migrated. */
export class StateError extends AgentError {
  override name = "StateError";
  readonly path: string;

  constructor(args: { path: string; reason: string }, options: AgentErrorOptions = {}) {
    super(`Cannot open state "${args.path}": ${args.reason}`, options);
    this.path = args.path;
  }
}

/** The local devnet (anvil + contracts) cannot be brought up. */
export class DevnetError extends AgentError {
  override name = "DevnetError";
}

/** The chain (or market) the agent connects to is not the one its state describes. */
export class ChainIdentityError extends AgentError {
  override name = "ChainIdentityError";
  /** What the state recorded and what the RPC serves, as "chain id/genesis hash/market". */
  readonly recorded: string;
  readonly actual: string;

  constructor(args: { recorded: string; actual: string; dataDir?: string | undefined }) {
    super(
      `Cannot use this chain with the agent's state: it was recorded on ${args.recorded}, the RPC serves ${args.actual}`,
      {
        hints: [
          "Check chain.rpc_url, chain.chain_id and chain.contracts.market in the config",
          `Or point data_dir at another folder for the other chain${
            args.dataDir === undefined ? "" : ` (now "${args.dataDir}")`
          }; this state is left untouched`,
        ],
      },
    );
    this.recorded = args.recorded;
    this.actual = args.actual;
  }
}
