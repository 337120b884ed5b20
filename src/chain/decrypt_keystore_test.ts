import assert from "node:assert/strict";
import { privateKeyToAccount } from "viem/accounts";
import { aesCtr, bytesToHex, deriveKey, hexToBytes, macOf } from "./_keystore.ts";
import { decryptKeystore } from "./decrypt_keystore.ts";
import { encryptKeystore } from "./encrypt_keystore.ts";
import {
  KeystoreAddressMismatchError,
  KeystoreFormatError,
  KeystorePassphraseError,
} from "./errors.ts";

// Known-answer vectors of the Web3 Secret Storage Definition (Ethereum wiki),
// passphrase "testpassword".
const SECRET = "0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";
const ADDRESS = "0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b";

const PBKDF2_VECTOR = {
  crypto: {
    cipher: "aes-128-ctr",
    cipherparams: { iv: "6087dab2f9fdbbfaddc31a909735c1e6" },
    ciphertext: "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
    kdf: "pbkdf2",
    kdfparams: {
      c: 262144,
      dklen: 32,
      prf: "hmac-sha256",
      salt: "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd",
    },
    mac: "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2",
  },
  id: "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  version: 3,
};

const SCRYPT_VECTOR = {
  crypto: {
    cipher: "aes-128-ctr",
    cipherparams: { iv: "83dbcc02d8ccb40e466191a123791e0e" },
    ciphertext: "d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c",
    kdf: "scrypt",
    kdfparams: {
      dklen: 32,
      n: 262144,
      r: 1,
      p: 8,
      salt: "ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19",
    },
    mac: "2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097",
  },
  id: "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  version: 3,
};

const FAST = { kdf: "scrypt", n: 1024, r: 8, p: 1 } as const;

/** Same key: same address and same signature as an account made from the known secret. */
async function assertIsSecret(account: Awaited<ReturnType<typeof decryptKeystore>>) {
  assert.equal(account.address, ADDRESS);
  const expected = await privateKeyToAccount(SECRET).signMessage({ message: "sonm" });
  assert.equal(await account.signMessage({ message: "sonm" }), expected);
}

Deno.test("decryptKeystore() opens the definition's PBKDF2-SHA-256 test vector", async () => {
  await assertIsSecret(await decryptKeystore(PBKDF2_VECTOR, { passphrase: "testpassword" }));
});

Deno.test("decryptKeystore() opens the definition's scrypt test vector", async () => {
  const text = JSON.stringify(SCRYPT_VECTOR);
  await assertIsSecret(await decryptKeystore(text, { passphrase: "testpassword" }));
});

Deno.test("encryptKeystore() reproduces the PBKDF2 vector from its salt and iv", async () => {
  const ks = await encryptKeystore(SECRET, {
    passphrase: "testpassword",
    kdf: { kdf: "pbkdf2", c: 262144 },
    salt: `0x${PBKDF2_VECTOR.crypto.kdfparams.salt}`,
    iv: `0x${PBKDF2_VECTOR.crypto.cipherparams.iv}`,
  });
  assert.equal(ks.crypto.ciphertext, PBKDF2_VECTOR.crypto.ciphertext);
  assert.equal(ks.crypto.mac, PBKDF2_VECTOR.crypto.mac);
});

Deno.test("encryptKeystore() and decryptKeystore() round-trip with both KDFs", async () => {
  for (const kdf of [FAST, { kdf: "pbkdf2", c: 1000 } as const]) {
    const ks = await encryptKeystore(SECRET, { passphrase: "correct horse", kdf });
    assert.equal(ks.crypto.kdf, kdf.kdf);
    assert.notEqual(ks.crypto.ciphertext, SECRET.slice(2));
    await assertIsSecret(await decryptKeystore(ks, { passphrase: "correct horse" }));
  }
});

Deno.test("decryptKeystore() refuses a wrong passphrase", async () => {
  const ks = await encryptKeystore(SECRET, { passphrase: "right", kdf: FAST });
  await assert.rejects(
    decryptKeystore(ks, { passphrase: "wrong", path: "/k.json" }),
    (e: unknown) => e instanceof KeystorePassphraseError && e.path === "/k.json",
  );
});

Deno.test("decryptKeystore() refuses a tampered MAC or ciphertext", async () => {
  const ks = await encryptKeystore(SECRET, { passphrase: "pw", kdf: FAST });
  const flip = (h: string) => (h[0] === "0" ? "1" : "0") + h.slice(1);
  const badMac = { ...ks, crypto: { ...ks.crypto, mac: flip(ks.crypto.mac) } };
  const badText = { ...ks, crypto: { ...ks.crypto, ciphertext: flip(ks.crypto.ciphertext) } };
  await assert.rejects(decryptKeystore(badMac, { passphrase: "pw" }), KeystorePassphraseError);
  await assert.rejects(decryptKeystore(badText, { passphrase: "pw" }), KeystorePassphraseError);
});

Deno.test("decryptKeystore() refuses an address field that names another key", async () => {
  const ks = await encryptKeystore(SECRET, { passphrase: "pw", kdf: FAST });
  const other = { ...ks, address: "1111111111111111111111111111111111111111" };
  await assert.rejects(
    decryptKeystore(other, { passphrase: "pw" }),
    KeystoreAddressMismatchError,
  );
});

