import { verifyBenchReport, type VerifyBenchReportReturnType } from "../../bench/mod.ts";
import { readInputFile } from "./_read_input_file.ts";

/** A signed report is a few KiB; more than this is not one. */
const MAX_REPORT_BYTES = 4 * 1024 * 1024;

/** Options of {@linkcode runVerifyReportCommand}. */
export type RunVerifyReportCommandOptions = {
  /** The signed report file (`sonm-agent bench --report FILE` writes one). */
  path: string;
  signal?: AbortSignal | undefined;
};

/**
 * `sonm-agent bench verify FILE`: reads a signed benchmark report and checks
 * it. A file that cannot be read is bad input (exit 2); a file that is not a
 * report throws `BenchReportError`; otherwise the verdict is returned.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runVerifyReportCommand } from "./verify_report_command.ts";
 * await assert.rejects(
 *   () => runVerifyReportCommand({ path: "/nonexistent/r.json" }),
 *   (e: unknown) => e instanceof Error && "badInput" in e && e.badInput === true,
 * );
 * ```
 */
export async function runVerifyReportCommand(
  options: RunVerifyReportCommandOptions,
): Promise<VerifyBenchReportReturnType> {
  const text = await readInputFile(options.path, {
    what: "benchmark report",
    maxBytes: MAX_REPORT_BYTES,
    hints: ["Give the file that `sonm-agent bench --report FILE` wrote"],
    signal: options.signal,
  });
  return await verifyBenchReport(text);
}
