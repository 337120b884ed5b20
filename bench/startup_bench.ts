/**
 * Start-up: the CLI's (`sonm-agent --help` and `config check`, wall time and
 * peak RSS, against an empty module started in the same run as the
 * baseline), and the agent's: time from process start to "agent is ready"
 * (the devnet's own start reported apart), and the agent's and anvil's idle
 * RSS once ready. Each run is a real `sonm-agent --config` process on the
 * embedded devnet, stopped with SIGINT. Writes bench/results/startup.json.
 *
 * Idle RSS is sampled from /proc once a second over an idle window
 * (IDLE_WINDOW_MS): at 3 s after ready (the start-up's garbage is still in
 * the heap then: V8's memory reducer frees it some 30 s later) and the steady
 * figure (median of the window's last 10 s), for the agent with its NAT host
 * and no relay, and with the host holding a reservation on a loopback
 * `sonm-agent relay`; beside them, sampled the same way in the same run, an
 * empty Deno process and one that only imports src/agent/run_agent.ts.
 *
 *   deno run -A bench/startup_bench.ts [--quick] [--cli-only] [--idle-seconds 50]
 */
import { dirname, join } from "node:path";

const ROOT = join(dirname(new URL(import.meta.url).pathname), "..");
const runs = Deno.args.includes("--quick") ? 2 : 5;
const IDLE_MS = 3000;
/** Idle window sampled for the steady RSS: V8's memory reducer runs some 30 s after start. */
const idleArg = Deno.args.indexOf("--idle-seconds");
const IDLE_WINDOW_MS = (idleArg >= 0 ? Number(Deno.args[idleArg + 1]) : 50) * 1000;
const STEADY_TAIL_MS = 10_000;

type Run = {
  processToReadyMs: number;
  readyMsExcludingDevnet: number;
  devnetMs: number;
  idleRssBytes: number;
  /** Median RSS over the idle window's last 10 s. */
  steadyRssBytes: number;
  /** Highest RSS sampled over the idle window. */
  maxRssBytes: number;
  anvilRssBytes: number;
  /** The agent logged "relay reserved" during the idle window. */
  relayReserved: boolean;
};

/** RSS of `pid` once a second for `windowMs`: the sample at `firstMs`, the max, the tail's median. */
async function sampleRss(
  pid: number,
  windowMs: number,
  firstMs: number,
): Promise<{ first: number; max: number; steady: number }> {
  const samples: { at: number; rss: number }[] = [];
  for (let at = 1000; at <= windowMs; at += 1000) {
    await new Promise((r) => setTimeout(r, 1000));
    samples.push({ at, rss: rssOf(pid) });
  }
  const first = samples.find((s) => s.at >= firstMs)?.rss ?? NaN;
  const tail = samples.filter((s) => s.at > windowMs - STEADY_TAIL_MS).map((s) => s.rss);
  return { first, max: Math.max(...samples.map((s) => s.rss)), steady: median(tail) };
}

/** Steady idle RSS of a Deno process running `source` (a baseline), sampled as the agent's. */
async function baselineRss(
  source: string,
): Promise<{ first: number; max: number; steady: number }> {
  // in the checkout, so that its bare imports resolve through deno.json and node_modules
  const file = await Deno.makeTempFile({
    dir: join(ROOT, "bench"),
    prefix: "_startup_baseline_",
    suffix: ".ts",
  });
  await Deno.writeTextFile(file, source);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", file],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    // the script prints a line once its imports are evaluated
    const reader = child.stdout.getReader();
    const { done } = await reader.read();
    if (done) throw new Error(`the baseline process exited: ${(await child.status).code}`);
    reader.releaseLock();
    return await sampleRss(child.pid, IDLE_WINDOW_MS, IDLE_MS);
  } finally {
    if (!(await Promise.race([child.status, Promise.resolve(undefined)]))) child.kill("SIGKILL");
    await child.status;
    await child.stdout.cancel().catch(() => {});
    await Deno.remove(file);
  }
}

/** A loopback `sonm-agent relay`, and the TCP multiaddr an agent reserves on. */
async function startLoopbackRelay(
  dir: string,
): Promise<{ addr: string; stop: () => Promise<void> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ..."run -A main.ts relay --host 127.0.0.1 --port 0 --echo-ports 0,0".split(" "),
      "--data-dir",
      join(dir, "relay"),
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await lines.read();
    if (done) throw new Error("the relay exited before it was ready");
    buffer += value;
    const ready = buffer.split("\n").find((l) => l.includes('"relay-ready"'));
    if (ready === undefined) continue;
    const addrs: string[] = JSON.parse(ready).addrs;
    const addr = addrs.find((a) => a.includes("/tcp/"));
    if (addr === undefined) throw new Error(`the relay has no TCP address: ${ready}`);
    (async () => {
      while (!(await lines.read()).done) { /* drain */ }
    })();
    return {
      addr,
      stop: async () => {
        child.kill("SIGINT");
        await child.status;
      },
    };
  }
}

function rssOf(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kb === undefined ? 0 : Number(kb) * 1024;
}

