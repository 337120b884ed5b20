/**
 * Where the agent's memory goes: resident set size (RSS, from /proc) of
 *
 * 1. an empty Deno process (the baseline of every figure below);
 * 2. the imports alone, one process per part: the chain side (viem), the
 *    NAT host (js-libp2p with QUIC and the DHT), the dashboard, Docker's
 *    client, and everything `runAgent` loads;
 * 3. a real `sonm-agent` process on an RPC chain (anvil with the real
 *    contracts) with 2,000 resting orders in the market: at ready (the
 *    agent's own `rssBytes` in its "agent is ready" line) and after idling.
 *
 * Each process is measured 3 times; medians. Writes bench/results/memory.json.
 *
 *   deno run -A bench/memory_bench.ts [--quick]
 */
// deno-lint-ignore-file no-console -- a benchmark prints its table
import { dirname, join, resolve } from "node:path";
import { createPublicClient, createWalletClient, http, parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { createKeystore, deployContracts, startAnvil } from "../src/chain/mod.ts";
import { seedMarket } from "../tests/_fixtures/market_seeder.ts";

const quick = Deno.args.includes("--quick");
const RUNS = quick ? 1 : 3;
const BIDS = 2_000;
const IDLE_SECONDS = quick ? 5 : 20;
const HERE = dirname(new URL(import.meta.url).pathname);
const ROOT = resolve(HERE, "..");
const MB = 2 ** 20;
const round1 = (x: number) => Math.round(x * 10) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** The parts whose imports are measured alone (each in a fresh process). */
const IMPORTS: Record<string, string[]> = {
  "chain (viem, contracts)": ["src/chain/mod.ts"],
  "nat host (libp2p, QUIC, DHT)": ["src/nat/mod.ts"],
  "dashboard": ["src/dashboard/mod.ts"],
  "docker client": ["src/docker/mod.ts"],
  "everything runAgent loads": ["src/agent/mod.ts"],
};

/**
 * The agent as Deno runs it by default, and with the V8 flags its start
 * commands pass (`deno task start` and `compile`, scripts/start.sh, the
 * Ansible role's wrapper): read from deno.json's start task.
 */
const START_FLAGS = /--v8-flags=(\S+)/.exec(
  JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json"))).tasks.start,
)?.[1]?.split(",") ?? [];
const AGENT_RUNS: Record<string, string[]> = {
  "deno defaults": [],
  [`the start commands' V8 flags (${START_FLAGS.join(",")})`]: START_FLAGS,
};

/** RSS of a process that imports `modules`, then settles a moment (median of RUNS). */
async function rssOfImports(modules: string[]): Promise<number> {
  const code = modules.map((m) => `await import(${JSON.stringify(join(ROOT, m))});`).join("\n") +
    "\nawait new Promise((r) => setTimeout(r, 300));" +
    "\nconsole.log(Deno.memoryUsage().rss);";
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const { stdout, success, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["eval", code],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!success) throw new Error(new TextDecoder().decode(stderr));
    out.push(Number(new TextDecoder().decode(stdout).trim()));
  }
  return median(out);
}

async function rssOfPid(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

const figures: Record<string, unknown> = {
  quick,
  cores: navigator.hardwareConcurrency,
  runs: RUNS,
  unit: "MB (2^20 bytes) of RSS",
};
const empty = await rssOfImports([]);
figures.emptyDenoMB = round1(empty / MB);
const imports: Record<string, number> = {};
for (const [name, modules] of Object.entries(IMPORTS)) {
  imports[name] = round1((await rssOfImports(modules)) / MB);
  console.log(`imports of ${name}: ${imports[name]} MB (empty Deno ${figures.emptyDenoMB} MB)`);
}
figures.importsAloneMB = imports;

const anvil = await startAnvil({ disableBlockGasLimit: true, pruneHistory: true });
const dir = await Deno.makeTempDir({ prefix: "memory-bench-" });
try {
  const transport = http(anvil.rpcUrl);
  const deployer = createWalletClient({
    chain: foundry,
    transport,
    account: privateKeyToAccount(anvil.accounts[0]!.privateKey),
  });
  const pub = createPublicClient({ chain: foundry, transport });
  const c = await deployContracts(deployer);
  await seedMarket(deployer, pub, c, { orders: BIDS, maxPrice: 10n ** 12n });
  figures.ordersInMarket = BIDS;
  const { address } = await createKeystore({
    path: join(dir, "key.json"),
    passphrase: "bench",
    kdf: { kdf: "pbkdf2", c: 1000 },
  });
  await pub.request({
    method: "anvil_setBalance" as never,
    params: [address, `0x${parseEther("10").toString(16)}`] as never,
  });
  await Deno.writeTextFile(join(dir, "pass"), "bench\n");
  await Deno.writeTextFile(
    join(dir, "rig.yaml"),
    `data_dir: ./data
chain:
  rpc_url: ${anvil.rpcUrl}
  chain_id: ${foundry.id}
  contracts: { market: "${c.market}", token: "${c.token}", oracle: "${c.oracle}", blacklist: "${c.blacklist}", profiles: "${c.profiles}" }
keystore: { path: ./key.json, passphrase_file: ./pass }
dashboard: { port: 0 }
plans:
  - name: mem
    price_usd_per_hour: "100"
    resources: { cpu_cores: 1, ram: 512MiB }
`,
  );
  const agents: Record<string, { atReadyMB: number; idleMB: number }> = {};
  for (const [name, flags] of Object.entries(AGENT_RUNS)) {
    agents[name] = await measureAgent(dir, flags);
    console.log(
      `agent (${name}) with ${BIDS} resting orders: ${agents[name]!.atReadyMB} MB at ready, ` +
        `${agents[name]!.idleMB} MB after ${IDLE_SECONDS} s idle (goal 160 MB)`,
    );
  }
  figures.agent = agents;
  figures.idleSeconds = IDLE_SECONDS;
  figures.goalMB = 160;
} finally {
  await anvil.stop();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
await Deno.writeTextFile(
  join(HERE, "results", "memory.json"),
  JSON.stringify(figures, null, 2) + "\n",
);

/** The agent's RSS at ready and after idling, median of RUNS processes. */
async function measureAgent(
  dir: string,
  v8Flags: string[],
): Promise<{ atReadyMB: number; idleMB: number }> {
  const atReady: number[] = [];
  const idle: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        ...(v8Flags.length === 0 ? [] : [`--v8-flags=${v8Flags.join(",")}`]),
        join(ROOT, "main.ts"),
        "--config",
        join(dir, "rig.yaml"),
        "--log-format",
        "json",
      ],
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    while (!buffer.includes("agent is ready")) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`the agent stopped before ready:\n${buffer}`);
      buffer += value;
    }
    const drain = (async () => {
      while (!(await lines.read()).done) { /* keep the pipe open */ }
    })();
    const ready = /"?rssBytes"?[=:]\s*(\d+)/.exec(buffer)?.[1];
    atReady.push(ready === undefined ? await rssOfPid(child.pid) : Number(ready));
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    idle.push(await rssOfPid(child.pid));
    child.kill("SIGINT");
    await child.status;
    await drain;
  }
  return { atReadyMB: round1(median(atReady) / MB), idleMB: round1(median(idle) / MB) };
}
