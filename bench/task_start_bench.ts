// deno-lint-ignore-file no-console -- a benchmark prints its table
/**
 * Deal -> task benchmark (issue #11): the time from a consumer's signed
 * submit to its container running, through the real agent (its own process,
 * the task protocol over the test transport: signature, deal and plan read
 * from the chain, journal, image policy, hardened `startTask`), against
 * `docker run -d` of the same image with the same hardening flags (limits,
 * cap-drop ALL, no-new-privileges, init, the deal's network), interleaved in
 * one run; and the agent's RSS idle and with 5 tasks running.
 *
 *   deno run -A bench/task_start_bench.ts            # 20 rounds
 *   deno run -A bench/task_start_bench.ts --quick    # 3 rounds
 *
 * Needs dockerd, the docker CLI, docker-registry and htpasswd, anvil (npm).
 * Writes bench/results/task_start.json and prints a table.
 *
 * @module
 */
import {
  connectChain,
  createMarketClient,
  getOrder,
  parseUsdPerHour,
  placeOrder,
} from "../src/chain/mod.ts";
import { createLogger } from "../src/agent/base/mod.ts";
import { startDevnet } from "../src/agent/setup/mod.ts";
import { findTasks, LABEL_AGENT, listNetworks } from "../src/docker/mod.ts";
import { ensureDockerd } from "../tests/_fixtures/dockerd.ts";
import { dockerCli, ensureBusyboxImage } from "../tests/_fixtures/images.ts";
import { startRegistry } from "../tests/_fixtures/registry.ts";
import { spawnAgent } from "../tests/_fixtures/workloads_agent_process.ts";
import {
  consumerOf,
  createRigKeystore,
  removeAgentObjects,
  until,
  writeRigConfig,
} from "../tests/_fixtures/workloads.ts";

const quick = Deno.args.includes("--quick");
const ROUNDS = quick ? 3 : 20;
const PLANS = 5;
const OUT = "bench/results/task_start.json";
const log = (s: string) => console.error(`[task_start_bench] ${s}`);

type Stat = { n: number; medianMs: number; p90Ms: number; minMs: number; meanMs: number };

function stat(xs: number[]): Stat {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    n: s.length,
    medianMs: r(q(0.5)),
    p90Ms: r(q(0.9)),
    minMs: r(s[0] ?? 0),
    meanMs: r(s.reduce((a, b) => a + b, 0) / (s.length || 1)),
  };
}

function rssBytes(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? "0");
  return kb * 1024;
}

