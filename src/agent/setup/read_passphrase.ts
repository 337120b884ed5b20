import type { PassphraseSource } from "../config/mod.ts";
import { AgentError } from "../../errors.ts";
import { ConfigError } from "../base/mod.ts";
import { type PromptIo, promptPassphrase } from "./_prompt_passphrase.ts";
import { readBoundedFile } from "../../internal/mod.ts";

/** A passphrase is a line; a file this large is not a passphrase file. */
const MAX_PASSPHRASE_FILE_BYTES = 64 * 1024;

const DEFAULT_NAMES = { env: "keystore.passphrase_env", file: "keystore.passphrase_file" };

/** Options of {@linkcode readPassphrase}. */
export type ReadPassphraseOptions = {
  /** The environment to read from. @default {Deno.env} */
  env?: { get(name: string): string | undefined } | undefined;
  /**
   * How the rig owner named each source, for errors: config keys, or flags.
   * @default {{ env: "keystore.passphrase_env", file: "keystore.passphrase_file" }}
   */
  names?: { env: string; file: string } | undefined;
  /** The terminal a `prompt` source asks on. @default {Deno.stdin and Deno.stderr} */
  io?: PromptIo | undefined;
  /** What the prompt says. @default {"Passphrase: "} */
  prompt?: string | undefined;
};

/**
 * Reads the keystore passphrase from where the config says: an environment
 * variable, a file (its trailing newline dropped), or a prompt (typed on the
 * terminal without echo, or one line of stdin when it is not a terminal).
 * Never from the config. The one way the agent reads a passphrase: an unset
 * variable, an empty file or an empty answer is refused, never used as an
 * empty passphrase.
 *
 * @throws {ConfigError} naming `keystore.passphrase_env` or `keystore.passphrase_file`
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readPassphrase } from "./read_passphrase.ts";
 * const pass = await readPassphrase(
 *   { from: "env", name: "PASS" },
 *   { env: { get: () => "hunter2" } },
 * );
 * assert.equal(pass, "hunter2");
 * ```
 */
export async function readPassphrase(
  source: PassphraseSource,
  options: ReadPassphraseOptions = {},
): Promise<string> {
  const names = options.names ?? DEFAULT_NAMES;
  if (source.from === "prompt") {
    const answer = await promptPassphrase(options.prompt ?? "Passphrase: ", options.io);
    if (answer === "") {
      throw new AgentError("Cannot read the passphrase: an empty line was given", {
        badInput: true,
        hints: ["Type the keystore's passphrase at the prompt, or give it as one line on stdin"],
      });
    }
    return answer;
  }
  if (source.from === "env") {
    const value = (options.env ?? Deno.env).get(source.name);
    if (value === undefined || value === "") {
      throw new ConfigError({
        problems: [{
          path: names.env,
          message: `names an environment variable that is not set or empty`,
          value: source.name,
        }],
      }, { hints: [`export ${source.name}=... before starting the agent`] });
    }
    return value;
  }
  const read = await readBoundedFile(source.path, { maxBytes: MAX_PASSPHRASE_FILE_BYTES });
  if (!read.ok) {
    throw new ConfigError({
      problems: [{
        path: names.file,
        message: `cannot be read: ${read.detail}`,
        value: source.path,
      }],
    }, { cause: read.cause });
  }
  const text = read.text;
  const passphrase = text.replace(/\r?\n$/, "");
  if (passphrase === "") {
    throw new ConfigError({
      problems: [{ path: names.file, message: "is empty", value: source.path }],
    }, { hints: ["Write the passphrase into the file, or remove the file to have one generated"] });
  }
  return passphrase;
}
