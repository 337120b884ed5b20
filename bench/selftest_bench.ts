// deno-lint-ignore-file no-console -- a benchmark prints its table
/**
 * Self-test benchmark (issue #19): the wall time of `sonm-agent selftest`
 * (the CLI process, config to JSON, median of 5) and of each check inside it,
 * against `docker info` (the CLI) in the same run as the baseline; and the
 * time from Docker coming back (the agent's docker.socket, a symlink, put
 * back) to the plan's ASK standing on chain again, through the real agent
 * in-process with a 1 s self-test period and retries of 0.5-2 s.
 *
 *   deno run -A bench/selftest_bench.ts            # 5 CLI runs, 3 outages
 *   deno run -A bench/selftest_bench.ts --quick    # 2 CLI runs, 1 outage
 *
 * Needs dockerd, the docker CLI, anvil (npm). Writes bench/results/selftest.json.
 *
 * @module
 */
import { join } from "node:path";
import { discoverHardware } from "../src/bench/mod.ts";
import { getActiveOrders } from "../src/chain/mod.ts";
import type { SelftestReport } from "../src/agent/base/mod.ts";
import { DOCKER_SOCKET, ensureDockerd, lockDockerd } from "../tests/_fixtures/dockerd.ts";
import { ensureBusyboxImage } from "../tests/_fixtures/images.ts";
import { runCli } from "../tests/_fixtures/agent_cli.ts";
import { startAgent, startRigDevnet, until, writeRigConfig } from "../tests/_fixtures/agent_rig.ts";

const quick = Deno.args.includes("--quick");
const RUNS = quick ? 2 : 5;
const OUTAGES = quick ? 1 : 3;
const OUT = "bench/results/selftest.json";
const log = (s: string) => console.error(`[selftest_bench] ${s}`);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor((s.length - 1) / 2)]!;
};

const PLANS = `docker:
  allowed_images: ["docker.io/sonm-selftest/*"]
  default_limits: { pids: 64 }
plans:
  - name: small
    price_usd_per_hour: "0.25"
    resources: { cpu_cores: 0.5, ram: 64MiB, storage: 16MiB }
  - name: net
    price_usd_per_hour: "0.5"
    resources: { cpu_cores: 1, ram: 128MiB, net: { outbound: true } }
`;

const lock = await lockDockerd("shared");
(await ensureDockerd()).close();
await ensureBusyboxImage("sonm-selftest/busybox:1", "selftest");
const dir = await Deno.makeTempDir({ prefix: "selftest-bench-" });
const rig = await startRigDevnet(dir);
try {
  // 1. the CLI, end to end, against `docker info` as the baseline
  await writeRigConfig(dir, rig.devnet, PLANS);
  const wall: number[] = [];
  const inside: number[] = [];
  const dockerInfo: number[] = [];
  const perCheck = new Map<string, number[]>();
  let last: SelftestReport | undefined;
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    const out = await runCli(["selftest", "-c", join(dir, "rig.yaml"), "--json"]);
    wall.push(performance.now() - t);
    if (out.code !== 0) throw new Error(`selftest exited ${out.code}: ${out.stderr}`);
    last = JSON.parse(out.stdout) as SelftestReport;
    inside.push(last.ms);
    for (const r of last.results) {
      const key = r.plan === undefined ? r.check : `${r.check}[${r.plan}]`;
      perCheck.set(key, [...(perCheck.get(key) ?? []), r.ms]);
    }
    t = performance.now();
    await new Deno.Command("docker", { args: ["info"], stdout: "null", stderr: "null" }).output();
    dockerInfo.push(performance.now() - t);
    log(`run ${i + 1}: ${Math.round(wall.at(-1)!)} ms (checks ${last.ms} ms)`);
  }

  // 2. Docker gone and back under the running agent: time to the ASK placed again
  const socket = join(dir, "docker.sock");
  await Deno.symlink(DOCKER_SOCKET, socket);
  const config = await writeRigConfig(
    dir,
    rig.devnet,
    PLANS.replace("docker:", `docker:\n  socket: ${socket}`),
  );
  const agent = await startAgent(config, await discoverHardware({ dataDir: dir }), {
    agentId: `selftest-bench-${Date.now().toString(36)}`,
    selftest: { periodMs: 1000, retry: { baseMs: 500, factor: 2, capMs: 2000, jitter: 0 } },
  });
  const backMs: number[] = [];
  const goneMs: number[] = [];
  try {
    const asks = async () =>
      (await getActiveOrders(rig.reader)).filter((o) =>
        o.type === "ASK" && o.author.toLowerCase() === rig.address.toLowerCase()
      ).length;
    await until("both ASKs", async () => (await asks()) === 2 ? true : undefined, 60_000);
    for (let i = 0; i < OUTAGES; i++) {
      let t = performance.now();
      await Deno.remove(socket);
      await until(
        "the ASKs cancelled",
        async () => (await asks()) === 0 ? true : undefined,
        60_000,
      );
      goneMs.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 3000)); // a few quiet retries
      await Deno.symlink(DOCKER_SOCKET, socket);
      t = performance.now();
      await until("the ASKs again", async () => (await asks()) === 2 ? true : undefined, 60_000);
      backMs.push(performance.now() - t);
      log(
        `outage ${i + 1}: withheld in ${Math.round(goneMs.at(-1)!)} ms, back in ${
          Math.round(backMs.at(-1)!)
        } ms`,
      );
    }
  } finally {
    await agent.stop();
  }

  const r = (x: number) => Math.round(x);
  const result = {
    date: new Date().toISOString(),
    cores: navigator.hardwareConcurrency,
    quick,
    load: "the CLI in its own process; dockerd (vfs) and anvil on this machine; 2 plans",
    cli: {
      runs: RUNS,
      wallMsMedian: r(median(wall)),
      checksMsMedian: r(median(inside)),
      dockerInfoMsMedian: r(median(dockerInfo)),
      ratioToDockerInfo: Math.round(median(wall) / median(dockerInfo) * 10) / 10,
      wallMs: wall.map(r),
    },
    checks: Object.fromEntries(
      [...perCheck].map(([k, v]) => [k, {
        msMedian: r(median(v)),
        status: last?.results.find((x) =>
          (x.plan === undefined ? x.check : `${x.check}[${x.plan}]`) === k
        )?.status,
      }]),
    ),
    dockerBack: {
      outages: OUTAGES,
      period: "selftest every 1 s while passing, retries 0.5-2 s while failing",
      withheldMsMedian: r(median(goneMs)),
      askAgainMsMedian: r(median(backMs)),
      askAgainMs: backMs.map(r),
    },
  };
  await Deno.writeTextFile(OUT, JSON.stringify(result, null, 2) + "\n");
  console.log(JSON.stringify(result, null, 2));
} finally {
  await rig.close();
  lock.release();
  await Deno.remove(dir, { recursive: true });
}
// the agent's libp2p host can leave a handle behind after its stop: the bench is done
Deno.exit(0);
