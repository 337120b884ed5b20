import { dirname } from "node:path";
import { createKeystore } from "../../chain/mod.ts";
import type { AgentConfig } from "../config/mod.ts";
import { type Logger, pathExists } from "../base/mod.ts";
import { readPassphrase } from "./read_passphrase.ts";

/** Options of {@linkcode ensureDevnetKeystore}. */
export type EnsureDevnetKeystoreOptions = { logger: Logger };

/**
 * On devnet only: creates the keystore and its passphrase file when missing,
 * so `deno task start` works on a fresh clone. A real chain never gets a key
 * made behind the owner's back: `sonm-agent init` does that, on purpose.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ensureDevnetKeystore } from "./ensure_keystore.ts";
 * import { createLogger } from "../base/mod.ts";
 * const dir = await Deno.makeTempDir();
 * const keystore = {
 *   path: `${dir}/k.json`,
 *   passphrase: { from: "file" as const, path: `${dir}/k.pass` },
 * };
 * await ensureDevnetKeystore(keystore, { logger: createLogger({ write: () => {} }) });
 * assert.equal((await Deno.stat(`${dir}/k.pass`)).mode! & 0o777, 0o600);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function ensureDevnetKeystore(
  keystore: AgentConfig["keystore"],
  { logger }: EnsureDevnetKeystoreOptions,
): Promise<void> {
  if (await pathExists(keystore.path)) return;
  let passphrase: string;
  if (keystore.passphrase.from === "file") {
    if (await pathExists(keystore.passphrase.path)) return; // a passphrase without a key: let unlock explain
    passphrase = randomPassphrase();
    await Deno.mkdir(dirname(keystore.passphrase.path), { recursive: true });
    await Deno.writeTextFile(keystore.passphrase.path, passphrase + "\n", { mode: 0o600 });
  } else {
    passphrase = await readPassphrase(keystore.passphrase);
  }
  await Deno.mkdir(dirname(keystore.path), { recursive: true });
  // pbkdf2 with a modest count: a devnet key guards nothing of value, and
  // start-up stays fast. `sonm-agent init` uses the strong scrypt default.
  const { address } = await createKeystore({
    path: keystore.path,
    passphrase,
    kdf: { kdf: "pbkdf2", c: 10_000 },
  });
  logger.info("created a devnet keystore", { path: keystore.path, address });
}

/** 24 random bytes, hex: for generated passphrase files. */
export function randomPassphrase(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
