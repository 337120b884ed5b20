import { type UnlockedAccount, unlockKeystore } from "../../chain/mod.ts";
import type { AgentConfig } from "../config/mod.ts";
import type { Logger } from "../base/mod.ts";
import { readPassphrase } from "./read_passphrase.ts";

/** Options of {@linkcode unlockAgentKey}. */
export type UnlockAgentKeyOptions = {
  logger: Logger;
  /** The environment the passphrase may come from. @default {Deno.env} */
  env?: { get(name: string): string | undefined } | undefined;
  /** How the passphrase sources are named in errors. @default {the config keys} */
  names?: { env: string; file: string } | undefined;
  signal?: AbortSignal | undefined;
};

/**
 * Unlocks the rig's key as the config says: reads the passphrase from its one
 * source, logs "unlocking the keystore" with the key derivation's settings
 * before the derivation runs (seconds with geth's scrypt settings, so a slow
 * start-up is explained), then decrypts. The passphrase and key are never
 * logged.
 *
 * @throws {ConfigError} when the passphrase source is unset, unreadable or empty
 * @throws {KeystoreFormatError | KeystorePassphraseError} from the keystore
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { importPrivateKey } from "../../chain/mod.ts";
 * import { createLogger } from "../base/mod.ts";
 * import { unlockAgentKey } from "./unlock_agent_key.ts";
 * const dir = await Deno.makeTempDir();
 * const privateKey = "0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";
 * const kdf = { kdf: "pbkdf2", c: 1000 } as const;
 * await importPrivateKey({ privateKey, path: `${dir}/k.json`, passphrase: "pw", kdf });
 * const keystore = { path: `${dir}/k.json`, passphrase: { from: "env" as const, name: "PASS" } };
 * const logger = createLogger({ write: () => {} });
 * const account = await unlockAgentKey(keystore, { logger, env: { get: () => "pw" } });
 * assert.equal(account.address, "0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function unlockAgentKey(
  keystore: AgentConfig["keystore"],
  options: UnlockAgentKeyOptions,
): Promise<UnlockedAccount> {
  const { logger, env, names, signal } = options;
  const passphrase = await readPassphrase(keystore.passphrase, { env, names });
  const account = await unlockKeystore({
    path: keystore.path,
    passphrase,
    signal,
    onKdf: (kdf) => logger.info("unlocking the keystore", { path: keystore.path, ...kdf }),
  });
  logger.info("keystore unlocked", { address: account.address });
  return account;
}
