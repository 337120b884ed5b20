/**
 * Private: turns the first zod issue into a `DockerValidationError` that
 * names the field and its value (through the one shared issue formatter).
 *
 * @module
 */
import type { z } from "zod";
import { issueProblems } from "../internal/mod.ts";
import { DockerValidationError } from "./errors.ts";

/** Parses `input` with `schema`, throwing `DockerValidationError` on the first issue. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const problem = issueProblems(r.error.issues, input)[0];
  throw new DockerValidationError({
    what,
    field: problem?.field ?? "(top level)",
    value: problem === undefined ? input : problem.value,
    detail: lowerFirst(problem?.message ?? "is invalid"),
  });
}

function lowerFirst(s: string): string {
  return s.slice(0, 1).toLowerCase() + s.slice(1);
}
