/**
 * Helpers every folder shares, written once (as Deno std's `internal/`):
 * turning a schema's issues into problems that name the field and value,
 * quoting untrusted values into messages with bounded work, reading a file
 * someone named with bounded work, and the zero address. This folder
 * imports nothing from the rest of src/, so every folder may import it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quoteValue } from "./mod.ts";
 * assert.equal(`got ${quoteValue("x")}`, 'got "x"');
 * ```
 *
 * @module
 */
export { canonicalJson } from "./canonical_json.ts";
export { errorText } from "./error_text.ts";
export {
  type FieldProblem,
  type IssueLike,
  issueProblems,
  type IssueProblemsOptions,
} from "./issue_problems.ts";
export { quoteValue, type QuoteValueOptions } from "./quote_value.ts";
export {
  readBoundedFile,
  type ReadBoundedFileOptions,
  type ReadBoundedFileRefusal,
  type ReadBoundedFileReturnType,
} from "./read_bounded_file.ts";
export { ZERO_ADDRESS } from "./zero_address.ts";
