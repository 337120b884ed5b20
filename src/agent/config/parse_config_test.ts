import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError, formatConfigProblem } from "../base/errors.ts";
import { type AgentConfig, configSchema } from "./config.ts";
import { parseConfig } from "./parse_config.ts";

const MINIMAL = `
chain: devnet
keystore: { path: k.json, passphrase_env: SONM_PASS }
`;

const CONTRACTS = `  contracts:
${
  ["market", "token", "oracle", "blacklist", "profiles"].map((name, i) =>
    `    ${name}: "0x${String(i + 1).repeat(40)}"\n`
  ).join("")
}`;

function problemsOf(text: string, options: { gpuIndexes?: number[] } = {}): string[] {
  try {
    parseConfig(text, { file: "/rig/rig.yaml", ...options });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    return error.problems.map(formatConfigProblem);
  }
  assert.fail("expected the config to be refused");
}

Deno.test("parseConfig() accepts config.example.yaml with its documented defaults", async () => {
  const text = await Deno.readTextFile(new URL("../../../config.example.yaml", import.meta.url));
  const config = parseConfig(text, { file: "/srv/rig/rig.yaml", gpuIndexes: [] });
  assert.deepEqual(config.chain, { kind: "devnet" });
  assert.equal(config.dataDir, "/srv/rig/.data");
  assert.deepEqual(config.keystore.passphrase, {
    from: "file",
    path: "/srv/rig/.data/keystore.pass",
  });
  assert.equal(config.plans.length, 1);
  const plan = config.plans[0]!;
  assert.equal(plan.priceUsdPerHour, "0.05");
  assert.equal(plan.duration, "spot");
  assert.equal(plan.resources.ramBytes, 1024 ** 3);
  assert.deepEqual(plan.resources.net, { overlay: false, outbound: true, incoming: false });
  assert.equal(config.dashboard.bind, "127.0.0.1");
  assert.equal(config.dashboard.port, 9337);
  assert.equal(config.docker.defaultLimits.pids, 256);
  assert.equal(config.power.pricePerKwh, "0.12");
});

Deno.test("parseConfig() fills defaults for a minimal config", () => {
  const config = parseConfig(MINIMAL, { file: "/rig/rig.yaml" });
  assert.equal(config.dataDir, "/rig/.data");
  assert.deepEqual(config.keystore.passphrase, { from: "env", name: "SONM_PASS" });
  assert.deepEqual(config.plans, []);
  assert.equal(config.docker.socket, "/var/run/docker.sock");
  assert.equal(config.logging.level, "info");
});

Deno.test("parseConfig() parses an RPC chain, durations and sizes", () => {
  const config = parseConfig(
    `
chain:
  rpc_url: http://127.0.0.1:8545
  chain_id: 31337
${CONTRACTS}keystore: { path: /abs/k.json, passphrase_file: pass.txt }
plans:
  - name: gpu-a
    price_usd_per_hour: 1.5
    duration: 8h
    resources: { cpu_cores: 4, ram: 512MiB, storage: 1TB, gpus: [0, 1] }
`,
    { file: "/rig/rig.yaml", gpuIndexes: [0, 1] },
  );
  assert.equal(config.chain.kind, "rpc");
  if (config.chain.kind === "rpc") assert.equal(config.chain.chainId, 31337);
  assert.equal(config.keystore.path, "/abs/k.json");
  const plan = config.plans[0]!;
  assert.equal(plan.duration, 8 * 3600);
  assert.equal(plan.priceUsdPerHour, "1.5");
  assert.equal(plan.resources.ramBytes, 512 * 1024 ** 2);
  assert.equal(plan.resources.storageBytes, 1e12);
});

Deno.test("parseConfig() names the field and value of a wrong type", () => {
  const problems = problemsOf(MINIMAL + 'dashboard: { port: "eighty" }\n');
  assert.deepEqual(problems, ['dashboard.port: must be a number (got "eighty")']);
});

Deno.test("parseConfig() refuses unknown keys instead of ignoring a typo", () => {
  const problems = problemsOf(
    MINIMAL + "dashbord: { port: 80 }\nlogging: { levle: debug }\n",
  );
  assert.equal(problems.length, 2);
  problems.sort();
  assert.match(problems[0]!, /^dashbord: is not a known setting .*\(got \{"port":80\}\)$/);
  assert.match(problems[1]!, /^logging\.levle: is not a known setting .*\(got "debug"\)$/);
});