/** Parent pid of each process, from /proc. */
function parentsOfAll(): Map<number, { ppid: number; comm: string }> {
  const out = new Map<number, { ppid: number; comm: string }>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      out.set(Number(entry.name), { ppid, comm });
    } catch {
      // the process went away while we looked
    }
  }
  return out;
}

/**
 * The anvil process started by the agent `root`: a descendant, not a child,
 * since anvil runs under a watchdog shell (whose RSS the first version of
 * this bench reported, as 0).
 */
function anvilPidOf(root: number): number | undefined {
  const all = parentsOfAll();
  const isDescendant = (pid: number): boolean => {
    for (let p = all.get(pid)?.ppid, hops = 0; p !== undefined && hops < 16; hops++) {
      if (p === root) return true;
      p = all.get(p)?.ppid;
    }
    return false;
  };
  for (const [pid, { comm }] of all) {
    if (comm === "anvil" && isDescendant(pid)) return pid;
  }
  return undefined;
}

async function once(dir: string, relay?: string): Promise<Run> {
  const config = join(dir, "rig.yaml");
  const example = await Deno.readTextFile(join(ROOT, "config.example.yaml"));
  await Deno.writeTextFile(
    config,
    relay === undefined ? example : example.replace("relays: []", `relays: ["${relay}"]`),
  );
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "main.ts"), "--config", config, "--log-format", "json"],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let ready: Record<string, number> | undefined;
  // whether the NAT host reserved on the relay (it may before "agent is ready")
  let relayReserved = false;
  while (ready === undefined) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the agent exited before it was ready");
    buffer += value;
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) {
      const parsed = JSON.parse(line);
      if (parsed.msg === "relay reserved") relayReserved = true;
      if (parsed.msg === "agent is ready") ready = parsed;
    }
  }
  const processToReadyMs = performance.now() - started;
  // keep reading the log while idle
  const draining = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      if (lines.some((l) => l.includes('"msg":"relay reserved"'))) relayReserved = true;
    }
  })();
  const idle = await sampleRss(child.pid, IDLE_WINDOW_MS, IDLE_MS);
  const anvil = anvilPidOf(child.pid);
  const anvilRssBytes = anvil === undefined ? 0 : rssOf(anvil);
  child.kill("SIGINT");
  await child.status;
  await draining;
  return {
    processToReadyMs: Math.round(processToReadyMs),
    readyMsExcludingDevnet: ready.readyMs ?? NaN,
    devnetMs: ready.devnetMs ?? NaN,
    idleRssBytes: idle.first,
    steadyRssBytes: idle.steady,
    maxRssBytes: idle.max,
    anvilRssBytes,
    relayReserved,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** Wall time and peak RSS of one CLI invocation (`/usr/bin/time -f %M` gives the RSS). */
async function timeCli(args: string[]): Promise<{ ms: number; rssBytes: number }> {
  const started = performance.now();
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "%M", Deno.execPath(), ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  const ms = performance.now() - started;
  const lines = new TextDecoder().decode(out.stderr).trim().split("\n");
  const kb = Number(lines.at(-1));
  return { ms, rssBytes: Number.isFinite(kb) ? kb * 1024 : NaN };
}

const CLI_RUNS = Deno.args.includes("--quick") ? 5 : 15;
const empty = await Deno.makeTempFile({ suffix: ".ts" });
const cli: Record<string, { ms: number; rssBytes: number }[]> = {
  baseline: [],
  help: [],
  configCheck: [],
};
for (let i = 0; i < CLI_RUNS; i++) {
  // The baseline, in the same run: the runtime starting an empty module.
  cli.baseline!.push(await timeCli(["run", "-A", empty]));
  cli.help!.push(await timeCli(["run", "-A", "main.ts", "--help"]));
  cli.configCheck!.push(
    await timeCli(["run", "-A", "main.ts", "config", "check", "-c", "config.example.yaml"]),
  );
}
await Deno.remove(empty);
const cliMedian = (name: string, key: "ms" | "rssBytes") => median(cli[name]!.map((r) => r[key]));
const cliFigures = {
  runs: CLI_RUNS,
  medianBaselineMs: Math.round(cliMedian("baseline", "ms")),
  medianHelpMs: Math.round(cliMedian("help", "ms")),
  medianConfigCheckMs: Math.round(cliMedian("configCheck", "ms")),
  // The fastest run: what the code costs when the machine is not busy elsewhere.
  minBaselineMs: Math.round(Math.min(...cli.baseline!.map((r) => r.ms))),
  minHelpMs: Math.round(Math.min(...cli.help!.map((r) => r.ms))),
  minConfigCheckMs: Math.round(Math.min(...cli.configCheck!.map((r) => r.ms))),
  helpOverBaseline: Math.round(cliMedian("help", "ms") / cliMedian("baseline", "ms") * 100) / 100,
  configCheckOverBaseline:
    Math.round(cliMedian("configCheck", "ms") / cliMedian("baseline", "ms") * 100) / 100,
  medianHelpRssMiB: Math.round(cliMedian("help", "rssBytes") / 2 ** 20 * 10) / 10,
  medianConfigCheckRssMiB: Math.round(cliMedian("configCheck", "rssBytes") / 2 ** 20 * 10) / 10,
};

const results: Run[] = [];
const withRelay: Run[] = [];
const baselines: Record<"empty" | "importsOnly", { first: number; max: number; steady: number }[]> =
  { empty: [], importsOnly: [] };
for (let i = 0; i < (Deno.args.includes("--cli-only") ? 0 : runs); i++) {
  const dir = await Deno.makeTempDir({ prefix: "sonm-startup-" });
  const relay = await startLoopbackRelay(dir);
  try {
    results.push(await once(join(await Deno.makeTempDir({ dir }))));
    withRelay.push(await once(join(await Deno.makeTempDir({ dir })), relay.addr));
    const ready = `console.log("ready"); await new Promise(() => setInterval(() => {}, 1000));`;
    baselines.empty.push(await baselineRss(ready));
    baselines.importsOnly.push(
      await baselineRss(`import "${join(ROOT, "src/agent/run_agent.ts")}";\n${ready}`),
    );
  } finally {
    await relay.stop();
    await Deno.remove(dir, { recursive: true });
  }
}
const mib = (bytes: number) => Math.round(bytes / 2 ** 20 * 10) / 10;
const medianMiB = (values: number[]) => mib(median(values));
const idleRss = {
  windowSeconds: IDLE_WINDOW_MS / 1000,
  emptyDenoSteadyMiB: medianMiB(baselines.empty.map((b) => b.steady)),
  importsOnlySteadyMiB: medianMiB(baselines.importsOnly.map((b) => b.steady)),
  agentSteadyMiB: medianMiB(results.map((r) => r.steadyRssBytes)),
  agentWithRelaySteadyMiB: medianMiB(withRelay.map((r) => r.steadyRssBytes)),
  agentMaxMiB: medianMiB(results.map((r) => r.maxRssBytes)),
  agentWithRelayMaxMiB: medianMiB(withRelay.map((r) => r.maxRssBytes)),
  agentAt3sMiB: medianMiB(results.map((r) => r.idleRssBytes)),
  agentWithRelayAt3sMiB: medianMiB(withRelay.map((r) => r.idleRssBytes)),
  goalMiB: 150,
  relayReservedRuns: withRelay.filter((r) => r.relayReserved).length,
  withRelayEach: withRelay,
};
const figures = {
  cli: cliFigures,
  runs: results.length,
  idleSeconds: IDLE_MS / 1000,
  medianReadyMsExcludingDevnet: median(results.map((r) => r.readyMsExcludingDevnet)),
  medianDevnetMs: median(results.map((r) => r.devnetMs)),
  medianProcessToReadyMs: median(results.map((r) => r.processToReadyMs)),
  medianIdleRssMiB: Math.round(median(results.map((r) => r.idleRssBytes)) / 2 ** 20 * 10) / 10,
  medianAnvilRssMiB: Math.round(median(results.map((r) => r.anvilRssBytes)) / 2 ** 20 * 10) / 10,
  each: results,
  idleRss,
};
await Deno.mkdir(join(ROOT, "bench", "results"), { recursive: true });
await Deno.writeTextFile(
  join(ROOT, "bench", "results", "startup.json"),
  JSON.stringify(figures, null, 2) + "\n",
);
const rows = [
  ["ready, excluding devnet (ms)", figures.medianReadyMsExcludingDevnet],
  ["devnet start + deploy (ms)", figures.medianDevnetMs],
  ["process start to ready (ms)", figures.medianProcessToReadyMs],
  [`agent RSS after ${IDLE_MS / 1000} s idle (MiB)`, figures.medianIdleRssMiB],
  ["anvil RSS (MiB)", figures.medianAnvilRssMiB],
  [
    `idle RSS, steady (last ${STEADY_TAIL_MS / 1000} s of ${idleRss.windowSeconds} s, MiB)`,
    "",
  ],
  [
    "  empty Deno / imports only",
    `${idleRss.emptyDenoSteadyMiB} / ${idleRss.importsOnlySteadyMiB}`,
  ],
  [
    "  agent / with relay reserved",
    `${idleRss.agentSteadyMiB} / ${idleRss.agentWithRelaySteadyMiB}`,
  ],
  ["  agent max / with relay max", `${idleRss.agentMaxMiB} / ${idleRss.agentWithRelayMaxMiB}`],
  ["empty module, baseline (ms)", cliFigures.medianBaselineMs],
  ["sonm-agent --help (ms)", cliFigures.medianHelpMs],
  ["sonm-agent config check (ms)", cliFigures.medianConfigCheckMs],
  [
    "fastest --help / config check (ms)",
    `${cliFigures.minHelpMs} / ${cliFigures.minConfigCheckMs}`,
  ],
  ["--help / baseline", cliFigures.helpOverBaseline],
  ["config check / baseline", cliFigures.configCheckOverBaseline],
  ["--help RSS (MiB)", cliFigures.medianHelpRssMiB],
];
for (const [name, value] of rows) {
  Deno.stdout.writeSync(new TextEncoder().encode(`${String(name).padEnd(36)} ${value}\n`));
}