Deno.test("decryptKeystore() names the bad field of a malformed file", async () => {
  await assert.rejects(
    decryptKeystore("{not json", { passphrase: "pw", path: "/k.json" }),
    /Cannot read keystore "\/k\.json": not valid JSON/,
  );
  const ks = await encryptKeystore(SECRET, { passphrase: "pw", kdf: FAST });
  const cases: [unknown, RegExp][] = [
    [{ ...ks, version: 2 }, /version/],
    [{ ...ks, crypto: { ...ks.crypto, cipher: "aes-128-cbc" } }, /crypto/],
    [{ ...ks, crypto: { ...ks.crypto, mac: "zz" } }, /crypto/],
    [{ ...ks, crypto: { ...ks.crypto, kdfparams: { ...ks.crypto.kdfparams, n: 1000 } } }, /crypto/],
    [{ ...ks, crypto: { ...ks.crypto, kdf: "argon2" } }, /crypto/],
    [[], /document|invalid/],
  ];
  for (const [doc, re] of cases) {
    await assert.rejects(
      decryptKeystore(doc, { passphrase: "pw" }),
      (e: unknown) => e instanceof KeystoreFormatError && re.test(e.message),
    );
  }
});

Deno.test("decryptKeystore() returns an account that never shows its key", async () => {
  const ks = await encryptKeystore(SECRET, { passphrase: "pw", kdf: FAST });
  const account = await decryptKeystore(ks, { passphrase: "pw" });
  const secretHex = SECRET.slice(2);
  const shown = [
    String(account),
    `${account}`,
    JSON.stringify(account),
    Deno.inspect(account, { depth: 10, showHidden: true, getters: true }),
  ];
  for (const text of shown) assert.ok(!text.toLowerCase().includes(secretHex), text);
  assert.equal(account.address, ADDRESS);
});

/** A v3 document around any 32 bytes, as a crafted file would hold them. */
async function craft(secret: Uint8Array, passphrase: string): Promise<unknown> {
  const salt = "11".repeat(32);
  const iv = "22".repeat(16);
  const kdf = {
    kdf: "pbkdf2" as const,
    kdfparams: { c: 1000, dklen: 32, prf: "hmac-sha256", salt },
  };
  const derived = await deriveKey(passphrase, kdf);
  const ciphertext = aesCtr(derived, hexToBytes(iv), secret);
  return {
    version: 3,
    crypto: {
      cipher: "aes-128-ctr",
      cipherparams: { iv },
      ciphertext: bytesToHex(ciphertext),
      mac: bytesToHex(macOf(derived, ciphertext)),
      ...kdf,
    },
  };
}

Deno.test("decryptKeystore() refuses a crafted key of 0 or not below the curve order", async () => {
  const order = hexToBytes("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  const above = hexToBytes("ff".repeat(32));
  for (const secret of [new Uint8Array(32), order, above]) {
    const doc = await craft(secret, "pw");
    await assert.rejects(
      decryptKeystore(doc, { passphrase: "pw", path: "/k.json" }),
      (e: unknown) =>
        e instanceof KeystoreFormatError && /not a valid secp256k1 private key/.test(e.message) &&
        e.cause === undefined,
    );
  }
  // One below the order is a valid key.
  const last = order.slice();
  last[31] = 0x40;
  const account = await decryptKeystore(await craft(last, "pw"), { passphrase: "pw" });
  assert.match(account.address, /^0x[0-9a-fA-F]{40}$/);
});

Deno.test("decryptKeystore() refuses KDF work beyond what real wallets write", async () => {
  const ks = await encryptKeystore(SECRET, { passphrase: "pw", kdf: FAST });
  const scrypt = (params: Record<string, number>) => ({
    ...ks,
    crypto: {
      ...ks.crypto,
      kdf: "scrypt",
      kdfparams: { dklen: 32, salt: "11".repeat(32), n: 1024, r: 8, p: 1, ...params },
    },
  });
  const cases: [unknown, RegExp][] = [
    [scrypt({ n: 2 ** 20 }), /crypto\.kdfparams\.n must be at most 262144/],
    [scrypt({ r: 32 }), /crypto\.kdfparams\.r must be at most 8/],
    [scrypt({ p: 16, n: 2 ** 18 }), /n\*r\*p must be at most/],
    [
      {
        ...ks,
        crypto: { ...ks.crypto, kdf: "pbkdf2", kdfparams: { ...ks.crypto.kdfparams, c: 2 ** 24 } },
      },
      /crypto\.kdfparams\.c must be at most 1048576/,
    ],
  ];
  for (const [doc, re] of cases) {
    await assert.rejects(decryptKeystore(doc, { passphrase: "pw" }), (e: unknown) => {
      assert.ok(e instanceof KeystoreFormatError, String(e));
      assert.match(e.message, re);
      return true;
    });
  }
});

Deno.test("decryptKeystore() reports the KDF settings before deriving, and never quotes the text", async () => {
  const seen: unknown[] = [];
  await decryptKeystore(PBKDF2_VECTOR, { passphrase: "testpassword", onKdf: (k) => seen.push(k) });
  assert.deepEqual(seen, [{ kdf: "pbkdf2", c: 262144 }]);
  // A passphrase file or a raw key given as the keystore: the error (and its
  // cause chain) names the problem, never the content.
  for (
    const text of ["hunter2-is-my-pass", SECRET, `"${SECRET}"`, `{"version":3,"x":"${SECRET}"`]
  ) {
    const error = await decryptKeystore(text, { passphrase: "pw" }).catch((e) => e);
    assert.ok(error instanceof KeystoreFormatError);
    const chain = [...error.causes()].map((c) => c instanceof Error ? c.message : String(c));
    for (const message of chain) {
      assert.ok(!message.includes("hunter2") && !message.includes(SECRET.slice(2, 20)), message);
    }
  }
});
