import { privateKeyToAccount } from "viem/accounts";
import type { LocalAccount } from "viem";
import { issueProblems } from "../internal/mod.ts";
import {
  aesCtr,
  bytesToHex,
  deriveKey,
  hexToBytes,
  isValidPrivateKey,
  type KdfSection,
  type KdfSettings,
  keystoreSchema,
  macMatches,
} from "./_keystore.ts";
import {
  KeystoreAddressMismatchError,
  type KeystoreAddressMismatchErrorType,
  KeystoreFormatError,
  type KeystoreFormatErrorType,
  KeystorePassphraseError,
  type KeystorePassphraseErrorType,
} from "./errors.ts";

/** Options of {@linkcode decryptKeystore}. */
export type DecryptKeystoreOptions = {
  passphrase: string;
  /** Where the document came from, for error messages (default `"<memory>"`). */
  path?: string | undefined;
  /**
   * Called with the key derivation's settings before it runs (it can take
   * seconds with geth's settings), so the caller can say what it waits for.
   */
  onKdf?: ((kdf: KdfSettings) => void) | undefined;
};

/** The unlocked account: a viem LocalAccount; the key lives only in its closures. */
export type UnlockedAccount = LocalAccount;

/** Errors of {@linkcode decryptKeystore}. */
export type DecryptKeystoreErrorType =
  | KeystoreFormatErrorType
  | KeystorePassphraseErrorType
  | KeystoreAddressMismatchErrorType;

/**
 * Checks and decrypts a Web3 Secret Storage v3 document (an object or its
 * JSON text) into a viem LocalAccount. The key itself is never returned: the
 * account signs, and printing it (String, JSON.stringify, Deno.inspect)
 * shows no key material.
 *
 * @throws {KeystoreFormatError} when the document does not follow the format
 * @throws {KeystorePassphraseError} when the MAC does not match (wrong passphrase or altered file)
 * @throws {KeystoreAddressMismatchError} when the `address` field names another key
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encryptKeystore } from "./encrypt_keystore.ts";
 * import { decryptKeystore } from "./decrypt_keystore.ts";
 * const kdf = { kdf: "pbkdf2", c: 1000 } as const;
 * const key = "0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";
 * const ks = await encryptKeystore(key, { passphrase: "pw", kdf });
 * const account = await decryptKeystore(ks, { passphrase: "pw" });
 * assert.equal(account.address, "0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b");
 * ```
 */
export async function decryptKeystore(
  document: unknown,
  options: DecryptKeystoreOptions,
): Promise<UnlockedAccount> {
  const path = options.path ?? "<memory>";
  let input = document;
  if (typeof input === "string") {
    try {
      input = JSON.parse(input);
    } catch {
      // No cause: the parser's message quotes the text, which may be a
      // passphrase or a raw key given as the keystore by mistake.
      throw new KeystoreFormatError({ path, detail: "not valid JSON" });
    }
  }
  const parsed = keystoreSchema.safeParse(input);
  if (!parsed.success) {
    // The field and what is wrong, never the value: it may be key material.
    const problem = issueProblems(parsed.error.issues, input)[0];
    const where = problem === undefined || problem.field === "(top level)"
      ? "document"
      : problem.field;
    throw new KeystoreFormatError({
      path,
      detail: `field ${where} ${problem?.message ?? "is invalid"}`,
    });
  }
  const ks = parsed.data;
  options.onKdf?.(kdfOf(ks.crypto));
  const derived = await deriveKey(options.passphrase, ks.crypto);
  const ciphertext = hexToBytes(ks.crypto.ciphertext);
  if (!macMatches(derived, ciphertext, ks.crypto.mac)) {
    derived.fill(0);
    throw new KeystorePassphraseError({ path });
  }
  const secret = aesCtr(derived, hexToBytes(ks.crypto.cipherparams.iv), ciphertext);
  derived.fill(0);
  if (!isValidPrivateKey(secret)) {
    secret.fill(0);
    throw new KeystoreFormatError({
      path,
      detail: "the decrypted key is not a valid secp256k1 private key (0 or not below the order)",
    });
  }
  const account = privateKeyToAccount(`0x${bytesToHex(secret)}`);
  secret.fill(0);
  if (ks.address !== undefined && ks.address !== account.address.slice(2).toLowerCase()) {
    throw new KeystoreAddressMismatchError({
      path,
      expected: `0x${ks.address}`,
      actual: account.address,
    });
  }
  return account;
}

/** The settings without the salt: safe to log. */
function kdfOf(section: KdfSection): KdfSettings {
  if (section.kdf === "scrypt") {
    const { n, r, p } = section.kdfparams;
    return { kdf: "scrypt", n, r, p };
  }
  return { kdf: "pbkdf2", c: section.kdfparams.c };
}
