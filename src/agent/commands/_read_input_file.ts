import { AgentError } from "../../errors.ts";
import { readBoundedFile } from "../../internal/mod.ts";

/** Options of {@linkcode readInputFile}. */
export type ReadInputFileOptions = {
  /** What the file is, for the message: "orders file", "benchmark report". */
  what: string;
  /** Refuse a larger file (it is not what was asked for). */
  maxBytes: number;
  /** Lines that tell the rig owner what to give instead. */
  hints?: readonly string[] | undefined;
  signal?: AbortSignal | undefined;
};

/**
 * Reads a text file named on the command line. A path that is missing, a
 * directory, a FIFO or device, unreadable or larger than `maxBytes` is the
 * rig owner's input gone wrong: an {@linkcode AgentError} with `badInput`
 * (exit 2), never a stack trace. The type is checked before the file is
 * opened and at most `maxBytes + 1` bytes are read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readInputFile } from "./_read_input_file.ts";
 * await assert.rejects(
 *   () => readInputFile("/nonexistent/r.json", { what: "benchmark report", maxBytes: 1024 }),
 *   /Cannot read benchmark report "\/nonexistent\/r.json": it does not exist/,
 * );
 * ```
 */
export async function readInputFile(path: string, options: ReadInputFileOptions): Promise<string> {
  const { what, maxBytes, hints, signal } = options;
  const read = await readBoundedFile(path, { maxBytes, signal });
  if (read.ok) return read.text;
  throw new AgentError(`Cannot read ${what} "${path}": ${read.detail}`, {
    cause: read.cause,
    hints,
    badInput: true,
  });
}
