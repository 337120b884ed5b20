import assert from "node:assert/strict";
import { createKeystore } from "./create_keystore.ts";
import { importPrivateKey } from "./import_private_key.ts";
import { unlockKeystore } from "./unlock_keystore.ts";
import { KeystoreFormatError, KeystorePassphraseError } from "./errors.ts";

const FAST = { kdf: "scrypt", n: 1024, r: 8, p: 1 } as const;

Deno.test("createKeystore() saves a new key with mode 0600 that unlockKeystore() opens", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/sub/key.json`;
    const { address } = await createKeystore({ path, passphrase: "pw", kdf: FAST });
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const account = await unlockKeystore({ path, passphrase: "pw" });
    assert.equal(account.address, address);
    // a second key is a different key
    const other = await createKeystore({ path: `${dir}/b.json`, passphrase: "pw", kdf: FAST });
    assert.notEqual(other.address, address);
    // and the file is never replaced by accident
    await assert.rejects(
      createKeystore({ path, passphrase: "pw", kdf: FAST }),
      /already exists/,
    );
    assert.equal((await unlockKeystore({ path, passphrase: "pw" })).address, account.address);
    await assert.rejects(unlockKeystore({ path, passphrase: "nope" }), KeystorePassphraseError);
    const left = [...Deno.readDirSync(`${dir}/sub`)].map((e) => e.name);
    assert.deepEqual(left, ["key.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("importPrivateKey() saves a given key that unlocks to its address", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/key.json`;
    const privateKey = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
    const { address } = await importPrivateKey({ privateKey, path, passphrase: "pw", kdf: FAST });
    assert.equal(address, "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
    const text = await Deno.readTextFile(path);
    assert.ok(!text.includes(privateKey.slice(2)));
    assert.equal((await unlockKeystore({ path, passphrase: "pw" })).address, address);
    await assert.rejects(
      importPrivateKey({ privateKey: "0x1234", path: `${dir}/x.json`, passphrase: "pw" }),
      /privateKey must be 32 bytes/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("unlockKeystore() says which file is missing", async () => {
  await assert.rejects(
    unlockKeystore({ path: "/nonexistent/key.json", passphrase: "pw" }),
    (e: unknown) => e instanceof KeystoreFormatError && e.message.includes("/nonexistent/key.json"),
  );
});
