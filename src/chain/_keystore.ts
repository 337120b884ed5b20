/**
 * Web3 Secret Storage v3: the file schema (zod), key derivation, encryption
 * and the MAC. Private to src/chain; the public functions are
 * encrypt_keystore.ts, decrypt_keystore.ts, create_keystore.ts,
 * import_private_key.ts and unlock_keystore.ts.
 */
import { z } from "zod";
import { pbkdf2, scrypt } from "node:crypto";
import { scryptAsync } from "@noble/hashes/scrypt.js";
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

/**
 * The most work a keystore may ask for: what real wallets write, no more, so
 * a crafted file cannot hold start-up for minutes. geth's "standard" scrypt is
 * n=2^18, r=8, p=1 (its "light" n=2^12, r=8, p=6); ethers and MetaMask write
 * n=2^17, r=8, p=1; geth's and ethers' pbkdf2 use c=2^18.
 */
export const KDF_LIMITS = {
  scryptN: 2 ** 18,
  scryptR: 8,
  scryptP: 16,
  scryptWork: 2 ** 21,
  pbkdf2C: 2 ** 20,
};

const scryptParams = z.object({
  n: z.number().int().min(2).max(KDF_LIMITS.scryptN, `must be at most ${KDF_LIMITS.scryptN}`)
    .refine((n) => (n & (n - 1)) === 0, "must be a power of 2"),
  r: z.number().int().min(1).max(KDF_LIMITS.scryptR, `must be at most ${KDF_LIMITS.scryptR}`),
  p: z.number().int().min(1).max(KDF_LIMITS.scryptP, `must be at most ${KDF_LIMITS.scryptP}`),
  dklen: z.number().int().min(32).max(64),
  salt: hex(),
}).refine(
  (k) => k.n * k.r * k.p <= KDF_LIMITS.scryptWork,
  `n*r*p must be at most ${KDF_LIMITS.scryptWork} (geth's standard settings)`,
);

const pbkdf2Params = z.object({
  c: z.number().int().min(1).max(KDF_LIMITS.pbkdf2C, `must be at most ${KDF_LIMITS.pbkdf2C}`),
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

/** The secp256k1 group order: a private key is a number in [1, n). */
const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** Whether 32 bytes are a usable secp256k1 private key (not 0, below the order). */
export function isValidPrivateKey(secret: Uint8Array): boolean {
  if (secret.length !== 32) return false;
  let k = 0n;
  for (const byte of secret) k = (k << 8n) | BigInt(byte);
  return k > 0n && k < SECP256K1_ORDER;
}

/**
 * Derives the key from the passphrase with the file's KDF. Node's native
 * scrypt and pbkdf2 (in Deno's runtime, on a worker thread): about ten times
 * faster than the pure-JS ones for pbkdf2 and twice for scrypt, and the event
 * loop stays free meanwhile (a consumer's client finds the rig while it runs).
 */
export function deriveKey(passphrase: string, c: KdfSection): Promise<Uint8Array> {
  const pass = new TextEncoder().encode(passphrase);
  const done =
    (resolve: (key: Uint8Array) => void, reject: (error: Error) => void) =>
    (error: Error | null, key: Uint8Array) =>
      error === null ? resolve(new Uint8Array(key)) : reject(error);
  if (c.kdf === "scrypt") {
    const { n, r, p, dklen, salt } = c.kdfparams;
    const maxmem = 128 * r * n * p + 1024 * 1024 * 16;
    // OpenSSL holds RFC 7914's N < 2^(16 r); some real files (the format's own test
    // vector: r = 1, N = 2^18) break it, and the pure-JS scrypt opens them
    if (n >= 2 ** (16 * r)) {
      return scryptAsync(pass, hexToBytes(salt), { N: n, r, p, dkLen: dklen, maxmem });
    }
    return new Promise((resolve, reject) =>
      scrypt(pass, hexToBytes(salt), dklen, { N: n, r, p, maxmem }, done(resolve, reject))
    );
  }
  const { c: iterations, dklen, salt } = c.kdfparams;
  return new Promise((resolve, reject) =>
    pbkdf2(pass, hexToBytes(salt), iterations, dklen, "sha256", done(resolve, reject))
  );
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
