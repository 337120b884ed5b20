import type { AgentConfig } from "./config.ts";
import { type ConfigDiff, diffConfig } from "./diff_config.ts";
import { ConfigError, formatConfigProblem, type Logger } from "../base/mod.ts";
import { loadConfig, type LoadConfigOptions } from "./load_config.ts";

/** What a reload did: the diff applied, or the reason the file was refused. */
export type ReloadOutcome =
  | { ok: true; diff: ConfigDiff }
  | { ok: false; error: ConfigError };

/** What {@linkcode reloadConfigFile} works with. */
export type ReloadConfigOptions = LoadConfigOptions & {
  logger: Logger;
  /** The config the agent runs on now. */
  current: () => AgentConfig;
  /** Applies the diff's `config` (the plans, admins, images, level). */
  apply: (diff: ConfigDiff) => void;
};

/**
 * Re-reads the config file and applies what can change live (a config
 * reload, SIGHUP). The file is validated exactly as at start: an invalid one
 * is logged with every problem by field and nothing changes. Otherwise the
 * live changes are applied and logged, and the settings that need a restart
 * are logged and left as they were ({@linkcode diffConfig}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createLogger } from "../base/logger.ts";
 * import { loadConfig } from "./load_config.ts";
 * import { reloadConfigFile } from "./reload_config.ts";
 * const dir = await Deno.makeTempDir({ prefix: "reload-" });
 * const file = `${dir}/rig.yaml`;
 * const base = "chain: devnet\nkeystore: { path: k.json, passphrase_env: PASS }\n";
 * await Deno.writeTextFile(file, base);
 * let running = await loadConfig(file);
 * const options = {
 *   logger: createLogger({ write: () => {} }),
 *   current: () => running,
 *   apply: (diff: { config: typeof running }) => (running = diff.config),
 * };
 * await Deno.writeTextFile(file, base + "logging: { level: debug }\n");
 * assert.equal((await reloadConfigFile(file, options)).ok, true);
 * assert.equal(running.logging.level, "debug");
 * await Deno.writeTextFile(file, base + "logging: { level: loud }\n");
 * assert.equal((await reloadConfigFile(file, options)).ok, false);
 * assert.equal(running.logging.level, "debug");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function reloadConfigFile(
  file: string,
  options: ReloadConfigOptions,
): Promise<ReloadOutcome> {
  const { logger, current, apply, ...load } = options;
  let next: AgentConfig;
  try {
    next = await loadConfig(file, load);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    logger.error("config reload refused: the file is invalid; the running config stays", {
      file,
      problems: error.problems.length,
    });
    for (const problem of error.problems) {
      logger.error("config reload: invalid field", {
        field: problem.path,
        problem: formatConfigProblem(problem),
      });
    }
    return { ok: false, error };
  }
  const diff = diffConfig(current(), next);
  for (const change of diff.refused) {
    logger.warn("config reload: needs a restart; left as it was", {
      field: change.field,
      reason: change.reason,
    });
  }
  for (const change of diff.applied) {
    logger.info("config reload: applied", { field: change.field, change: change.change });
  }
  apply(diff);
  logger.info("config reloaded", {
    file,
    applied: diff.applied.length,
    needsRestart: diff.refused.length,
  });
  return { ok: true, diff };
}
