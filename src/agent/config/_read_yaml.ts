/**
 * What every YAML file the agent reads goes through (the rig's config, the
 * client's, a BID file): a bounded read, a bounded parse that names the line
 * of a syntax error, and zod issues turned into problems naming the field.
 *
 * @module
 */
import { parseDocument, visit } from "yaml";
import type { z } from "zod";
import { issueProblems, readBoundedFile } from "../../internal/mod.ts";
import { ConfigError, type ConfigProblem } from "../base/mod.ts";

/** A config is a page of settings; anything this large is not one. */
export const MAX_CONFIG_BYTES = 256 * 1024;
/** A config nests a few levels; deeper flow collections are refused before parsing. */
const MAX_FLOW_DEPTH = 64;
/** More YAML errors than this are one mistake echoed: report the first ones. */
const MAX_YAML_PROBLEMS = 10;

/** The YAML text as plain data, or a ConfigError naming the line; never another error. */
export function readYaml(
  text: string,
  file: string | undefined,
  maxBytes: number = MAX_CONFIG_BYTES,
): unknown {
  const yamlProblem = (path: string, message: string): ConfigError =>
    new ConfigError({ file, problems: [{ path, message, value: undefined }] });
  if (text.length > maxBytes) {
    throw yamlProblem("(file)", `is larger than ${maxBytes} bytes: not a config file`);
  }
  const line = lineDeeperThan(text, MAX_FLOW_DEPTH);
  if (line !== undefined) {
    throw yamlProblem(
      `line ${line}`,
      `nests [ and { deeper than ${MAX_FLOW_DEPTH} levels, or closes more than it opened`,
    );
  }
  let document;
  try {
    document = parseDocument(text, { prettyErrors: true, uniqueKeys: true, logLevel: "error" });
  } catch (cause) {
    throw yamlProblem("(yaml)", `is not valid YAML: ${firstLine(cause)}`);
  }
  if (document.errors.length > 0) {
    const problems = document.errors.slice(0, MAX_YAML_PROBLEMS).map((e) => ({
      path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : "(yaml)",
      message: `is not valid YAML: ${firstLine(e).replace(/ at line \d+, column \d+:?$/, "")}`,
      value: undefined,
    }));
    throw new ConfigError({ file, problems });
  }
  try {
    // YAML reads an unquoted 0x... as a hex integer, which would turn an
    // address into a (rounded) number: keep hex literals as the text written.
    visit(document, {
      Scalar(_key, node) {
        if (node.type === "PLAIN" && typeof node.source === "string" && /^0x/i.test(node.source)) {
          node.value = node.source;
        }
      },
    });
    // Aliases resolve here: one with no anchor, or a bomb of aliases of
    // aliases, is refused by the YAML library with a ReferenceError.
    return document.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (cause) {
    throw yamlProblem("(yaml)", `cannot be read: ${firstLine(cause)}`);
  }
}

/**
 * The first line where flow collections ([ and {) nest deeper than `max`, or
 * more than `max` of them close unopened, counted outside quotes and
 * comments: a linear scan, so a hundred thousand brackets cost no parser
 * recursion and no error per bracket.
 */
function lineDeeperThan(text: string, max: number): number | undefined {
  let depth = 0;
  let unopened = 0;
  let line = 1;
  let quote: string | undefined;
  let comment = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n") {
      line++;
      comment = false;
      if (quote === "'") quote = undefined;
      continue;
    }
    if (comment) continue;
    if (quote !== undefined) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === "#") comment = true;
    else if (c === "[" || c === "{") {
      if (++depth > max) return line;
    } else if (c === "]" || c === "}") {
      if (depth > 0) depth--;
      else if (++unopened > max) return line;
    }
  }
  return undefined;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split("\n")[0] ?? "").slice(0, 200);
}

/** zod issues as problems naming the field and the value found there. */
export function problemsFromIssues(
  issues: readonly z.core.$ZodIssue[],
  raw: unknown,
  options: { unknownKey: string },
): ConfigProblem[] {
  return issueProblems(issues, raw, options)
    .map(({ field, message, value }) => ({ path: field, message, value }));
}

/**
 * Reads a file of at most `maxBytes` with bounded work whatever the path is
 * (see {@linkcode readBoundedFile}: a directory, FIFO or `/dev/zero` is
 * refused before it is opened, the read is time-boxed), as a
 * {@linkcode ConfigError} naming the file when it cannot be used. `hints`
 * go with a missing file; any other refusal asks for a YAML file's path.
 */
export async function readBoundedText(
  file: string,
  options: {
    maxBytes: number;
    hints?: readonly string[] | undefined;
    timeoutMs?: number | undefined;
    /** What the file should be, for the error about a file too large. @default {"config file"} */
    what?: string | undefined;
  },
): Promise<string> {
  const { maxBytes, timeoutMs } = options;
  const read = await readBoundedFile(file, { maxBytes, timeoutMs });
  if (read.ok) return read.text;
  const message = read.reason === "missing"
    ? `does not exist: ${file}`
    : read.reason === "too-large"
    ? `is larger than ${maxBytes} bytes: not a ${options.what ?? "config file"}`
    : `cannot be used: ${read.detail}: ${file}`;
  throw new ConfigError({ file, problems: [{ path: "(file)", message, value: undefined }] }, {
    cause: read.cause,
    hints: read.reason === "missing"
      ? options.hints
      : ["Give the path of a YAML file (sonm-agent init --config FILE writes one)"],
  });
}
