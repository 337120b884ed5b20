/**
 * Agent start-up: time from process start to "agent is ready" (the devnet's
 * own start reported apart), and the agent's idle RSS once ready. Each run is
 * a real `sonm-agent --config` process on the embedded devnet, stopped with
 * SIGINT. Writes bench/results/startup.json.
 *
 *   deno run -A bench/startup_bench.ts [--quick]
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

function anvilPidOf(parent: number): number | undefined {
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === parent && stat.includes("(anvil)")) return Number(entry.name);
    } catch {
      // the process went away while we looked
    }
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

const results: Run[] = [];
for (let i = 0; i < runs; i++) {
  const dir = await Deno.makeTempDir({ prefix: "sonm-startup-" });
  try {
    results.push(await once(dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
const figures = {
  runs,
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
];
for (const [name, value] of rows) {
  Deno.stdout.writeSync(new TextEncoder().encode(`${String(name).padEnd(36)} ${value}\n`));
}
