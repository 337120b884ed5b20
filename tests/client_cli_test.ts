/**
 * The consumer's CLI without a market: `client init` (new, kept, imported
 * keys; passphrase file or prompt), and the refusals that need no chain: a
 * bad client.yaml or BID file names the field (exit 2), `devnet` commands
 * refuse a chain that is not a local devnet, a task command without `--rig`.
 * Real `sonm-agent` processes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import { runCli } from "./_fixtures/agent_cli.ts";

const KEY = "0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";
const MARKET = `0x${"1".repeat(40)}`;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sonm-client-cli-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("client init writes client.yaml and a keystore, keeps it on --force, and refuses to overwrite", async () => {
  await withDir(async (dir) => {
    const config = join(dir, "client.yaml");
    const first = await runCli([
      "client",
      "init",
      "--config",
      config,
      "--devnet",
      "../rig/.data",
      "--json",
    ]);
    assert.equal(first.code, 0, first.stderr);
    const made = JSON.parse(first.stdout);
    assert.equal(made.keystore, "created");
    for (const name of ["client.yaml", "keystore.json", "keystore.pass"]) {
      assert.equal((await Deno.stat(join(dir, name))).mode! & 0o777, 0o600, name);
    }
    const text = await Deno.readTextFile(config);
    assert.match(text, /^ {2}devnet: \.\.\/rig\/\.data$/m);
    assert.match(text, /^ {2}passphrase_file: \.\/keystore\.pass/m);

    const again = await runCli(["client", "init", "--config", config]);
    assert.equal(again.code, 2, again.stderr);
    assert.match(again.stderr, /already exists/);
    const forced = await runCli(["client", "init", "--config", config, "--force", "--json"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(
      [JSON.parse(forced.stdout).keystore, JSON.parse(forced.stdout).address],
      ["kept", made.address],
    );
  });
});

Deno.test("client init imports a hex key, and a keystore with its passphrase on stdin", async () => {
  await withDir(async (dir) => {
    const address = privateKeyToAccount(KEY).address;
    await Deno.writeTextFile(join(dir, "key.hex"), `${KEY}\n`, { mode: 0o600 });
    const hex = await runCli([
      "client",
      "init",
      "--config",
      join(dir, "a", "client.yaml"),
      "--rpc-url",
      "http://127.0.0.1:8545",
      "--chain-id",
      "444",
      "--market",
      MARKET,
      "--import-key",
      join(dir, "key.hex"),
      "--passphrase-prompt",
      "--json",
    ], { stdin: "first pass\n" });
    assert.equal(hex.code, 0, hex.stderr);
    assert.deepEqual([JSON.parse(hex.stdout).keystore, JSON.parse(hex.stdout).address], [
      "imported",
      address,
    ]);
    assert.doesNotMatch(
      hex.stdout + hex.stderr,
      new RegExp(KEY.slice(2, 20)),
      "the key is never echoed",
    );
    const written = await Deno.readTextFile(join(dir, "a", "client.yaml"));
    assert.match(written, /^ {2}chain_id: 444$/m);
    assert.match(written, /^ {2}passphrase_prompt: true/m);

    // a keystore is kept as it is: it must open with the passphrase given
    const keystore = join(dir, "a", "keystore.json");
    const wrong = await runCli(
      [
        "client",
        "init",
        "--config",
        join(dir, "b", "client.yaml"),
        "--import-key",
        keystore,
        "--passphrase-prompt",
      ],
      { stdin: "not it\n" },
    );
    assert.equal(wrong.code, 1, wrong.stderr);
    assert.match(wrong.stderr, /KeystorePassphraseError/);
    const noPass = await runCli([
      "client",
      "init",
      "--config",
      join(dir, "b", "client.yaml"),
      "--import-key",
      keystore,
    ]);
    assert.equal(noPass.code, 2, noPass.stderr);
    assert.match(noPass.stderr, /is a keystore: its passphrase is needed/);
    const right = await runCli(
      [
        "client",
        "init",
        "--config",
        join(dir, "b", "client.yaml"),
        "--import-key",
        keystore,
        "--passphrase-prompt",
        "--json",
      ],
      { stdin: "first pass\n" },
    );
    assert.equal(right.code, 0, right.stderr);
    assert.equal(JSON.parse(right.stdout).address, address);
    assert.equal(
      await Deno.readTextFile(join(dir, "b", "keystore.json")),
      await Deno.readTextFile(keystore),
    );

    await Deno.writeTextFile(join(dir, "junk"), "hello");
    const junk = await runCli([
      "client",
      "init",
      "--config",
      join(dir, "c", "client.yaml"),
      "--import-key",
      join(dir, "junk"),
    ]);
    assert.equal(junk.code, 2, junk.stderr);
    assert.match(
      junk.stderr,
      /neither a private key \(64 hex digits\) nor a Web3 Secret Storage keystore/,
    );
  });
});

Deno.test("client commands name the bad field and value of client.yaml and of a BID file, exit 2", async () => {
  await withDir(async (dir) => {
    const config = join(dir, "client.yaml");
    await Deno.writeTextFile(
      config,
      `chain: { rpc_url: "http://127.0.0.1:1", chain_id: 0, contracts: { market: "${MARKET}" } }\nkeystore: { path: k.json, passphrase_file: k.pass }\n`,
    );
    const orders = await runCli(["client", "orders", "--config", config]);
    assert.equal(orders.code, 2, orders.stderr);
    assert.match(orders.stderr, /chain\.chain_id: must be a positive chain id \(got 0\)/);

    const good = await runCli(["client", "init", "--config", join(dir, "ok", "client.yaml")]);
    assert.equal(good.code, 0, good.stderr);
    await Deno.writeTextFile(
      join(dir, "bid.yaml"),
      'price_usd_per_hour: "0.4"\nresources: { ram: lots }\n',
    );
    const bid = await runCli([
      "client",
      "bid",
      join(dir, "bid.yaml"),
      "--config",
      join(dir, "ok", "client.yaml"),
    ]);
    assert.equal(bid.code, 2, bid.stderr);
    assert.match(
      bid.stderr,
      /resources\.ram: must be a size like 512MiB, 4GiB or a number of bytes \(got "lots"\)/,
    );

    const missing = await runCli(["client", "deals", "--config", join(dir, "none.yaml")]);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /does not exist/);
    assert.match(missing.stderr, /sonm-agent client init/);
  });
});

Deno.test("devnet advance and fund refuse a chain that is not a local devnet, before any request", async () => {
  await withDir(async (dir) => {
    const config = join(dir, "client.yaml");
    const init = await runCli([
      "client",
      "init",
      "--config",
      config,
      "--rpc-url",
      "https://rpc.example.org",
      "--chain-id",
      "444",
      "--market",
      MARKET,
    ]);
    assert.equal(init.code, 0, init.stderr);
    for (const args of [["devnet", "advance", "--hours", "2"], ["devnet", "fund"]]) {
      const r = await runCli([...args, "--config", config]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(
        r.stderr,
        /trades on https:\/\/rpc\.example\.org \(chain 444\), not on a local devnet/,
      );
    }
    const noDevnet = await runCli(["devnet", "advance", "--hours", "1", "--data-dir", dir]);
    assert.equal(noDevnet.code, 2, noDevnet.stderr);
    assert.match(noDevnet.stderr, /has no devnet\.json: no devnet runs there/);
  });
});

Deno.test("client task commands on a devnet that is not running say which and how to start it, exit 2", async () => {
  await withDir(async (dir) => {
    const config = join(dir, "client.yaml");
    assert.equal((await runCli(["client", "init", "--config", config])).code, 0);
    const r = await runCli(["client", "status", "--config", config, "--deal", "1"]);
    assert.equal(r.code, 2, r.stderr);
    // the rig is found from the deal on chain: without the chain nothing can be looked up
    assert.match(
      r.stderr,
      /chain\.devnet: names no running devnet: the folder has no devnet\.json/,
    );
    assert.match(r.stderr, /hint: Start the rig's agent on chain: devnet/);
  });
});
