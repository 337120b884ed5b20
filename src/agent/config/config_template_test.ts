import assert from "node:assert/strict";
import { renderConfigTemplate } from "./config_template.ts";
import { parseConfig } from "./parse_config.ts";

Deno.test("renderConfigTemplate() with defaults is exactly config.example.yaml", async () => {
  const example = await Deno.readTextFile(new URL("../../../config.example.yaml", import.meta.url));
  assert.equal(renderConfigTemplate(), example);
});

Deno.test("renderConfigTemplate() output with an env passphrase parses", () => {
  const text = renderConfigTemplate({
    keystorePath: "/var/lib/sonm/key.json",
    passphrase: { from: "env", name: "RIG_PASS" },
  });
  const config = parseConfig(text, { file: "/etc/sonm/rig.yaml" });
  assert.equal(config.keystore.path, "/var/lib/sonm/key.json");
  assert.deepEqual(config.keystore.passphrase, { from: "env", name: "RIG_PASS" });
});
