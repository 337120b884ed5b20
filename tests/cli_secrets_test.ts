/**
 * Keys and passphrases never reach the terminal: a real `sonm-agent -v run`
 * whose `keystore.path` points at the passphrase file, or at a raw key file,
 * prints the cause chain without quoting either file's content.
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";

const ROOT = resolve(new URL(".", import.meta.url).pathname, "..");
const KEY = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";

async function run(args: string[]): Promise<{ code: number; output: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "main.ts"), ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: out.code, output: d.decode(out.stdout) + d.decode(out.stderr) };
}

Deno.test("sonm-agent -v never quotes a passphrase or key file given as the keystore", async () => {
  const dir = await Deno.makeTempDir({ prefix: "review-secrets-" });
  try {
    const pass = join(dir, "keystore.pass");
    await Deno.writeTextFile(pass, "hunter2\n", { mode: 0o600 });
    const rawKey = join(dir, "raw.key");
    await Deno.writeTextFile(rawKey, `0x${KEY}\n`, { mode: 0o600 });
    for (const keystore of [pass, rawKey]) {
      const config = join(dir, "rig.yaml");
      await Deno.writeTextFile(
        config,
        `chain: devnet\ndata_dir: ./data\nkeystore: { path: ${keystore}, passphrase_file: ${pass} }\n`,
      );
      const r = await run(["-v", "--log-format", "json", "run", "--config", config]);
      // a keystore file that is no keystore is bad input (README: exit codes), exit 2
      assert.equal(r.code, 2, r.output);
      assert.match(r.output, /error: KeystoreFormatError: Cannot read keystore .*: not valid JSON/);
      assert.ok(!r.output.includes("hunter2"), r.output);
      assert.ok(!r.output.includes(KEY.slice(0, 16)), r.output);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
