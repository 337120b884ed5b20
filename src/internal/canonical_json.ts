/**
 * Canonical JSON of `value`: object keys sorted at every depth (by UTF-16
 * code units), no spaces, `undefined` members left out, bigints as decimal
 * strings. One byte string per value: what is hashed and signed (task
 * requests, rig records, bench reports) and what compares configs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalJson } from "./canonical_json.ts";
 * assert.equal(canonicalJson({ b: 1n, a: [{ d: undefined, c: "x" }] }), '{"a":[{"c":"x"}],"b":"1"}');
 * ```
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortDeep(value)) ?? "undefined";
}

function sortDeep(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(sortDeep);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortDeep(v);
    }
    return out;
  }
  return value;
}
