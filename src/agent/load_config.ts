import { resolve } from "node:path";
import { ConfigError } from "./errors.ts";
import type { AgentConfig } from "./config.ts";
import { parseConfig, type ParseConfigOptions } from "./parse_config.ts";

/** Options of {@linkcode loadConfig}. */
export type LoadConfigOptions = Omit<ParseConfigOptions, "file">;

/**
 * Reads and validates a rig config file.
 *
 * @throws {ConfigError} when the file is missing, unreadable or invalid
 * @example
 * ```ts ignore
 * const config = await loadConfig("rig.yaml", { gpuIndexes: [0, 1] });
 * ```
 */
export async function loadConfig(
  path: string,
  options: LoadConfigOptions = {},
): Promise<AgentConfig> {
  const file = resolve(path);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (cause) {
    const reason = cause instanceof Deno.errors.NotFound ? "does not exist" : "cannot be read";
    throw new ConfigError({
      file,
      problems: [{ path: "(file)", message: `${reason}: ${file}`, value: undefined }],
    }, { cause, hints: ["Write one with: sonm-agent init --config " + path] });
  }
  return parseConfig(text, { ...options, file });
}
