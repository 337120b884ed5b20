// Parses a probe's one JSON line with a zod schema (private to src/bench).
import type { z } from "zod";
import { issueProblems, quoteValue } from "../internal/mod.ts";
import { ProbeError } from "./errors.ts";
import type { ProbeRun } from "./run_probe.ts";

/** The last JSON object line of a probe's output, checked against `schema`. */
export function parseProbeOutput<T extends z.ZodType>(
  probe: string,
  run: ProbeRun,
  schema: T,
): z.infer<T> {
  const line = run.stdout.trim().split("\n").reverse().find((l) => l.trim().startsWith("{"));
  if (line === undefined) {
    throw new ProbeError({
      probe,
      reason: `printed no JSON (exit ${run.code}${
        run.where === "container" ? ", in a container" : ""
      })${
        run.stderr.trim() === "" ? "" : `: ${run.stderr.trim().split("\n").slice(-2).join(" ")}`
      }`,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (cause) {
    throw new ProbeError({ probe, reason: `printed invalid JSON: "${line.slice(0, 120)}"` }, {
      cause,
    });
  }
  const failed = value as { ok?: unknown; error?: unknown };
  if (failed?.ok === false && typeof failed.error === "string") {
    throw new ProbeError({ probe, reason: failed.error });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const problem = issueProblems(parsed.error.issues, value)[0];
    throw new ProbeError({
      probe,
      reason: `unexpected output: ${problem?.field ?? "(top level)"} ${
        problem?.message ?? "is invalid"
      }${problem?.value === undefined ? "" : ` (got ${quoteValue(problem.value)})`}`,
    });
  }
  return parsed.data;
}