Deno.test("parseConfig() refuses a negative price and names the plan's field", () => {
  const problems = problemsOf(
    MINIMAL +
      `plans:\n  - name: a\n    price_usd_per_hour: -0.5\n    resources: { cpu_cores: 1, ram: 1GiB }\n`,
  );
  assert.deepEqual(problems, ["plans[0].price_usd_per_hour: must not be negative (got -0.5)"]);
});

Deno.test("parseConfig() refuses a GPU index the rig does not have", () => {
  const text = MINIMAL +
    `plans:\n  - name: a\n    price_usd_per_hour: "1"\n    resources: { cpu_cores: 1, ram: 1GiB, gpus: [0, 3] }\n`;
  assert.deepEqual(problemsOf(text, { gpuIndexes: [0, 1] }), [
    "plans[0].resources.gpus[1]: is not a GPU of this rig: the rig has GPU indexes 0, 1 (got 3)",
  ]);
  assert.deepEqual(problemsOf(text, { gpuIndexes: [] }), [
    "plans[0].resources.gpus[0]: is not a GPU of this rig: the rig has no GPU (got 0)",
    "plans[0].resources.gpus[1]: is not a GPU of this rig: the rig has no GPU (got 3)",
  ]);
});

Deno.test("parseConfig() refuses a non-loopback dashboard without allow_remote", () => {
  const problems = problemsOf(MINIMAL + "dashboard: { bind: 0.0.0.0 }\n");
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /^dashboard\.bind: is not a loopback address.*\(got "0\.0\.0\.0"\)$/);
  const config = parseConfig(MINIMAL + "dashboard: { bind: 0.0.0.0, allow_remote: true }\n");
  assert.equal(config.dashboard.bind, "0.0.0.0");
});

Deno.test("parseConfig() reports every problem at once, with missing fields", () => {
  const problems = problemsOf(
    "keystore: { path: k.json }\nplans:\n  - name: Bad Name\n    price_usd_per_hour: abc\n",
  );
  assert.ok(problems.includes("chain: is required"), problems.join("\n"));
  assert.ok(
    problems.some((p) => p.startsWith("keystore: must name exactly one passphrase source")),
  );
  assert.ok(problems.some((p) => p.startsWith("plans[0].name: must be 1-63 of")));
  assert.ok(problems.some((p) => p.startsWith("plans[0].price_usd_per_hour: must be a decimal")));
  assert.ok(problems.includes("plans[0].resources: is required"));
});

Deno.test("parseConfig() reports YAML syntax errors with their line", () => {
  const problems = problemsOf("chain: devnet\nkeystore: [unclosed\n");
  assert.equal(problems.length >= 1, true);
  assert.match(problems[0]!, /^line \d+, column \d+: is not valid YAML/);
});

Deno.test("parseConfig() refuses duplicate plan names and malformed addresses", () => {
  const plan =
    `  - name: a\n    price_usd_per_hour: "1"\n    resources: { cpu_cores: 1, ram: 1GiB }\n`;
  const problems = problemsOf(MINIMAL + "master: 0x1234\nplans:\n" + plan + plan);
  assert.deepEqual(problems, [
    'master: must be a 0x-prefixed 20-byte hex address (got "0x1234")',
  ]);
  assert.deepEqual(problemsOf(MINIMAL + "plans:\n" + plan + plan), [
    'plans[1].name: is used by another plan (got "a")',
  ]);
});

Deno.test("configSchema is the one definition: it outputs the typed camelCase config", () => {
  const config: AgentConfig = configSchema.parse({
    chain: devnetFree(),
    keystore: { path: "k.json", passphrase_file: "pass" },
    docker: { default_limits: { cpus: 2 } },
    plans: [{ name: "a", price_usd_per_hour: "1", resources: { cpu_cores: 1, ram: "1GiB" } }],
  });
  assert.deepEqual(config.chain, { kind: "devnet" });
  assert.deepEqual(config.keystore, { path: "k.json", passphrase: { from: "file", path: "pass" } });
  // Defaults of a partly written object come from its fields (written once).
  assert.deepEqual(config.docker.defaultLimits, { cpus: 2, memoryBytes: 1024 ** 3, pids: 256 });
  assert.deepEqual(config.nat, { relays: [], listenPorts: { tcp: 0, quic: 0 } });
  assert.deepEqual(config.plans[0]!.resources, {
    cpuCores: 1,
    ramBytes: 1024 ** 3,
    storageBytes: 0,
    gpus: [],
    net: { overlay: false, outbound: true, incoming: false },
  });
  assert.equal(config.plans[0]!.identityLevel, 0);
  assert.equal(config.dashboard.allowRemote, false);
  assert.equal(config.power.pricePerKwh, "0");
});

