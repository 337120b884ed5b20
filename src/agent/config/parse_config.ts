import { dirname, isAbsolute, join } from "node:path";
import { type AgentConfig, configSchema } from "./config.ts";
import { ConfigError, type ConfigProblem } from "../base/mod.ts";
import { problemsFromIssues, readYaml } from "./_read_yaml.ts";

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
    throw new ConfigError({
      file,
      problems: problemsFromIssues(parsed.error.issues, raw, {
        unknownKey: "is not a known setting (check the spelling against config.example.yaml)",
      }),
    });
  }
  const problems = crossFieldProblems(parsed.data, options.gpuIndexes);
  if (problems.length > 0) throw new ConfigError({ file, problems });
  return resolvePaths(parsed.data, file === undefined ? Deno.cwd() : dirname(file));
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
