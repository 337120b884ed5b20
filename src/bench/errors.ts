/**
 * Errors of hardware discovery and the benchmark suite. Every one extends
 * {@linkcode BenchError}, which extends the agent's shared `AgentError`.
 *
 * @module
 */
import { AgentError, type AgentErrorOptions } from "../errors.ts";
import { BENCHMARKS } from "./benchmarks.ts";

/** Base class of every error raised by `src/bench`. */
export class BenchError extends AgentError {
  override name = "BenchError";
  constructor(message: string, options: AgentErrorOptions = {}) {
    super(message, options);
  }
}

/** A benchmark id or key that the suite does not know. */
export class UnknownBenchmarkError extends BenchError {
  override name = "UnknownBenchmarkError";
  /** The id or key as given. */
  readonly value: string;
  constructor(args: { value: string }) {
    super(`Cannot select benchmark "${args.value}": no benchmark has this id or key`, {
      hints: [`Known: ${BENCHMARKS.map((b) => `${b.id} ${b.key}`).join(", ")}`],
    });
    this.value = args.value;
  }
}

/** A probe ran but failed, printed no usable JSON, or its checks did not pass. */
export class ProbeError extends BenchError {
  override name = "ProbeError";
  /** The probe's name (`sysbench`, `gpu-opencl`, ...). */
  readonly probe: string;
  /** What went wrong, in a few words. */
  readonly reason: string;
  constructor(
    args: { probe: string; reason: string; hints?: readonly string[] | undefined },
    options: { cause?: unknown } = {},
  ) {
    super(`Cannot run probe "${args.probe}": ${args.reason}`, {
      cause: options.cause,
      hints: args.hints,
    });
    this.probe = args.probe;
    this.reason = args.reason;
  }
}

/**
 * A benchmark report file that cannot be read or has the wrong shape: the
 * input is malformed, so `badInput` (exit 2), like a malformed market file.
 * A well-formed report whose signature does not check is a verdict, not this.
 */
export class BenchReportError extends BenchError {
  override name = "BenchReportError";
  /** The field (dotted path) that is wrong, when one is. */
  readonly field: string | undefined;
  constructor(
    args: { reason: string; field?: string | undefined },
    options: { cause?: unknown } = {},
  ) {
    super(
      `Cannot read benchmark report: ${
        args.field === undefined ? "" : `field "${args.field}": `
      }${args.reason}`,
      { cause: options.cause, badInput: true },
    );
    this.field = args.field;
  }
}
