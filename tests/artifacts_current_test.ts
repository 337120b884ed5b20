import assert from "node:assert/strict";

Deno.test("compile_contracts --check finds the committed artifacts current", async () => {
  const script = new URL("../scripts/compile_contracts.ts", import.meta.url);
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script.href, "--check"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  assert.equal(code, 0, text);
  assert.match(text, /Contract artifacts are current \(6 files\)/);
});
