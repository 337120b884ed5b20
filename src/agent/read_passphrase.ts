import type { AgentConfig } from "./config.ts";
import { ConfigError } from "./errors.ts";

/** Options of {@linkcode readPassphrase}. */
export type ReadPassphraseOptions = {
  /** The environment to read from. @default {Deno.env} */
  env?: { get(name: string): string | undefined } | undefined;
};

/**
 * Reads the keystore passphrase from where the config says: an environment
 * variable or a file (its trailing newline dropped). Never from the config.
 *
 * @throws {ConfigError} naming `keystore.passphrase_env` or `keystore.passphrase_file`
 * @example
 * ```ts
 * import { readPassphrase } from "./read_passphrase.ts";
 * const pass = await readPassphrase(
 *   { from: "env", name: "PASS" },
 *   { env: { get: () => "hunter2" } },
 * );
 * console.assert(pass === "hunter2");
 * ```
 */
export async function readPassphrase(
  source: AgentConfig["keystore"]["passphrase"],
  options: ReadPassphraseOptions = {},
): Promise<string> {
  if (source.from === "env") {
    const value = (options.env ?? Deno.env).get(source.name);
    if (value === undefined || value === "") {
      throw new ConfigError({
        problems: [{
          path: "keystore.passphrase_env",
          message: `names an environment variable that is not set or empty`,
          value: source.name,
        }],
      }, { hints: [`export ${source.name}=... before starting the agent`] });
    }
    return value;
  }
  let text: string;
  try {
    text = await Deno.readTextFile(source.path);
  } catch (cause) {
    throw new ConfigError({
      problems: [{
        path: "keystore.passphrase_file",
        message: "cannot be read",
        value: source.path,
      }],
    }, { cause });
  }
  const passphrase = text.replace(/\r?\n$/, "");
  if (passphrase === "") {
    throw new ConfigError({
      problems: [{ path: "keystore.passphrase_file", message: "is empty", value: source.path }],
    });
  }
  return passphrase;
}