function devnetFree(): "devnet" {
  return "devnet";
}

Deno.test("parseConfig() refuses chain.ws_url as not supported yet", () => {
  const problems = problemsOf(`
chain:
  rpc_url: http://127.0.0.1:8545
  ws_url: ws://127.0.0.1:8546
  chain_id: 31337
${CONTRACTS}keystore: { path: k.json, passphrase_env: P }
`);
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(
    problems[0]!,
    /^chain\.ws_url: is not supported yet: .*\(got "ws:\/\/127\.0\.0\.1:8546"\)$/,
  );
});

Deno.test("parseConfig() normalises addresses to lower case at the edge", () => {
  const config = parseConfig(MINIMAL + `master: "0x${"AbCd".repeat(10)}"\n`);
  assert.equal(config.master, `0x${"abcd".repeat(10)}`);
});

Deno.test("parseConfig() reports a self-referencing YAML alias without crashing", () => {
  const problems = problemsOf(MINIMAL + "data_dir: &a [*a]\n");
  assert.deepEqual(problems, ["data_dir: must be a string (got [[Circular]])"]);
});

Deno.test("parseConfig() refuses an alias with no anchor and an alias bomb as YAML problems", () => {
  assert.deepEqual(problemsOf(MINIMAL + "data_dir: *nope\n"), [
    "(yaml): cannot be read: Unresolved alias (the anchor must be set before the alias): nope",
  ]);
  const bomb = ["a: &a [x,x,x,x,x,x,x,x,x]"];
  for (const [name, prev] of [["b", "a"], ["c", "b"], ["d", "c"]]) {
    bomb.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(",")}]`);
  }
  const problems = problemsOf(MINIMAL + bomb.join("\n") + "\n");
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /^\(yaml\): cannot be read: Excessive alias count/);
});

Deno.test("parseConfig() names the field inside a union: chain.chain_id, not chain", () => {
  const problems = problemsOf(`
chain:
  rpc_url: http://127.0.0.1:8545
  chain_id: 1.5
${CONTRACTS}keystore: { path: k.json, passphrase_env: P }
`);
  assert.deepEqual(problems, ["chain.chain_id: must be a whole number (got 1.5)"]);
  assert.deepEqual(problemsOf(MINIMAL.replace("chain: devnet", "chain: mainnet")), [
    'chain: must be "devnet" or a mapping with rpc_url, chain_id and contracts (got "mainnet")',
  ]);
});

Deno.test("parseConfig() names an empty key as such, not as the top level", () => {
  const problems = problemsOf(MINIMAL + '"": 1\n');
  assert.deepEqual(problems, [
    '[""]: is not a known setting (check the spelling against config.example.yaml) (got 1)',
  ]);
});

Deno.test("parseConfig() reports deep nesting and huge files as bounded problems", () => {
  const deep = problemsOf(
    MINIMAL + "data_dir: " + "[".repeat(100_001) + "]".repeat(100_001) + "\n",
  );
  assert.match(deep.join("\n"), /^line 4: nests \[ and { deeper than 64 levels/);
  const closing = problemsOf(MINIMAL + "# " + "[".repeat(1000) + "\n" + "]".repeat(100_001) + "\n");
  assert.match(closing.join("\n"), /^line 5: .* or closes more than it opened$/);
  // Brackets inside quotes and comments are text, not nesting.
  const config = parseConfig(MINIMAL + `data_dir: "${"[".repeat(100)}" # ${"{".repeat(100)}\n`);
  assert.equal(config.dataDir, join(Deno.cwd(), "[".repeat(100)));
  const huge = problemsOf(MINIMAL + `tag: "${"x".repeat(2 * 1024 * 1024)}"\n`);
  assert.deepEqual(huge, ["(file): is larger than 262144 bytes: not a config file"]);
});
