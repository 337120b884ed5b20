import assert from "node:assert/strict";
import { ConfigError, formatConfigProblem } from "../base/errors.ts";
import { parseConfig } from "./parse_config.ts";

const HEAD = `
chain: devnet
keystore: { path: k.json, passphrase_env: SONM_PASS }
power: { load_watts: 350, price_per_kwh: "0.21" }
plans:
`;

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, { gpuIndexes: [] });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    return error.problems.map(formatConfigProblem);
  }
  assert.fail("expected the config to be refused");
}

Deno.test("parseConfig() reads price_usd_per_hour: auto with its auto_price block, camelCase", () => {
  const config = parseConfig(
    HEAD + `  - name: gpu
    price_usd_per_hour: auto
    auto_price: { target_quantile: 0.75, min_interval: 15m, max_step_percent: 5 }
    resources: { cpu_cores: 2, ram: 4GiB }
  - name: cpu
    price_usd_per_hour: auto
    resources: { cpu_cores: 1, ram: 1GiB }
`,
    { gpuIndexes: [] },
  );
  const [gpu, cpu] = config.plans;
  assert.equal(gpu?.priceUsdPerHour, "auto");
  assert.deepEqual(gpu?.autoPrice, {
    targetQuantile: 0.75,
    minIntervalSeconds: 900,
    maxStepPercent: 5,
  });
  assert.equal(cpu?.priceUsdPerHour, "auto");
  assert.equal(cpu?.autoPrice, undefined, "the defaults of auto_price.ts apply");
  assert.deepEqual(config.power, { idleWatts: 0, loadWatts: 350, pricePerKwh: "0.21" });
});

Deno.test("parseConfig() refuses auto_price on a fixed price and bad auto_price values, naming each", () => {
  const fixed = problemsOf(
    HEAD + `  - name: cpu
    price_usd_per_hour: "0.30"
    auto_price: { target_quantile: 0.5 }
    resources: { cpu_cores: 1, ram: 1GiB }
`,
  );
  assert.ok(
    fixed.some((p) => p.includes("plans[0].auto_price") && p.includes('"auto"')),
    fixed.join("\n"),
  );
  const bad = problemsOf(
    HEAD + `  - name: cpu
    price_usd_per_hour: auto
    auto_price: { target_quantile: 0, min_interval: soon, max_step_percent: 150 }
    resources: { cpu_cores: 1, ram: 1GiB }
`,
  );
  const text = bad.join("\n");
  assert.match(text, /plans\[0\]\.auto_price\.target_quantile/);
  assert.match(text, /plans\[0\]\.auto_price\.min_interval/);
  assert.match(text, /plans\[0\]\.auto_price\.max_step_percent/);
});

Deno.test("parseConfig() still names a bad fixed price", () => {
  const problems = problemsOf(
    HEAD + `  - name: cpu
    price_usd_per_hour: "cheap"
    resources: { cpu_cores: 1, ram: 1GiB }
`,
  );
  assert.ok(problems.some((p) => p.includes("plans[0].price_usd_per_hour")), problems.join("\n"));
});
