/**
 * `client verify` on the devnet, as a consumer runs it (each a fresh
 * `sonm-agent` process, wall time from spawn to exit): the real agent in its
 * own process (chain: devnet, dockerd), the demo consumer's deal on a plan of
 * one core and 64 MiB, the probe image built by scripts/build_probes.sh.
 * Figures: the median of `runs` verify wall times and of its split (lookup,
 * report, probe image start, each probe inside the deal), beside the median
 * of `client status` in the same run (the baseline: a plain client command);
 * then the verdict lines of the honest rig and of the same rig with its
 * cached all-threads score inflated to 4x its threads. Writes
 * bench/results/client_verify.json.
 *
 *   flock /tmp/sonm-it.lock deno run -A bench/client_verify_bench.ts [--runs N]
 */
import { DatabaseSync } from "node:sqlite";
import { dirname, join } from "node:path";
import { runCli, spawnCliAgent } from "../tests/_fixtures/agent_cli.ts";
import { ensureDockerd, lockDockerd } from "../tests/_fixtures/dockerd.ts";
import { collectGarbage } from "../src/docker/mod.ts";

const ROOT = join(dirname(new URL(import.meta.url).pathname), "..");
const runsArg = Deno.args.indexOf("--runs");
const runs = runsArg >= 0 ? Number(Deno.args[runsArg + 1]) : 5;

const median = (values: number[]) => {
  const sorted = values.toSorted((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

type Line = {
  key: string;
  promised: string;
  measured: string | null;
  ratio: number | null;
  verdict: string;
};
type Verified = { result: string; lines: Line[]; timings: Record<string, number> };

const lock = await lockDockerd("shared");
const docker = await ensureDockerd();
const dir = await Deno.makeTempDir({ prefix: "sonm-verify-bench-" });
const rigConfig = join(dir, "rig.yaml");
const demo = join(dir, ".data", "demo-consumer", "client.yaml");
let rig: ReturnType<typeof spawnCliAgent> | undefined;
let agentId: string | undefined;
try {
  const built = await new Deno.Command("bash", {
    args: [join(ROOT, "scripts/build_probes.sh"), "images"],
    stdout: "null",
    stderr: "null",
  }).output();
  if (!built.success) throw new Error("scripts/build_probes.sh images failed");
  await Deno.writeTextFile(
    rigConfig,
    `data_dir: ./.data
chain: devnet
keystore: { path: ./.data/keystore.json, passphrase_file: ./.data/keystore.pass }
dashboard: { enabled: false }
plans:
  - name: one-core
    price_usd_per_hour: "0.05"
    resources: { cpu_cores: 1, ram: 64MiB }
`,
  );
  const bench = await runCli(["bench", "--config", rigConfig, "--only", "0,1"]);
  if (bench.code !== 0) throw new Error(bench.stderr);
  const start = async () => {
    rig = spawnCliAgent(["--log-format", "json", "run", "--config", rigConfig]);
    const ready = await rig.waitFor("agent is ready");
    agentId = `rig-${String(ready.address).slice(2, 14).toLowerCase()}`;
    await rig.waitFor("opened deal", "the demo consumer's deal", 0, 60_000);
  };
  const timed = async (args: string[]) => {
    const t0 = performance.now();
    const r = await runCli(["client", ...args, "--config", demo, "--deal", "1", "--json"]);
    return { ms: performance.now() - t0, r };
  };
  await start();
  const wall: number[] = [];
  const status: number[] = [];
  const splits: Record<string, number>[] = [];
  let honest: Verified | undefined;
  for (let i = 0; i < runs; i++) {
    status.push((await timed(["status"])).ms);
    const { ms, r } = await timed(["verify"]);
    if (r.code !== 0) throw new Error(`verify exited ${r.code}: ${r.stderr}\n${r.stdout}`);
    honest = JSON.parse(r.stdout) as Verified;
    wall.push(ms);
    splits.push(honest.timings);
  }
  await rig!.stop("SIGINT");
  const db = new DatabaseSync(join(dir, ".data", "agent.sqlite"));
  db.exec(
    `UPDATE bench_results SET value = 4 * ${navigator.hardwareConcurrency} * (SELECT value
       FROM bench_results WHERE benchmark_id = 1) WHERE benchmark_id = 0`,
  );
  db.close();
  await start();
  const inflatedRun = await timed(["verify"]);
  const inflated = JSON.parse(inflatedRun.r.stdout) as Verified;
  await rig!.stop("SIGINT");

  const keys = [...new Set(splits.flatMap((s) => Object.keys(s)))];
  const lines = (v: Verified) =>
    v.lines.map((l) =>
      `${l.key}: promised ${l.promised}, measured ${l.measured ?? "-"}, ratio ${
        l.ratio ?? "-"
      }, ${l.verdict}`
    );
  const result = {
    bench: "client_verify",
    at: new Date().toISOString(),
    machine: `${navigator.hardwareConcurrency} threads, shared with other workers`,
    runs,
    verifyWallMsMedian: Math.round(median(wall)),
    statusWallMsMedian: Math.round(median(status)),
    verifyOverStatus: Math.round((median(wall) / median(status)) * 100) / 100,
    splitMsMedian: Object.fromEntries(
      keys.map((k) => [k, Math.round(median(splits.map((s) => s[k] ?? 0)))]),
    ),
    honest: { result: honest!.result, lines: lines(honest!) },
    inflated: { result: inflated.result, exitCode: inflatedRun.r.code, lines: lines(inflated) },
  };
  await Deno.writeTextFile(
    join(ROOT, "bench/results/client_verify.json"),
    JSON.stringify(result, null, 2) + "\n",
  );
  Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(result, null, 2) + "\n"));
} finally {
  await rig?.stop("SIGINT");
  if (agentId !== undefined) {
    await collectGarbage(docker, { agentId, openDeals: [] }).catch(() => {});
  }
  docker.close();
  lock.release();
  await Deno.remove(dir, { recursive: true });
}
