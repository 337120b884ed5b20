/**
 * The sonm-agent CLI as a person runs it: a real process, real files, a real
 * devnet (anvil + contracts), real signals.
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { spawnCliAgent } from "./_fixtures/agent_cli.ts";

const ROOT = resolve(new URL(".", import.meta.url).pathname, "..");
const MAIN = join(ROOT, "main.ts");

type Result = { code: number; stdout: string; stderr: string };

async function cli(args: string[], env: Record<string, string> = {}): Promise<Result> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "sonm-cli-" });
}

/** A real `sonm-agent --config FILE --log-format json` process (run implied) and its log lines. */
const spawnAgent = (file: string) => spawnCliAgent(["--config", file, "--log-format", "json"]);

Deno.test("sonm-agent --help exits 0 and lists the subcommands", async () => {
  const r = await cli(["--help"]);
  assert.equal(r.code, 0, r.stderr);
  for (const name of ["run", "config", "init"]) assert.match(r.stdout, new RegExp(`\\b${name}\\b`));
});

Deno.test("sonm-agent piped into a reader that closed early (| head) exits 0 without a trace", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "hardware", "--json"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await child.stdout.cancel(); // the reader is gone before the first write: EPIPE
  const [status, stderr] = await Promise.all([child.status, new Response(child.stderr).text()]);
  assert.equal(stderr, "");
  assert.equal(status.code, 0);
});

