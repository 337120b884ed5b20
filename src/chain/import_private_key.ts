import { type Address, getAddress, type Hex } from "viem";
import { encryptKeystore, type KeystoreKdf } from "./encrypt_keystore.ts";
import { writeKeystore } from "./_write_keystore.ts";

/** Options of {@linkcode importPrivateKey}. */
export type ImportPrivateKeyOptions = {
  /** The key to import, 0x + 64 hex digits. */
  privateKey: Hex;
  /** File to write (mode 0600). */
  path: string;
  passphrase: string;
  kdf?: KeystoreKdf | undefined;
  overwrite?: boolean | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode importPrivateKey} returns. */
export type ImportPrivateKeyReturnType = { address: Address; path: string };

/**
 * Encrypts an existing private key into a Web3 Secret Storage v3 file (mode 0600).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { importPrivateKey } from "./import_private_key.ts";
 * const dir = await Deno.makeTempDir();
 * const { address } = await importPrivateKey({
 *   privateKey: "0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d",
 *   path: `${dir}/key.json`, passphrase: "pw", kdf: { kdf: "pbkdf2", c: 1000 },
 * });
 * assert.equal(address, "0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function importPrivateKey(
  options: ImportPrivateKeyOptions,
): Promise<ImportPrivateKeyReturnType> {
  const document = await encryptKeystore(options.privateKey, {
    passphrase: options.passphrase,
    kdf: options.kdf,
  });
  await writeKeystore(options.path, document, options.overwrite ?? false, options.signal);
  return { address: getAddress(`0x${document.address}`), path: options.path };
}
