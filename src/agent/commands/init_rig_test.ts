import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError } from "../base/errors.ts";
import { initRig } from "./init_rig.ts";
import { createLogger } from "../base/logger.ts";

const quiet = createLogger({ write: () => {} });

Deno.test("initRig() refuses an existing empty passphrase file, as run does", async () => {
  const dir = await Deno.makeTempDir({ prefix: "review-init-" });
  try {
    const passFile = join(dir, "keystore.pass");
    await Deno.writeTextFile(passFile, "\n", { mode: 0o600 });
    const error = await initRig({ configPath: join(dir, "rig.yaml"), logger: quiet })
      .catch((e) => e);
    assert.ok(error instanceof ConfigError, String(error));
    assert.deepEqual(error.problems, [
      { path: "--passphrase-file", message: "is empty", value: passFile },
    ]);
    // Nothing was written: no keystore under an empty passphrase, no config.
    const names = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.deepEqual(names, ["keystore.pass"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("initRig() refuses an unset passphrase variable, naming the flag", async () => {
  const dir = await Deno.makeTempDir({ prefix: "review-init-" });
  try {
    const error = await initRig({
      configPath: join(dir, "rig.yaml"),
      passphraseEnv: "REVIEW_SURELY_UNSET_PASS",
      logger: quiet,
    }).catch((e) => e);
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.problems[0]?.path, "--passphrase-env");
    assert.equal(error.badInput, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
