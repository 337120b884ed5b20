import { generatePrivateKey } from "viem/accounts";
import { type Address, getAddress } from "viem";
import { encryptKeystore, type KeystoreKdf } from "./encrypt_keystore.ts";
import { writeKeystore } from "./_write_keystore.ts";

/** Options of {@linkcode createKeystore}. */
export type CreateKeystoreOptions = {
  /** File to write (mode 0600). */
  path: string;
  passphrase: string;
  /** Default: scrypt n=262144 r=8 p=1. */
  kdf?: KeystoreKdf | undefined;
  /** Replace an existing file (default false: refuse). */
  overwrite?: boolean | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode createKeystore} returns. */
export type CreateKeystoreReturnType = { address: Address; path: string };

/**
 * Creates a new random key and saves it as a Web3 Secret Storage v3 file
 * (mode 0600). Returns only the address.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createKeystore } from "./create_keystore.ts";
 * const dir = await Deno.makeTempDir();
 * const { address } = await createKeystore({
 *   path: `${dir}/key.json`, passphrase: "pw", kdf: { kdf: "pbkdf2", c: 1000 },
 * });
 * assert.ok(address.startsWith("0x"));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function createKeystore(
  options: CreateKeystoreOptions,
): Promise<CreateKeystoreReturnType> {
  const key = generatePrivateKey();
  const document = await encryptKeystore(key, { passphrase: options.passphrase, kdf: options.kdf });
  await writeKeystore(options.path, document, options.overwrite ?? false, options.signal);
  return { address: getAddress(`0x${document.address}`), path: options.path };
}