async function main() {
  const docker = await ensureDockerd();
  const registry = await startRegistry();
  const dir = await Deno.makeTempDir({ prefix: "workloads-bench-" });
  const agentId = `workloads-bench-${Date.now().toString(36)}`;
  const baselineNet = `workloads-bench-net-${Date.now().toString(36)}`;
  const devnet = await startDevnet({
    logger: createLogger({ level: "error", write: () => {} }),
    fund: [await createRigKeystore(dir)],
  });
  const chain = await connectChain({ url: devnet.rpcUrl, chainId: devnet.chainId });
  let agent: Awaited<ReturnType<typeof spawnAgent>> | undefined;
  try {
    const local = await ensureBusyboxImage("workloads-test/busybox:e2e", "workloads-e2e");
    const { reference, digest } = await registry.push(local, "workloads/app:1");
    const plans = Array.from({ length: PLANS }, (_, i) =>
      `  - name: p${i}
    price_usd_per_hour: "0.36"
    resources: { cpu_cores: 0.2, ram: 32MiB, net: { outbound: true } }
`).join("");
    await writeRigConfig(
      dir,
      devnet,
      `docker:
  allowed_images: ["${registry.address}/workloads/*"]
  default_limits: { pids: 64 }
plans:
${plans}`,
    );
    const auth = { username: registry.username, password: registry.password };
    agent = await spawnAgent({ dir, agentId, registryAuth: auth });
    const running = agent;
    const reader = createMarketClient(chain, { addresses: devnet.contracts });
    const consumer = consumerOf(chain, devnet, devnet.consumer.privateKey);

    // idle: ASKs placed, nothing else happening
    await new Promise((r) => setTimeout(r, 3000));
    const idleRss = rssBytes(running.pid);

    const deals: bigint[] = [];
    for (let i = 0; i < PLANS; i++) {
      const { orderId } = await placeOrder(consumer.market, {
        type: "BID",
        duration: 0n,
        price: parseUsdPerHour("0.36"),
        netflags: [false, true, false],
      });
      deals.push(
        await until("a deal", async () => {
          const o = await getOrder(reader, { orderId });
          return o?.dealId ? o.dealId : undefined;
        }, 60_000),
      );
    }
    log(`${deals.length} deals open`);
    const submit = async (dealId: bigint) => {
      const envelope = await consumer.sign("submit", dealId, {
        spec: { image: reference, command: ["sleep", "600"] },
      });
      const t0 = performance.now();
      const reply = await running.send(envelope);
      const ms = performance.now() - t0;
      if (reply?.kind !== "ok") throw new Error(`submit refused: ${JSON.stringify(reply)}`);
      return ms;
    };
    const stop = async (dealId: bigint) => {
      const reply = await running.send(await consumer.sign("stop", dealId, {}));
      if (reply?.kind !== "ok") throw new Error(`stop refused: ${JSON.stringify(reply)}`);
    };
    // the same flags as the agent's hardened container (src/docker/_container_config.ts)
    await dockerCli(["network", "create", "--label", `${LABEL_AGENT}=${agentId}`, baselineNet]);
    const pinned = `${reference.replace(/:[^:/]+$/, "")}@${digest}`;
    const dockerRun = async () => {
      const t0 = performance.now();
      const id = (await dockerCli([
        "run",
        "-d",
        "--network",
        baselineNet,
        "--cpus",
        "0.2",
        "--memory",
        "32m",
        "--memory-swap",
        "32m",
        "--pids-limit",
        "64",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges:true",
        "--init",
        "--ipc",
        "private",
        "--log-opt",
        "max-size=10m",
        "--log-opt",
        "max-file=3",
        "--label",
        `${LABEL_AGENT}=${agentId}`,
        pinned,
        "sleep",
        "600",
      ])).trim();
      const ms = performance.now() - t0;
      await dockerCli(["rm", "-f", id]);
      return ms;
    };

    const dealId = deals[0]!;
    // warm-up, not counted
    await submit(dealId);
    await stop(dealId);
    await dockerRun();
    const ours: number[] = [];
    const cli: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const order = i % 2 === 0 ? ["ours", "cli"] : ["cli", "ours"];
      for (const who of order) {
        if (who === "ours") {
          ours.push(await submit(dealId));
          await stop(dealId);
        } else {
          cli.push(await dockerRun());
        }
      }
    }

    for (const d of deals) await submit(d);
    const tasks = await findTasks(docker, { agentId });
    if (tasks.filter((t) => t.running).length !== PLANS) {
      throw new Error(`expected ${PLANS} running tasks, found ${tasks.length}`);
    }
    await new Promise((r) => setTimeout(r, 2000));
    const busyRss = rssBytes(running.pid);

    const result = {
      date: new Date().toISOString(),
      cores: navigator.hardwareConcurrency,
      rounds: ROUNDS,
      submitToRunning: stat(ours),
      dockerRunSameFlags: stat(cli),
      ratioMedian: Math.round((stat(ours).medianMs / stat(cli).medianMs) * 100) / 100,
      goalRatio: 1.1,
      agentRssIdleMiB: Math.round(idleRss / 2 ** 20 * 10) / 10,
      agentRssFiveTasksMiB: Math.round(busyRss / 2 ** 20 * 10) / 10,
      notes: [
        "submitToRunning: signed request sent -> reply 'running' from the agent process " +
        "(unix-socket test transport; includes signature check, deal and ASK read from the chain, journal, policy, create+start)",
        "dockerRunSameFlags: docker CLI run -d with the agent's hardening flags on a pre-made network, image local",
      ],
    };
    await Deno.mkdir("bench/results", { recursive: true });
    await Deno.writeTextFile(OUT, JSON.stringify(result, null, 2) + "\n");
    console.log("");
    console.log("what                               median ms   p90 ms    min ms");
    for (
      const [name, s] of [["agent: submit -> running", result.submitToRunning], [
        "docker run -d (same flags)",
        result.dockerRunSameFlags,
      ]] as const
    ) {
      console.log(
        `${name.padEnd(34)} ${String(s.medianMs).padStart(9)} ${String(s.p90Ms).padStart(8)} ${
          String(s.minMs).padStart(9)
        }`,
      );
    }
    console.log(`ratio (median): ${result.ratioMedian} (goal <= 1.1)`);
    console.log(
      `agent RSS: idle ${result.agentRssIdleMiB} MiB, with ${PLANS} tasks ${result.agentRssFiveTasksMiB} MiB`,
    );
  } finally {
    await agent?.stop();
    await removeAgentObjects(docker, agentId);
    for (const n of await listNetworks(docker, { labels: { [LABEL_AGENT]: agentId } })) {
      await dockerCli(["network", "rm", n.name]).catch(() => {});
    }
    await chain.close();
    await devnet.stop();
    await registry.close();
    docker.close();
    await Deno.remove(dir, { recursive: true });
  }
}

await main();
