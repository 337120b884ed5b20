/** Options of {@linkcode quoteValue}. */
export type QuoteValueOptions = {
  /** The longest text returned; longer is cut with "...". @default {60} */
  maxLength?: number | undefined;
};

const MAX_DEPTH = 4;
const MAX_ITEMS = 8;

/**
 * Quotes a value found in untrusted input for an error message: strings as
 * JSON, objects and arrays as short JSON-like text. It never throws and does
 * bounded work whatever the input: cycles print as `[Circular]`, nesting past
 * a few levels as `...`, long strings and collections are cut.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quoteValue } from "./quote_value.ts";
 * assert.equal(quoteValue("eighty"), '"eighty"');
 * assert.equal(quoteValue({ port: 80 }), '{"port":80}');
 * const loop: unknown[] = [];
 * loop.push(loop);
 * assert.equal(quoteValue(loop), "[[Circular]]");
 * ```
 */
export function quoteValue(value: unknown, options: QuoteValueOptions = {}): string {
  const maxLength = options.maxLength ?? 60;
  const text = render(value, 0, new Set(), maxLength + 1);
  return text.length > maxLength ? `${text.slice(0, Math.max(0, maxLength - 3))}...` : text;
}

function render(value: unknown, depth: number, seen: Set<object>, budget: number): string {
  if (typeof value === "string") {
    // Cut before quoting so a huge string costs no more than the budget.
    return JSON.stringify(value.length > budget ? value.slice(0, budget) : value);
  }
  if (typeof value === "bigint") return `${value}`;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value !== "object") return typeof value;
  if (seen.has(value)) return "[Circular]";
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? "[...]" : "{...}";
  seen.add(value);
  const parts: string[] = [];
  let length = 0;
  const entries = Array.isArray(value)
    ? value.slice(0, MAX_ITEMS + 1).map((v) => [undefined, v] as const)
    : Object.keys(value).slice(0, MAX_ITEMS + 1)
      .map((k) => [k, (value as Record<string, unknown>)[k]] as const);
  for (const [i, [key, item]] of entries.entries()) {
    if (i === MAX_ITEMS || length > budget) {
      parts.push("...");
      break;
    }
    const inner = render(item, depth + 1, seen, budget - length);
    const part = key === undefined ? inner : `${JSON.stringify(key)}:${inner}`;
    parts.push(part);
    length += part.length + 1;
  }
  seen.delete(value);
  return Array.isArray(value) ? `[${parts.join(",")}]` : `{${parts.join(",")}}`;
}
