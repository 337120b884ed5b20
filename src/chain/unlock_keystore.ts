import type { KdfSettings } from "./_keystore.ts";
import { decryptKeystore, type UnlockedAccount } from "./decrypt_keystore.ts";
import { KeystoreFormatError } from "./errors.ts";
import { readBoundedFile } from "../internal/mod.ts";

/** A v3 keystore is about 500 bytes; a file this large is not one. */
const MAX_KEYSTORE_BYTES = 64 * 1024;

/** Options of {@linkcode unlockKeystore}. */
export type UnlockKeystoreOptions = {
  path: string;
  passphrase: string;
  /** Called with the key derivation's settings before the (slow) unlock. */
  onKdf?: ((kdf: KdfSettings) => void) | undefined;
  signal?: AbortSignal | undefined;
};

/**
 * Reads a Web3 Secret Storage v3 file and unlocks it with the passphrase
 * into a viem LocalAccount.
 *
 * @throws {KeystoreFormatError} when the file is missing, unreadable or malformed
 * @throws {KeystorePassphraseError} when the passphrase is wrong or the file was altered
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { importPrivateKey } from "./import_private_key.ts";
 * import { unlockKeystore } from "./unlock_keystore.ts";
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/key.json`;
 * const privateKey = "0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";
 * await importPrivateKey({ privateKey, path, passphrase: "pw", kdf: { kdf: "pbkdf2", c: 1000 } });
 * const account = await unlockKeystore({ path, passphrase: "pw" });
 * assert.equal(account.address, "0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function unlockKeystore(options: UnlockKeystoreOptions): Promise<UnlockedAccount> {
  const read = await readBoundedFile(options.path, {
    maxBytes: MAX_KEYSTORE_BYTES,
    signal: options.signal,
  });
  if (!read.ok) {
    throw new KeystoreFormatError(
      { path: options.path, detail: `cannot read file: ${read.detail}` },
      { cause: read.cause },
    );
  }
  const text = read.text;
  return await decryptKeystore(text, {
    passphrase: options.passphrase,
    path: options.path,
    onKdf: options.onKdf,
  });
}
