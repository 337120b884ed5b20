import { formatFieldPath, valueAtPath } from "./_field_path.ts";

/** The parts of a zod issue that are read here (zod's `$ZodIssue` fits it). */
export type IssueLike = {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly keys?: readonly string[] | undefined;
  readonly expected?: unknown;
  readonly values?: readonly unknown[] | undefined;
  readonly errors?: readonly (readonly IssueLike[])[] | undefined;
};

/** One bad field of a document: where, what is wrong, and what was found. */
export type FieldProblem = {
  /** The field as people read it: `plans[0].resources.ram`. */
  field: string;
  /** What is wrong, in a phrase that follows the field: `must be a number`. */
  message: string;
  /** The value found there; undefined when the field is missing. */
  value: unknown;
};

/** Options of {@linkcode issueProblems}. */
export type IssueProblemsOptions = {
  /** What a key the schema does not know "is". @default {"is not a known field"} */
  unknownKey?: string | undefined;
};

/**
 * Turns zod issues into one problem per bad field, each naming the field, the
 * value found and a phrase a person can act on. A key the schema does not
 * know is one problem per key; a union whose value has the shape of one
 * branch (a mapping where the other branch is a string) reports that
 * branch's problems at their own fields, not "invalid input" on the union.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { z } from "zod";
 * import { issueProblems } from "./issue_problems.ts";
 * const input = { port: "eighty", extra: 1 };
 * const r = z.strictObject({ port: z.number() }).safeParse(input);
 * assert.deepEqual(issueProblems(r.error?.issues ?? [], input), [
 *   { field: "port", message: "must be a number", value: "eighty" },
 *   { field: "extra", message: "is not a known field", value: 1 },
 * ]);
 * ```
 */
export function issueProblems(
  issues: readonly IssueLike[],
  input: unknown,
  options: IssueProblemsOptions = {},
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  collect(issues, [], input, options.unknownKey ?? "is not a known field", problems);
  return problems;
}

function collect(
  issues: readonly IssueLike[],
  prefix: readonly PropertyKey[],
  input: unknown,
  unknownKey: string,
  out: FieldProblem[],
): void {
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys ?? []) {
        const at = [...path, key];
        out.push({
          field: formatFieldPath(at),
          message: unknownKey,
          value: valueAtPath(input, at),
        });
      }
      continue;
    }
    const branch = issue.code === "invalid_union" ? matchingBranch(issue.errors) : undefined;
    if (branch !== undefined) {
      collect(branch, path, input, unknownKey, out);
      continue;
    }
    const value = valueAtPath(input, path);
    const missing = value === undefined && path.length > 0;
    out.push({
      field: formatFieldPath(path),
      message: missing ? "is required" : humanMessage(issue),
      value,
    });
  }
}

/** The one branch of a union that failed on more than the value's kind, if one. */
function matchingBranch(
  branches: readonly (readonly IssueLike[])[] | undefined,
): readonly IssueLike[] | undefined {
  const wrongKind = (i: IssueLike) =>
    i.path.length === 0 && (i.code === "invalid_type" || i.code === "invalid_value");
  const near = (branches ?? []).filter((b) => b.length > 0 && !b.every(wrongKind));
  return near.length === 1 ? near[0] : undefined;
}

function humanMessage(issue: IssueLike): string {
  if (issue.code === "invalid_type" && /^Invalid input/.test(issue.message)) {
    const expected = String(issue.expected);
    return `must be ${/^[aeiou]/.test(expected) ? "an" : "a"} ${expected}`;
  }
  if (issue.code === "invalid_value" && /^Invalid (input|option)/.test(issue.message)) {
    return `must be one of ${(issue.values ?? []).map((v) => JSON.stringify(v)).join(", ")}`;
  }
  return issue.message.replace(/^Invalid input: /, "");
}
