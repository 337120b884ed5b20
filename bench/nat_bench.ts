/**
 * NAT traversal figures from the network-namespace lab (tests/_natlab): the
 * agent behind a cone NAT, the consumer behind a cone or a symmetric one, the
 * real relay on the public segment. Each consumer run is a fresh process:
 * time to the relayed connection, dial to direct (the punch), RTT and 10 MiB
 * throughput on each path; on symmetric NAT, that no punch was attempted and
 * what connecting cost; how long the agent takes to hold a reservation again
 * after the relay is killed and restarted; how long the rig's record takes to
 * find through relay B (the consumer's, not the rig's). The agent node's idle
 * RSS with the host running is set against a baseline process that loads the
 * same modules but starts no host. Needs root, iproute2 and iptables; writes bench/results/nat.json.
 *
 *   deno run -A bench/nat_bench.ts [--quick]
 */
import { dirname, join } from "node:path";
import { labAvailable } from "../tests/_natlab/lab.ts";
import {
  type ConsumerResult,
  runConsumer,
  type Running,
  startLab,
  startRelay,
  stopLab,
} from "../tests/_natlab/scenario.ts";

const ROOT = join(dirname(new URL(import.meta.url).pathname), "..");
const OUT = join(ROOT, "bench/results/nat.json");
const runs = Deno.args.includes("--quick") ? 1 : 3;

const median = (values: number[]) => {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.floor(sorted.length / 2)]!;
};
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

async function agentRss(running: Running): Promise<number> {
  await running.agent.send("rss");
  return (await running.agent.waitFor<{ rss: number }>((l) => l.event === "rss")).rss;
}

/** RSS of a deno process that imports src/nat (and the handler) but starts nothing. */
async function baselineRss(): Promise<number> {
  const script = `import "${ROOT}/src/nat/mod.ts"; import "${ROOT}/tests/_natlab/test_handler.ts";
    await new Promise((r) => setTimeout(r, 2000)); globalThis.gc?.();
    Deno.stdout.writeSync(new TextEncoder().encode(String(Deno.memoryUsage().rss)));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--v8-flags=--expose-gc", script],
    cwd: ROOT,
  }).output();
  return Number(new TextDecoder().decode(out.stdout));
}

async function cone() {
  const running = await startLab("cone");
  try {
    await new Promise((r) => setTimeout(r, 2000));
    const idleRss = await agentRss(running);
    const each: ConsumerResult[] = [];
    for (let i = 0; i < runs; i++) each.push(await runConsumer(running, ["logs", "rtt"]));
    const afterTrafficRss = await agentRss(running);
    // relay killed and restarted: how long until the agent holds a reservation again
    await running.relay.stop(true);
    const killedAt = performance.now();
    running.relay = startRelay(running.lab, running.dir);
    await running.agent.waitFor(
      (l) => l.event === "relay reserved" && l.reservations === 2,
      60_000,
    );
    const reReservedMs = performance.now() - killedAt;
    return {
      runs,
      direct: each.filter((r) => r.path === "direct").length,
      medianLookupThroughOtherRelayMs: round(median(each.map((r) => r.lookupMs))),
      medianRelayedConnectionMs: round(median(each.map((r) => r.relayedMs))),
      medianDialToDirectMs: round(median(each.map((r) => r.punch.ms))),
      medianRttDirectMs: round(median(each.map((r) => r.rttMs)), 2),
      medianRttRelayedMs: round(median(each.map((r) => r.rttRelayedMs)), 2),
      median10MiBDirectMbps: round(median(each.map((r) => r.logs.mbps))),
      median10MiBRelayedMbps: round(median(each.map((r) => r.logsRelayed.mbps))),
      directOverRelayedThroughput: round(
        median(each.map((r) => r.logs.mbps)) / median(each.map((r) => r.logsRelayed.mbps)),
        2,
      ),
      agentIdleRssMiB: round(idleRss / 2 ** 20),
      agentRssAfterTrafficMiB: round(afterTrafficRss / 2 ** 20),
      reReservedAfterRelayRestartMs: Math.round(reReservedMs),
    };
  } finally {
    await stopLab(running);
  }
}

async function symmetric() {
  const running = await startLab("symmetric");
  try {
    const each: ConsumerResult[] = [];
    for (let i = 0; i < runs; i++) each.push(await runConsumer(running, ["logs", "rtt"]));
    return {
      runs,
      punchAttempted: each.filter((r) => r.punch.result !== "not-attempted").length,
      reasons: [...new Set(each.map((r) => r.punch.reason))],
      medianRelayedConnectionMs: round(median(each.map((r) => r.relayedMs))),
      medianRttRelayedMs: round(median(each.map((r) => r.rttMs)), 2),
      median10MiBRelayedMbps: round(median(each.map((r) => r.logs.mbps))),
    };
  } finally {
    await stopLab(running);
  }
}

if (!(await labAvailable())) {
  await Deno.writeTextFile(OUT, JSON.stringify({ skipped: "needs root, ip and iptables" }) + "\n");
  Deno.exit(0);
}
const baseline = await baselineRss();
const coneFigures = await cone();
const figures = {
  cone: coneFigures,
  symmetric: await symmetric(),
  baselineRssMiB: round(baseline / 2 ** 20),
  hostRssOverBaseline: round(coneFigures.agentIdleRssMiB / (baseline / 2 ** 20), 2),
};
await Deno.writeTextFile(OUT, JSON.stringify(figures, null, 2) + "\n");
Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(figures, null, 2) + "\n"));
