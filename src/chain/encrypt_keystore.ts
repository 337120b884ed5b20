import { privateKeyToAddress } from "viem/accounts";
import { randomBytes } from "@noble/ciphers/utils.js";
import type { Hex } from "viem";
import {
  aesCtr,
  bytesToHex,
  DEFAULT_KDF,
  deriveKey,
  hexToBytes,
  type KdfSettings,
  macOf,
} from "./_keystore.ts";
import { ChainInputError } from "./errors.ts";

/** A Web3 Secret Storage v3 document as written to disk. */
export type KeystoreV3 = {
  version: 3;
  id: string;
  /** Address without 0x, lower case (geth's convention). */
  address: string;
  crypto: {
    cipher: "aes-128-ctr";
    cipherparams: { iv: string };
    ciphertext: string;
    kdf: "scrypt" | "pbkdf2";
    kdfparams:
      | { n: number; r: number; p: number; dklen: number; salt: string }
      | { c: number; prf: "hmac-sha256"; dklen: number; salt: string };
    mac: string;
  };
};

/** KDF choice for {@linkcode encryptKeystore}. */
export type KeystoreKdf = KdfSettings;

/** Options of {@linkcode encryptKeystore}. */
export type EncryptKeystoreOptions = {
  passphrase: string;
  /** Default: scrypt n=262144 r=8 p=1 (geth's standard). */
  kdf?: KeystoreKdf | undefined;
  /** Fixed salt (32 bytes hex) and iv (16 bytes hex), for known-answer tests only. */
  salt?: Hex | undefined;
  iv?: Hex | undefined;
  id?: string | undefined;
};

/**
 * Encrypts a private key into a Web3 Secret Storage v3 document
 * (aes-128-ctr, scrypt or pbkdf2-hmac-sha256, keccak-256 MAC).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encryptKeystore } from "./encrypt_keystore.ts";
 * const ks = await encryptKeystore(
 *   "0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d",
 *   { passphrase: "pw", kdf: { kdf: "scrypt", n: 1024, r: 8, p: 1 } },
 * );
 * assert.equal(ks.address, "008aeeda4d805471df9b2a5b0f38a0c3bcba786b");
 * ```
 */
export async function encryptKeystore(
  privateKey: Hex,
  options: EncryptKeystoreOptions,
): Promise<KeystoreV3> {
  if (!/^0x[0-9a-fA-F]{64}$/.test(privateKey)) {
    throw new ChainInputError({
      action: "encrypt keystore",
      field: "privateKey",
      value: "<redacted>",
      detail: "must be 32 bytes of hex with 0x",
    });
  }
  const kdf = options.kdf ?? DEFAULT_KDF;
  const salt = options.salt === undefined ? randomBytes(32) : hexToBytes(options.salt.slice(2));
  const iv = options.iv === undefined ? randomBytes(16) : hexToBytes(options.iv.slice(2));
  const saltHex = bytesToHex(salt);
  const crypto = kdf.kdf === "scrypt"
    ? {
      kdf: "scrypt" as const,
      kdfparams: { n: kdf.n, r: kdf.r, p: kdf.p, dklen: 32, salt: saltHex },
    }
    : {
      kdf: "pbkdf2" as const,
      kdfparams: { c: kdf.c, prf: "hmac-sha256" as const, dklen: 32, salt: saltHex },
    };
  const derived = await deriveKey(options.passphrase, crypto);
  const secret = hexToBytes(privateKey.slice(2));
  const ciphertext = aesCtr(derived, iv, secret);
  const mac = macOf(derived, ciphertext);
  secret.fill(0);
  derived.fill(0);
  return {
    version: 3,
    id: options.id ?? globalThis.crypto.randomUUID(),
    address: privateKeyToAddress(privateKey).slice(2).toLowerCase(),
    crypto: {
      cipher: "aes-128-ctr",
      cipherparams: { iv: bytesToHex(iv) },
      ciphertext: bytesToHex(ciphertext),
      ...crypto,
      mac: bytesToHex(mac),
    },
  };
}
