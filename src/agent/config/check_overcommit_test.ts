import assert from "node:assert/strict";
import { checkOvercommit } from "./check_overcommit.ts";
import type { PlanConfig } from "./config.ts";

function plan(name: string, cpuCores: number, ramBytes: number, gpus: number[] = []): PlanConfig {
  return {
    name,
    priceUsdPerHour: "1",
    duration: "spot",
    resources: {
      cpuCores,
      ramBytes,
      storageBytes: 0,
      gpus,
      net: { overlay: false, outbound: true, incoming: false },
    },
    identityLevel: 0,
    counterparty: undefined,
    blacklist: undefined,
    tag: "",
  };
}
const GIB = 2 ** 30;

Deno.test("checkOvercommit() accepts plans that fit the rig exactly", () => {
  const plans = [plan("a", 2, 4 * GIB, [0]), plan("b", 2, 4 * GIB, [1])];
  assert.deepEqual(checkOvercommit(plans, { cpuThreads: 4, ramBytes: 8 * GIB }), []);
});

Deno.test("checkOvercommit() names the plans selling one GPU twice, too many cores or RAM", () => {
  const plans = [plan("a", 3, 6 * GIB, [0, 1]), plan("b", 2, 4 * GIB, [1]), plan("c", 0.5, GIB)];
  const messages = checkOvercommit(plans, { cpuThreads: 4, ramBytes: 8 * GIB }).map((p) =>
    p.message
  );
  assert.equal(messages.length, 3);
  assert.match(messages[0]!, /GPU 1 is sold by plans "a" and "b"/);
  assert.match(
    messages[1]!,
    /plans "a", "b" and "c" sell 5.5 CPU cores in total, but the rig has 4/,
  );
  assert.match(messages[2]!, /sell 11811160064 bytes of RAM in total, but the rig has 8589934592/);
});

Deno.test("checkConfig() refuses a config whose plans overcommit the rig, naming them", async () => {
  const { checkConfig } = await import("../commands/check_config.ts");
  const { ConfigError } = await import("../base/errors.ts");
  const dir = await Deno.makeTempDir({ prefix: "workloads-overcommit-" });
  try {
    const file = `${dir}/rig.yaml`;
    await Deno.writeTextFile(
      file,
      `chain: devnet
keystore: { path: k.json, passphrase_env: P }
plans:
  - { name: gpu-a, price_usd_per_hour: "1", resources: { cpu_cores: 2, ram: 4GiB, gpus: [0] } }
  - { name: gpu-b, price_usd_per_hour: "1", resources: { cpu_cores: 2, ram: 4GiB, gpus: [0, 1] } }
`,
    );
    await assert.rejects(
      () => checkConfig(file, { gpuIndexes: [0, 1], rig: { cpuThreads: 4, ramBytes: 16 * GIB } }),
      (e) =>
        e instanceof ConfigError && e.problems.length === 1 &&
        /GPU 0 is sold by plans "gpu-a" and "gpu-b"/.test(e.problems[0]!.message),
    );
    await Deno.writeTextFile(
      file,
      (await Deno.readTextFile(file)).replace("gpus: [0, 1]", "gpus: [1]"),
    );
    const summary = await checkConfig(file, {
      gpuIndexes: [0, 1],
      rig: { cpuThreads: 4, ramBytes: 16 * GIB },
    });
    assert.equal(summary.plans.length, 2);
    await assert.rejects(
      () => checkConfig(file, { gpuIndexes: [0, 1], rig: { cpuThreads: 3, ramBytes: 16 * GIB } }),
      /problem/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
