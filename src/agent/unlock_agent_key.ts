import { type UnlockedAccount, unlockKeystore } from "../chain/mod.ts";
import type { AgentConfig } from "./config.ts";
import type { Logger } from "./logger.ts";
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
 * ```ts ignore
 * const account = await unlockAgentKey(config.keystore, { logger });
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
