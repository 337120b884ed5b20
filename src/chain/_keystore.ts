/**
 * Web3 Secret Storage v3: the file schema (zod), key derivation, encryption
 * and the MAC. Private to src/chain; the public functions are
 * encrypt_keystore.ts, decrypt_keystore.ts, create_keystore.ts,
 * import_private_key.ts and unlock_keystore.ts.
 */
import { z } from "zod";
import { scryptAsync } from "@noble/hashes/scrypt.js";
import { pbkdf2Async } from "@noble/hashes/pbkdf2.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { ctr } from "@noble/ciphers/aes.js";
import { bytesToHex, concatBytes, equalBytes, hexToBytes } from "@noble/ciphers/utils.js";

const hex = (bytes?: number) =>
  z.string().regex(
    bytes === undefined
      ? /^(0x)?([0-9a-fA-F]{2})+$/
      : new RegExp(`^(0x)?[0-9a-fA-F]{${bytes * 2}}$`),
    bytes === undefined ? "must be hex" : `must be ${bytes} bytes of hex`,
  ).transform((s) => s.replace(/^0x/, "").toLowerCase());

const scryptParams = z.object({
  n: z.number().int().min(2).max(2 ** 20).refine(
    (n) => (n & (n - 1)) === 0,
    "must be a power of 2",
  ),
  r: z.number().int().min(1).max(32),
  p: z.number().int().min(1).max(16),
  dklen: z.number().int().min(32).max(64),
  salt: hex(),
});

const pbkdf2Params = z.object({
  c: z.number().int().min(1).max(10_000_000),
  prf: z.literal("hmac-sha256"),
  dklen: z.number().int().min(32).max(64),
  salt: hex(),
});

const cryptoSection = z.object({
  cipher: z.literal("aes-128-ctr"),
  cipherparams: z.object({ iv: hex(16) }),
  ciphertext: hex(32),
  mac: hex(32),
}).and(
  z.discriminatedUnion("kdf", [
    z.object({ kdf: z.literal("scrypt"), kdfparams: scryptParams }),
    z.object({ kdf: z.literal("pbkdf2"), kdfparams: pbkdf2Params }),
  ]),
);

/** The v3 file; geth's older files spell the section `Crypto`. */
export const keystoreSchema = z.preprocess(
  (v) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const o = v as Record<string, unknown>;
    if (o.crypto === undefined && o.Crypto !== undefined) {
      const { Crypto, ...rest } = o;
      return { ...rest, crypto: Crypto };
    }
    return v;
  },
  z.object({
    version: z.literal(3),
    id: z.string().optional(),
    address: hex(20).optional(),
    crypto: cryptoSection,
  }),
);

/** A parsed keystore (hex fields without 0x, lower case). */
export type ParsedKeystore = z.output<typeof keystoreSchema>;

/** KDF settings to encrypt with. */
export type KdfSettings =
  | { kdf: "scrypt"; n: number; r: number; p: number }
  | { kdf: "pbkdf2"; c: number };

/** geth's "standard" scrypt settings. */
export const DEFAULT_KDF: KdfSettings = { kdf: "scrypt", n: 262_144, r: 8, p: 1 };

/** The KDF part of a keystore's crypto section. */
export type KdfSection =
  | { kdf: "scrypt"; kdfparams: { n: number; r: number; p: number; dklen: number; salt: string } }
  | { kdf: "pbkdf2"; kdfparams: { c: number; dklen: number; salt: string } };

/** Derives the key from the passphrase with the file's KDF. */
export function deriveKey(passphrase: string, c: KdfSection): Promise<Uint8Array> {
  const pass = new TextEncoder().encode(passphrase);
  if (c.kdf === "scrypt") {
    const { n, r, p, dklen, salt } = c.kdfparams;
    return scryptAsync(pass, hexToBytes(salt), {
      N: n,
      r,
      p,
      dkLen: dklen,
      maxmem: 128 * r * n + 1024 * 1024 * 16,
    });
  }
  const { c: iterations, dklen, salt } = c.kdfparams;
  return pbkdf2Async(sha256, pass, hexToBytes(salt), { c: iterations, dkLen: dklen });
}

/** keccak256(DK[16..31] ++ ciphertext) */
export function macOf(derived: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return keccak_256(concatBytes(derived.slice(16, 32), ciphertext));
}

/** Constant-time compare of the computed and stored MACs. */
export function macMatches(derived: Uint8Array, ciphertext: Uint8Array, macHex: string): boolean {
  return equalBytes(macOf(derived, ciphertext), hexToBytes(macHex));
}

/** AES-128-CTR with DK[0..15]; encryption and decryption are the same operation. */
export function aesCtr(derived: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  return ctr(derived.slice(0, 16), iv).encrypt(data);
}

export { bytesToHex, hexToBytes };
