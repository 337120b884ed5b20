/**
 * The errors of the matcher: one base, {@linkcode MatcherError}, and a class
 * per thing a caller catches. Each keeps the offending values as fields.
 *
 * @module
 */
import { AgentError } from "../errors.ts";
import { quoteValue } from "../internal/mod.ts";

/** Base class of every error of src/matcher. */
export class MatcherError extends AgentError {
  override name = "MatcherError";
}

/** An order (or a view record) is malformed or out of the market's bounds. */
export class InvalidOrderError extends MatcherError {
  override name = "InvalidOrderError";
  /** Path of the offending field, like `benchmarks[3]`. */
  readonly field: string;
  /** The offending value as given. */
  readonly value: unknown;
  /** What is wrong with it. */
  readonly detail: string;
  constructor(a: { what?: string; field: string; value: unknown; detail: string }) {
    const current = a.value === undefined ? "" : `: current value is ${showValue(a.value)}`;
    super(`Cannot accept ${a.what ?? "order"}: ${a.field} ${a.detail}${current}`, {
      badInput: true,
    });
    this.field = a.field;
    this.value = a.value;
    this.detail = a.detail;
  }
}

/** A line of a market file (JSON lines of orders and views) cannot be used. */
export class MarketFileError extends MatcherError {
  override name = "MarketFileError";
  /** 1-based line number. */
  readonly line: number;
  constructor(a: { line: number; detail: string; cause?: unknown }) {
    super(`Cannot read market file at line ${a.line}: ${a.detail}`, {
      cause: a.cause,
      badInput: true,
    });
    this.line = a.line;
  }
}

/** Bounded, never-throwing quoting; bigints as the decimal strings orders are written with. */
function showValue(value: unknown): string {
  return typeof value === "bigint" ? `"${value}"` : quoteValue(value, { maxLength: 80 });
}
