/**
 * The text of a thrown value for a log line or a message: an Error's
 * message (its first line only with `firstLine`), anything else as a string.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorText } from "./error_text.ts";
 * assert.equal(errorText(new Error("no route\nat x")), "no route\nat x");
 * assert.equal(errorText(new Error("no route\nat x"), { firstLine: true }), "no route");
 * assert.equal(errorText("down"), "down");
 * ```
 */
export function errorText(error: unknown, options: { firstLine?: boolean } = {}): string {
  const text = error instanceof Error ? error.message : String(error);
  return options.firstLine === true ? (text.split("\n")[0] ?? "") : text;
}
