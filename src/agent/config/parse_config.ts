import { dirname, isAbsolute, join } from "node:path";
import { parseDocument, visit } from "yaml";
import type { z } from "zod";
import { type AgentConfig, configSchema } from "./config.ts";
import { issueProblems } from "../../internal/mod.ts";
import { ConfigError, type ConfigProblem } from "../base/mod.ts";

/** Options of {@linkcode parseConfig}. */
export type ParseConfigOptions = {
  /** The file the text came from: named in errors; relative paths resolve from its folder. */
  file?: string | undefined;
  /**
   * GPU indexes the rig has (from hardware discovery). Plans naming another
   * index are refused. Undefined skips the check (no discovery available).
   */
  gpuIndexes?: readonly number[] | undefined;
};

/**
 * Parses and validates a rig config (YAML text). Every problem is collected,
 * not just the first, so a rig owner fixes the file in one pass.
 *
 * @throws {ConfigError} with one {@linkcode ConfigProblem} per bad field
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig } from "./parse_config.ts";
 * const config = parseConfig(
 *   "chain: devnet\nkeystore: { path: k.json, passphrase_env: PASS }\n",
 *   { file: "/etc/sonm/rig.yaml" },
 * );
 * assert.equal(config.dataDir, "/etc/sonm/.data");
 * ```
 */
export function parseConfig(text: string, options: ParseConfigOptions = {}): AgentConfig {
  const { file } = options;
  const raw = readYaml(text, file);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError({ file, problems: problemsFromIssues(parsed.error.issues, raw) });
  }
  const problems = crossFieldProblems(parsed.data, options.gpuIndexes);
  if (problems.length > 0) throw new ConfigError({ file, problems });
  return resolvePaths(parsed.data, file === undefined ? Deno.cwd() : dirname(file));
}

/** A config is a page of settings; anything this large is not one. */
const MAX_CONFIG_BYTES = 256 * 1024;
/** A config nests a few levels; deeper flow collections are refused before parsing. */
const MAX_FLOW_DEPTH = 64;
/** More YAML errors than this are one mistake echoed: report the first ones. */
const MAX_YAML_PROBLEMS = 10;

/** The YAML text as plain data, or a ConfigError naming the line; never another error. */
function readYaml(text: string, file: string | undefined): unknown {
  const yamlProblem = (path: string, message: string): ConfigError =>
    new ConfigError({ file, problems: [{ path, message, value: undefined }] });
  if (text.length > MAX_CONFIG_BYTES) {
    throw yamlProblem("(file)", `is larger than ${MAX_CONFIG_BYTES} bytes: not a config file`);
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

function problemsFromIssues(issues: readonly z.core.$ZodIssue[], raw: unknown): ConfigProblem[] {
  return issueProblems(issues, raw, {
    unknownKey: "is not a known setting (check the spelling against config.example.yaml)",
  }).map(({ field, message, value }) => ({ path: field, message, value }));
}

function crossFieldProblems(
  config: AgentConfig,
  gpuIndexes: readonly number[] | undefined,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  config.plans.forEach((plan, i) => {
    if (seen.has(plan.name)) {
      problems.push({
        path: `plans[${i}].name`,
        message: "is used by another plan",
        value: plan.name,
      });
    }
    seen.add(plan.name);
    if (gpuIndexes !== undefined) {
      plan.resources.gpus.forEach((gpu, j) => {
        if (!gpuIndexes.includes(gpu)) {
          const has = gpuIndexes.length === 0
            ? "the rig has no GPU"
            : `the rig has GPU indexes ${gpuIndexes.join(", ")}`;
          problems.push({
            path: `plans[${i}].resources.gpus[${j}]`,
            message: `is not a GPU of this rig: ${has}`,
            value: gpu,
          });
        }
      });
    }
  });
  return problems;
}

function resolvePath(base: string, path: string): string {
  return isAbsolute(path) ? path : join(base, path);
}

/** Relative paths in the file are relative to the file's folder. */
function resolvePaths(config: AgentConfig, baseDir: string): AgentConfig {
  const { passphrase } = config.keystore;
  return {
    ...config,
    dataDir: resolvePath(baseDir, config.dataDir),
    keystore: {
      path: resolvePath(baseDir, config.keystore.path),
      passphrase: passphrase.from === "file"
        ? { from: "file", path: resolvePath(baseDir, passphrase.path) }
        : passphrase,
    },
  };
}
