const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]{0,63}$/;
/** Keys come from untrusted input: a longer one is cut when shown. */
const MAX_KEY = 64;

/**
 * Writes a path into a document as people read it: `plans[0].resources.ram`.
 * A key that is not a plain name (empty, with spaces or dots) is quoted in
 * brackets, so `{"": 1}` reads `[""]`, never as the document itself. The
 * empty path is the whole document: `(top level)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatFieldPath } from "./_field_path.ts";
 * assert.equal(formatFieldPath(["plans", 0, "price_usd_per_hour"]), "plans[0].price_usd_per_hour");
 * assert.equal(formatFieldPath([""]), '[""]');
 * assert.equal(formatFieldPath([]), "(top level)");
 * ```
 */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && IDENTIFIER.test(key)) out += out === "" ? key : `.${key}`;
    else {
      const text = String(key);
      out += `[${JSON.stringify(text.length > MAX_KEY ? `${text.slice(0, MAX_KEY)}...` : text)}]`;
    }
  }
  return out === "" ? "(top level)" : out;
}

/**
 * The value at `path` in a parsed document; undefined where the path leaves it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { valueAtPath } from "./_field_path.ts";
 * assert.equal(valueAtPath({ a: [1, 2] }, ["a", 1]), 2);
 * assert.equal(valueAtPath({ a: 1 }, ["a", "b"]), undefined);
 * ```
 */
export function valueAtPath(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    if (!Object.hasOwn(current, key)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
