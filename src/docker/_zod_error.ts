/**
 * Private: turns the first zod issue into a `DockerValidationError` that
 * names the field and its value.
 *
 * @module
 */
import type { z } from "zod";
import { DockerValidationError } from "./errors.ts";

/** Parses `input` with `schema`, throwing `DockerValidationError` on the first issue. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue?.path ?? [];
  let value: unknown = input;
  for (const k of path) {
    value = value !== null && typeof value === "object"
      ? (value as Record<PropertyKey, unknown>)[k as PropertyKey]
      : undefined;
  }
  const field = path.map((k, i) => typeof k === "number" ? `[${k}]` : `${i ? "." : ""}${String(k)}`)
    .join("");
  throw new DockerValidationError({
    what,
    field,
    value,
    detail: lowerFirst(issue?.message ?? "is invalid"),
  });
}

function lowerFirst(s: string): string {
  return s.slice(0, 1).toLowerCase() + s.slice(1);
}
