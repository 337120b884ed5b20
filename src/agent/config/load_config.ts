import { resolve } from "node:path";
import { MAX_CONFIG_BYTES, readBoundedText } from "./_read_yaml.ts";
import type { AgentConfig } from "./config.ts";
import { parseConfig, type ParseConfigOptions } from "./parse_config.ts";

/** Options of {@linkcode loadConfig}. */
export type LoadConfigOptions = Omit<ParseConfigOptions, "file"> & {
  /** Give up reading the file after this long, ms (a hung mount). @default {5000} */
  readTimeoutMs?: number | undefined;
};

/**
 * Reads and validates a rig config file. The path is checked before it is
 * read: a directory, FIFO, device (`/dev/zero`) or socket is refused at once,
 * at most 256 KiB + 1 byte is ever read, and the read is time-boxed, so a
 * wrong path (or a reload after `ln -sf /dev/zero rig.yaml`) costs nothing.
 *
 * @throws {ConfigError} when the file is missing, unreadable or invalid
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadConfig } from "./load_config.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/rig.yaml`, "chain: devnet\nkeystore: { path: k.json, passphrase_env: PASS }\n");
 * const config = await loadConfig(`${dir}/rig.yaml`, { gpuIndexes: [0, 1] });
 * assert.equal(config.keystore.path, `${dir}/k.json`);
 * await assert.rejects(() => loadConfig(`${dir}/missing.yaml`), /1 problem found/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadConfig(
  path: string,
  options: LoadConfigOptions = {},
): Promise<AgentConfig> {
  const { readTimeoutMs, ...parse } = options;
  const file = resolve(path);
  const text = await readBoundedText(file, {
    maxBytes: MAX_CONFIG_BYTES,
    timeoutMs: readTimeoutMs,
    hints: ["Write one with: sonm-agent init --config " + path],
  });
  return parseConfig(text, { ...parse, file });
}
