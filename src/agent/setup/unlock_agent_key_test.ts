import assert from "node:assert/strict";
import { join } from "node:path";
import { importPrivateKey } from "../../chain/mod.ts";
import { createLogger } from "../base/logger.ts";
import { unlockAgentKey } from "./unlock_agent_key.ts";

const KEY = "0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";

Deno.test("unlockAgentKey() logs 'unlocking the keystore' with the KDF settings first", async () => {
  const dir = await Deno.makeTempDir({ prefix: "review-unlock-" });
  try {
    const path = join(dir, "k.json");
    const pass = "correct horse battery";
    await importPrivateKey({
      privateKey: KEY,
      path,
      passphrase: pass,
      kdf: { kdf: "scrypt", n: 1024, r: 8, p: 1 },
    });
    const lines: string[] = [];
    const logger = createLogger({ format: "json", write: (l) => lines.push(l) });
    const account = await unlockAgentKey(
      { path, passphrase: { from: "env", name: "PASS" } },
      { logger, env: { get: () => pass } },
    );
    assert.equal(account.address, "0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b");
    const records = lines.map((l) => JSON.parse(l));
    assert.deepEqual(records.map((r) => r.msg), ["unlocking the keystore", "keystore unlocked"]);
    assert.deepEqual(
      {
        kdf: records[0].kdf,
        n: records[0].n,
        r: records[0].r,
        p: records[0].p,
        path: records[0].path,
      },
      { kdf: "scrypt", n: 1024, r: 8, p: 1, path },
    );
    const all = lines.join("\n");
    assert.ok(!all.includes(pass) && !all.includes(KEY.slice(2, 18)), all);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
