import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError, formatConfigProblem } from "../base/mod.ts";
import { loadClientConfig, parseClientConfig } from "./client_config.ts";
import { renderClientConfigTemplate } from "./client_config_template.ts";
import { writeDevnetFile } from "./devnet_file.ts";

const MARKET = "0x00000000000000000000000000000000000000a1";

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems.map(formatConfigProblem);
  }
  assert.fail("no ConfigError");
}

Deno.test("parseClientConfig() names every bad field and its value", () => {
  const problems = problemsOf(() =>
    parseClientConfig(
      [
        "chain:",
        "  rpc_url: ftp://x",
        "  chain_id: -3",
        '  contracts: { market: "0x12" }',
        "keystore: { path: k.json, passphrase_file: k.pass, passphrase_prompt: true }",
        'relays: ["/ip4/1.2.3.4/tcp/4001"]',
        "colour: blue",
      ].join("\n"),
      { file: "/c/client.yaml" },
    )
  );
  assert.deepEqual(problems, [
    'chain.rpc_url: must be an http(s) URL (got "ftp://x")',
    "chain.chain_id: must be a positive chain id (got -3)",
    'chain.contracts.market: must be a 0x-prefixed 20-byte hex address (got "0x12")',
    'keystore: must name exactly one passphrase source: passphrase_file or passphrase_prompt: true (got {"path":"k.json","passphrase_file":"k.pass","passphrase_p...)',
    'relays[0]: must end with /p2p/<relay peer id> (got "/ip4/1.2.3.4/tcp/4001")',
    'colour: is not a known setting (check the spelling against the client.yaml that `sonm-agent client init` writes) (got "blue")',
  ]);
});

Deno.test("parseClientConfig() reads an RPC chain with only the market, and the prompt source", () => {
  const config = parseClientConfig(
    [
      "chain:",
      "  rpc_url: https://rpc.example.org",
      "  chain_id: 444",
      "  from_block: 12",
      `  contracts: { market: "${MARKET.toUpperCase().replace("0X", "0x")}" }`,
      "keystore: { path: /keys/me.json, passphrase_prompt: true }",
    ].join("\n"),
    { file: "/c/client.yaml" },
  );
  assert.deepEqual(config.chain, {
    rpcUrl: "https://rpc.example.org",
    chainId: 444,
    fromBlock: 12n,
    contracts: { market: MARKET },
  });
  assert.deepEqual(config.keystore, { path: "/keys/me.json", passphrase: { from: "prompt" } });
  assert.equal(config.dataDir, "/c/.sonm-client");
});

Deno.test("loadClientConfig() resolves chain.devnet from the devnet file, or says none runs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const rigData = join(dir, "rig", ".data");
    const file = join(dir, "buyer", "client.yaml");
    await Deno.mkdir(join(dir, "buyer"));
    await Deno.writeTextFile(
      file,
      renderClientConfigTemplate({ chain: { devnet: "../rig/.data" } }),
    );
    await assert.rejects(() => loadClientConfig(file), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(
        formatConfigProblem(error.problems[0]!),
        `chain.devnet: names no running devnet: the folder has no devnet.json (got "${rigData}")`,
      );
      return true;
    });
    const contracts = {
      market: MARKET,
      token: MARKET,
      oracle: MARKET,
      blacklist: MARKET,
      profiles: MARKET,
    } as const;
    await writeDevnetFile(rigData, {
      rpcUrl: "http://127.0.0.1:1234",
      chainId: 31337,
      contracts,
      pid: 1,
    });
    const config = await loadClientConfig(file);
    assert.deepEqual(config.chain, {
      rpcUrl: "http://127.0.0.1:1234",
      chainId: 31337,
      fromBlock: 0n,
      contracts,
      devnet: { dataDir: rigData },
    });
    assert.deepEqual(config.keystore.passphrase, {
      from: "file",
      path: join(dir, "buyer", "keystore.pass"),
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadClientConfig() refuses a file too large to be a config without reading it whole", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "client.yaml");
    await Deno.writeTextFile(file, "#".repeat(65 * 1024));
    await assert.rejects(() => loadClientConfig(file), /1 problem found/);
    await assert.rejects(
      () => loadClientConfig(file),
      (e: unknown) =>
        e instanceof ConfigError && /larger than 65536 bytes/.test(e.problems[0]!.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
