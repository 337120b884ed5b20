/**
 * Start-up: the CLI's (`sonm-agent --help` and `config check`, wall time and
 * peak RSS, against an empty module started in the same run as the
 * baseline), and the agent's: time from process start to "agent is ready"
 * (the devnet's own start reported apart), and the agent's and anvil's idle
 * RSS once ready. Each run is a real `sonm-agent --config` process on the
 * embedded devnet, stopped with SIGINT. Writes bench/results/startup.json.
 *
 *   deno run -A bench/startup_bench.ts [--quick] [--cli-only]
 */
import { dirname, join } from "node:path";

const ROOT = join(dirname(new URL(import.meta.url).pathname), "..");
const runs = Deno.args.includes("--quick") ? 2 : 5;
const IDLE_MS = 3000;

type Run = {
  processToReadyMs: number;
  readyMsExcludingDevnet: number;
  devnetMs: number;
  idleRssBytes: number;
  anvilRssBytes: number;
};

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

async function once(dir: string): Promise<Run> {
  const config = join(dir, "rig.yaml");
  const example = await Deno.readTextFile(join(ROOT, "config.example.yaml"));
  await Deno.writeTextFile(config, example);
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "main.ts"), "--config", config, "--log-format", "json"],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let ready: Record<string, number> | undefined;
  while (ready === undefined) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the agent exited before it was ready");
    buffer += value;
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) {
      const parsed = JSON.parse(line);
      if (parsed.msg === "agent is ready") ready = parsed;
    }
  }
  const processToReadyMs = performance.now() - started;
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const idleRssBytes = rssOf(child.pid);
  const anvil = anvilPidOf(child.pid);
  const anvilRssBytes = anvil === undefined ? 0 : rssOf(anvil);
  child.kill("SIGINT");
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  await child.status;
  return {
    processToReadyMs: Math.round(processToReadyMs),
    readyMsExcludingDevnet: ready.readyMs ?? NaN,
    devnetMs: ready.devnetMs ?? NaN,
    idleRssBytes,
    anvilRssBytes,
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
for (let i = 0; i < (Deno.args.includes("--cli-only") ? 0 : runs); i++) {
  const dir = await Deno.makeTempDir({ prefix: "sonm-startup-" });
  try {
    results.push(await once(dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
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