Deno.test("sonm-agent with an unknown flag exits 2", async () => {
  const r = await cli(["config", "check", "--config", "config.example.yaml", "--bogus"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option '--bogus'/);
});

Deno.test("sonm-agent with a missing required flag exits 2", async () => {
  const r = await cli(["config", "check"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--config/);
});

Deno.test("sonm-agent config check accepts config.example.yaml (text and --json)", async () => {
  const text = await cli(["config", "check", "--config", "config.example.yaml"]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /config\.example\.yaml: ok/);
  assert.match(text.stdout, /\n +PLAN +USD\/H +DURATION +GPUS\n +cpu-small +0\.05 +spot\n/);
  const json = await cli(["config", "check", "--config", "config.example.yaml", "--json"]);
  assert.equal(json.code, 0, json.stderr);
  const summary = JSON.parse(json.stdout);
  assert.equal(summary.ok, true);
  assert.equal(summary.chain, "devnet (embedded anvil)");
  assert.equal(summary.plans[0].name, "cpu-small");
});

Deno.test("sonm-agent config check on a bad config exits 2 and names each field and value", async () => {
  const dir = await tempDir();
  try {
    const file = join(dir, "rig.yaml");
    await Deno.writeTextFile(
      file,
      `chain: devnet
keystore: { path: k.json, passphrase_env: P }
dashboard: { bind: 0.0.0.0, prot: 80 }
plans:
  - name: a
    price_usd_per_hour: -1
    resources: { cpu_cores: 1, ram: 1GiB }
`,
    );
    const r = await cli(["config", "check", "--config", file]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /3 problems found/);
    assert.match(r.stderr, /dashboard\.prot: is not a known setting .*\(got 80\)/);
    assert.match(r.stderr, /plans\[0\]\.price_usd_per_hour: must not be negative \(got -1\)/);
    assert.match(r.stderr, /dashboard\.bind: is not a loopback address.*\(got "0\.0\.0\.0"\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sonm-agent config check on a missing file exits 2 with a hint", async () => {
  const r = await cli(["config", "check", "--config", "/nonexistent/rig.yaml"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /does not exist/);
  assert.match(r.stderr, /hint: .*sonm-agent init/);
});

Deno.test("sonm-agent init writes a config and keystore that config check accepts; no silent overwrite", async () => {
  const dir = await tempDir();
  try {
    const file = join(dir, "rig.yaml");
    const first = await cli(["init", "--config", file, "--json"]);
    assert.equal(first.code, 0, first.stderr);
    const result = JSON.parse(first.stdout);
    assert.match(result.address, /^0x[0-9a-fA-F]{40}$/);
    assert.equal(result.keystoreCreated, true);
    const keystore = JSON.parse(await Deno.readTextFile(join(dir, "keystore.json")));
    assert.equal(keystore.version, 3);
    assert.equal((await Deno.stat(join(dir, "keystore.pass"))).mode! & 0o077, 0);
    assert.ok(!first.stderr.includes(await Deno.readTextFile(join(dir, "keystore.pass"))));

    const check = await cli(["config", "check", "--config", file]);
    assert.equal(check.code, 0, check.stderr);

    const again = await cli(["init", "--config", file]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);

    const forced = await cli(["init", "--config", file, "--force", "--json"]);
    assert.equal(forced.code, 0, forced.stderr);
    const kept = JSON.parse(forced.stdout);
    assert.equal(kept.keystoreCreated, false);
    assert.equal(kept.address, result.address);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sonm-agent --config runs on the devnet, opens a deal with the demo BID, and stops anvil on SIGINT", async () => {
  const dir = await tempDir();
  try {
    const file = join(dir, "rig.yaml");
    const example = await Deno.readTextFile(join(ROOT, "config.example.yaml"));
    await Deno.writeTextFile(file, example.replace("port: 9337", "port: 0"));
    const agent = spawnAgent(file);
    const deal = await agent.waitFor("opened deal");
    const lines = agent.lines;
    // A newcomer sees the whole loop: ready, the plan's ASK, the demo BID, the deal.
    const messages = lines.map((l) => l.msg);
    for (
      const msg of ["agent is ready", "placed ASK", "demo consumer placed a BID for the first plan"]
    ) {
      assert.ok(messages.includes(msg), `missing log line "${msg}"`);
    }
    const bid = lines.find((l) => l.msg === "demo consumer placed a BID for the first plan")!;
    assert.equal(deal.bidId, bid.bidId);
    const devnet = lines.find((l) => l.msg === "devnet is up")!;
    assert.match(String(devnet.market), /^0x[0-9a-f]{40}$/i);
    assert.match(String(devnet.rpc), /^http:\/\/127\.0\.0\.1:\d+$/);
    const rpc = String(devnet.rpc);
    const answer = await fetch(rpc, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    });
    assert.equal((await answer.json()).result, "0x7a69");

    assert.equal(await agent.stop("SIGINT"), 0);
    await assert.rejects(
      fetch(rpc, { method: "POST", body: "{}" }).then((r) => r.body?.cancel()),
      "anvil still answers after the agent stopped",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sonm-agent config check refuses a plan naming a GPU this rig does not have", async () => {
  const dir = await tempDir();
  try {
    const file = join(dir, "rig.yaml");
    await Deno.writeTextFile(
      file,
      `chain: devnet
keystore: { path: k.json, passphrase_env: P }
plans:
  - name: gpu
    price_usd_per_hour: "1"
    resources: { cpu_cores: 1, ram: 1GiB, gpus: [99] }
`,
    );
    const r = await cli(["config", "check", "--config", file]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /plans\[0\]\.resources\.gpus\[0\]: is not a GPU of this rig: .*\(got 99\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sonm-agent run on an RPC whose chain id differs from the config exits 2 (a config problem) and says both ids", async () => {
  const { createKeystore, startAnvil } = await import("../src/chain/mod.ts");
  const dir = await tempDir();
  const anvil = await startAnvil({ port: 0 });
  try {
    await createKeystore({
      path: join(dir, "k.json"),
      passphrase: "pw",
      kdf: { kdf: "pbkdf2", c: 1000 },
    });
    await Deno.writeTextFile(join(dir, "pass"), "pw\n");
    const zero = "0x" + "0".repeat(39);
    await Deno.writeTextFile(
      join(dir, "rig.yaml"),
      `chain:
  rpc_url: ${anvil.rpcUrl}
  chain_id: 1
  contracts: { market: "${zero}1", token: "${zero}2", oracle: "${zero}3", blacklist: "${zero}4", profiles: "${zero}5" }
keystore: { path: k.json, passphrase_file: pass }
dashboard: { enabled: false }
`,
    );
    const r = await cli(["--config", join(dir, "rig.yaml")]);
    assert.equal(r.code, 2, r.stderr); // chain.chain_id is a config problem
    assert.match(r.stderr, /error: ChainIdMismatchError: .*31337/);
    assert.match(r.stderr, /\b1\b/);
  } finally {
    await anvil.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sonm-agent run on a chain other than the state's exits 2 and names both", async () => {
  const { createKeystore, startAnvil } = await import("../src/chain/mod.ts");
  const { openState } = await import("../src/agent/state/mod.ts");
  const dir = await tempDir();
  const anvil = await startAnvil({ port: 0 });
  try {
    await createKeystore({
      path: join(dir, "k.json"),
      passphrase: "pw",
      kdf: { kdf: "pbkdf2", c: 1000 },
    });
    await Deno.writeTextFile(join(dir, "pass"), "pw\n");
    const zero = "0x" + "0".repeat(39);
    // the state was recorded on another chain with the same id (a different genesis)
    const recorded = "0x" + "ab".repeat(32);
    const state = openState({ path: join(dir, "data", "agent.sqlite") });
    state.db.prepare(
      "INSERT INTO chain_identity (id, chain_id, genesis_hash, market, recorded_at) VALUES (1, 31337, ?, ?, 0)",
    ).run(recorded, `${zero}1`);
    state.close();
    await Deno.writeTextFile(
      join(dir, "rig.yaml"),
      `data_dir: ./data
chain:
  rpc_url: ${anvil.rpcUrl}
  chain_id: 31337
  contracts: { market: "${zero}1", token: "${zero}2", oracle: "${zero}3", blacklist: "${zero}4", profiles: "${zero}5" }
keystore: { path: k.json, passphrase_file: pass }
dashboard: { enabled: false }
`,
    );
    const r = await cli(["--config", join(dir, "rig.yaml")]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /error: ChainIdentityError: /);
    assert.ok(r.stderr.includes(recorded), "names the recorded genesis");
    const genesis = await fetch(anvil.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "eth_getBlockByNumber",
        params: ["0x0", false],
      }),
    }).then((x) => x.json());
    assert.ok(r.stderr.includes(genesis.result.hash), "names the RPC's genesis");
    assert.match(r.stderr, /hint: .*data_dir/);
  } finally {
    await anvil.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sonm-agent run after a crash says so, marks the crashed run, and records its own clean stop", async () => {
  const { openState } = await import("../src/agent/state/mod.ts");
  const { VERSION } = await import("../src/agent/base/mod.ts");
  const dir = await tempDir();
  try {
    const file = join(dir, "rig.yaml");
    const example = await Deno.readTextFile(join(ROOT, "config.example.yaml"));
    // A run that never recorded its stop: what a kill -9 or a power cut leaves.
    const before = openState({ path: join(dir, ".data", "agent.sqlite") });
    before.db.prepare("INSERT INTO agent_runs (started_at, version, pid) VALUES (?, ?, ?)")
      .run(Date.now() - 60_000, "0.0.0", 1);
    before.close();
    const noPlans = example.replace(/\nplans:\n[\s\S]*?\n# Docker/, "\nplans: []\n\n# Docker");
    assert.notEqual(noPlans, example);
    await Deno.writeTextFile(file, noPlans);

    const agent = spawnAgent(file);
    await agent.waitFor("agent is ready");
    assert.equal(await agent.stop("SIGINT"), 0);
    const messages = agent.lines.map((l) => l.msg);
    assert.ok(
      messages.some((m) => m.startsWith("the previous run did not stop cleanly")),
      messages.join("\n"),
    );
    const after = openState({ path: join(dir, ".data", "agent.sqlite") });
    const runs = after.db.prepare("SELECT version, end_reason FROM agent_runs ORDER BY id").all();
    after.close();
    assert.deepEqual(runs.map((r) => ({ ...r })), [
      { version: "0.0.0", end_reason: "crashed" },
      { version: VERSION, end_reason: "stopped" },
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Pids of the processes whose parent is `ppid` (from /proc). */
function childrenOf(ppid: number): { pid: number; name: string }[] {
  const out: { pid: number; name: string }[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (parent === ppid) out.push({ pid: Number(entry.name), name });
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

Deno.test("sonm-agent killed with SIGKILL does not leave the devnet's anvil running", async () => {
  const dir = await tempDir();
  try {
    const file = join(dir, "rig.yaml");
    await Deno.writeTextFile(file, await Deno.readTextFile(join(ROOT, "config.example.yaml")));
    const agent = spawnAgent(file);
    await agent.waitFor("agent is ready");
    const descendants = (pid: number): { pid: number; name: string }[] =>
      childrenOf(pid).flatMap((p) => [p, ...descendants(p.pid)]);
    const anvils = descendants(agent.pid).filter((p) => p.name === "anvil");
    assert.equal(anvils.length, 1, "anvil not found under the agent");
    const anvil = anvils[0]!.pid;

    await agent.stop("SIGKILL");
    const deadline = Date.now() + 10_000;
    while (alive(anvil) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(alive(anvil), false, `anvil ${anvil} outlived the killed agent`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
