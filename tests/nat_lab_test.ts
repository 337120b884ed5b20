/**
 * The NAT lab: real network namespaces, NAT routers (iptables MASQUERADE,
 * stateful firewalls), the real relay command, the agent's libp2p host and a
 * consumer, each a deno process in its own namespace. Needs root, iproute2
 * and iptables (CI has them); skipped elsewhere.
 *
 * Figures (time to relayed connection, dial to direct, RTT and 10 MiB
 * throughput per path, idle RSS) go to bench/results/nat_lab.json; nothing
 * here asserts a speed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { NatStatus } from "../src/nat/mod.ts";
import { importPrivateKey } from "../src/chain/mod.ts";
import { createLab, type Lab, labAvailable, NsProcess, RELAY_IP } from "./_natlab/lab.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const CONSUMER_KEY = `0x${"11".repeat(32)}` as const;
const CONSUMER_ADDRESS = "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A";
const OTHER_KEY = `0x${"22".repeat(32)}` as const;
const MARKET = "0x00000000000000000000000000000000000000aa";
const CHAIN_ID = 31337;
const TEN_MIB = 10 * 1024 * 1024;
const RELAY_PORT = 4001;
const available = await labAvailable();
/** 10,000 in CI; NATT_FUZZ_COUNT lowers it while working on the lab. */
const FUZZ_COUNT = Number(Deno.env.get("NATT_FUZZ_COUNT") ?? 10_000);

type Transfer = { bytes: number; intact: boolean; mbps: number };
/** The consumer's `result` line (tests/_natlab/consumer_node.ts). */
type ConsumerResult = {
  class: string;
  path: string;
  relayedMs: number;
  punch: { result: string; reason: string; ms: number };
  remoteAddr: string;
  status: { state: string };
  foreign: string;
  logs: Transfer;
  logsRelayed: Transfer;
  forward: { bytes: number; intact: boolean };
  rttMs: number;
  rttRelayedMs: number;
  fuzz: { sent: number; outcomes: Record<string, number> };
  afterFuzz: { state: string };
};
type AgentStatusLine = { status: NatStatus; refusals: Record<string, number> };

type Running = {
  lab: Lab;
  dir: string;
  relay: NsProcess;
  agent: NsProcess;
  relayAddr: string;
  peerId: string;
};

function startRelay(lab: Lab, dir: string): NsProcess {
  return new NsProcess(lab.ns.pub, [
    "run",
    "-A",
    join(ROOT, "main.ts"),
    "--log-format",
    "json",
    "relay",
    "--host",
    RELAY_IP,
    "--port",
    String(RELAY_PORT),
    "--echo-ports",
    "3478,3479",
    "--data-dir",
    join(dir, "relay"),
  ]);
}

async function startLab(mode: "cone" | "symmetric"): Promise<Running> {
  const lab = await createLab(mode);
  const dir = await Deno.makeTempDir({ prefix: "natt-" });
  const relay = startRelay(lab, dir);
  const ready = await relay.waitFor<{ addrs: string[] }>((l) => l.event === "relay-ready");
  const relayAddr = ready.addrs.find((a) => a.includes("/quic-v1/"))!;
  const tcpAddr = ready.addrs.find((a) => a.includes("/tcp/"))!;
  const agent = new NsProcess(lab.ns.agent, [
    "run",
    "-A",
    "--v8-flags=--expose-gc",
    join(ROOT, "tests/_natlab/agent_node.ts"),
    JSON.stringify({
      dataDir: dir,
      relays: [tcpAddr, relayAddr],
      consumer: CONSUMER_ADDRESS,
      chainId: CHAIN_ID,
      market: MARKET,
      logSize: TEN_MIB,
    }),
  ]);
  const agentReady = await agent.waitFor<{ peerId: string }>((l) => l.event === "ready");
  return { lab, dir, relay, agent, relayAddr, peerId: agentReady.peerId };
}

async function stopLab(running: Running): Promise<void> {
  await running.agent.stop();
  await running.relay.stop();
  await running.lab.down();
  await Deno.remove(running.dir, { recursive: true });
}

async function runConsumer(
  running: Running,
  steps: string[],
  extra: Record<string, unknown> = {},
): Promise<ConsumerResult> {
  const consumer = new NsProcess(running.lab.ns.consumer, [
    "run",
    "-A",
    join(ROOT, "tests/_natlab/consumer_node.ts"),
    JSON.stringify({
      relayAddr: running.relayAddr,
      rigPeerId: running.peerId,
      consumerKey: CONSUMER_KEY,
      otherKey: OTHER_KEY,
      chainId: CHAIN_ID,
      market: MARKET,
      logSize: TEN_MIB,
      forwardBytes: 1024 * 1024,
      fuzzCount: 0,
      fuzzSeed: 1,
      steps,
      ...extra,
    }),
  ]);
  try {
    return await consumer.waitFor((l) => l.event === "result", 120_000);
  } finally {
    await consumer.stop();
  }
}

/** Runs `sonm-agent client <args>` in the consumer's namespace; returns its JSON output. */
async function runClientCli(running: Running, args: string[]): Promise<Record<string, unknown>> {
  const out = await new Deno.Command("ip", {
    args: [
      "netns",
      "exec",
      running.lab.ns.consumer,
      Deno.execPath(),
      "run",
      "-A",
      join(ROOT, "main.ts"),
      "client",
      ...args,
      ...cliTarget(running),
    ],
    env: { NO_COLOR: "1", NATT_PASS: "consumer-pass" },
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.ok(out.success, `client ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(stdout);
}

function cliTarget(running: Running): string[] {
  return [
    "--rig",
    `${running.relayAddr}/p2p-circuit/p2p/${running.peerId}`,
    "--deal",
    "7",
    "--keystore",
    join(running.dir, "consumer.json"),
    "--passphrase-env",
    "NATT_PASS",
    "--chain-id",
    String(CHAIN_ID),
    "--market",
    MARKET,
    "--json",
  ];
}

/** Echoes one line through `127.0.0.1:port` from inside the consumer's namespace. */
async function echoThrough(running: Running, port: number): Promise<string> {
  const script = `const c = await Deno.connect({ hostname: "127.0.0.1", port: ${port} });
    await c.write(new TextEncoder().encode("hello task\\n")); await c.closeWrite();
    const b = new Uint8Array(64); const n = await c.read(b);
    Deno.stdout.writeSync(b.subarray(0, n ?? 0));`;
  const out = await new Deno.Command("ip", {
    args: ["netns", "exec", running.lab.ns.consumer, Deno.execPath(), "eval", script],
  }).output();
  return new TextDecoder().decode(out.stdout);
}

async function agentStatus(running: Running): Promise<AgentStatusLine> {
  await running.agent.send("status");
  return await running.agent.waitFor((l) => l.event === "status");
}

async function writeFigures(part: string, figures: Record<string, unknown>): Promise<void> {
  const path = join(ROOT, "bench/results/nat_lab.json");
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(await Deno.readTextFile(path));
  } catch { /* first part */ }
  all[part] = { ...figures, measuredAt: new Date().toISOString() };
  await Deno.writeTextFile(path, JSON.stringify(all, null, 2) + "\n");
}

Deno.test({
  name:
    "natt- cone NAT: relayed then direct path, forwarded port, foreign key refused, fuzz, relay restart",
  ignore: !available,
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  const running = await startLab("cone");
  try {
    const status = await agentStatus(running);
    assert.equal(status.status.class, "cone");
    assert.equal(status.status.relays[0]?.state, "reserved");

    let result = {} as ConsumerResult;
    const reached = await t.step("the consumer reaches the task directly", async () => {
      result = await runConsumer(running, ["status", "foreign", "logs", "forward", "rtt", "fuzz"], {
        fuzzCount: FUZZ_COUNT,
        fuzzSeed: 20261129,
      });
      assert.equal(result.class, "cone");
      assert.equal(result.punch.result, "direct", JSON.stringify(result.punch));
      assert.equal(result.path, "direct");
      assert.ok(!result.remoteAddr.includes("/p2p-circuit"), result.remoteAddr);
      assert.equal(result.status.state, "running");
      assert.deepEqual(result.logs, { ...result.logs, bytes: TEN_MIB, intact: true });
      assert.deepEqual(result.logsRelayed, { ...result.logsRelayed, bytes: TEN_MIB, intact: true });
    });
    assert.ok(reached, "the consumer run failed: the other steps depend on it");
    await t.step("a forwarded port reaches the task's published port", () => {
      assert.deepEqual(result.forward, { bytes: 1024 * 1024, intact: true });
    });
    await t.step("a request signed by another key is refused", () => {
      assert.equal(result.foreign, "not-authorized");
    });
    await t.step("10,000 malformed messages are all refused; the host still serves", async () => {
      assert.equal(result.fuzz.sent, FUZZ_COUNT);
      const accepted = Object.keys(result.fuzz.outcomes).filter((k) => !k.startsWith("refused:"));
      assert.deepEqual(accepted, [], JSON.stringify(result.fuzz.outcomes));
      assert.equal(result.afterFuzz.state, "running");
      const after = await agentStatus(running);
      const refusals = Object.values(after.refusals as Record<string, number>)
        .reduce((a, b) => a + b, 0);
      assert.ok(refusals >= FUZZ_COUNT, JSON.stringify(after.refusals));
    });
    await t.step("the consumer's CLI submits a task and forwards a port", async () => {
      await importPrivateKey({
        privateKey: CONSUMER_KEY,
        path: join(running.dir, "consumer.json"),
        passphrase: "consumer-pass",
        kdf: { kdf: "pbkdf2", c: 1000 },
      });
      const taskFile = join(running.dir, "task.yaml");
      await Deno.writeTextFile(taskFile, "image: lab/echo:1\ncommand: [serve]\n");
      const submitted = await runClientCli(running, ["submit", "--task", taskFile]);
      assert.equal(submitted.path, "direct");
      assert.deepEqual(submitted.result, {
        ...(submitted.result as object),
        image: "lab/echo:1",
        state: "running",
      });
      const forward = new NsProcess(running.lab.ns.consumer, [
        "run",
        "-A",
        join(ROOT, "main.ts"),
        "client",
        "forward",
        "--container-port",
        "8080",
        ...cliTarget(running),
      ], { NATT_PASS: "consumer-pass" });
      try {
        const ready = await forward.waitFor<{ port: number; path: string }>(
          (l) => l.event === "forwarding",
        );
        assert.equal(ready.path, "direct");
        assert.equal(await echoThrough(running, ready.port), "hello task\n");
      } finally {
        await forward.stop();
      }
    });
    let rss = 0;
    await t.step("idle RSS with the host running", async () => {
      await running.agent.send("rss");
      rss = (await running.agent.waitFor<{ rss: number }>((l) => l.event === "rss")).rss;
      assert.ok(rss > 0);
    });
    let reReservedMs = 0;
    await t.step("relay killed and restarted: the agent re-reserves", async () => {
      await running.relay.stop(true);
      const killedAt = performance.now();
      running.relay = startRelay(running.lab, running.dir);
      await running.relay.waitFor((l) => l.event === "relay-ready");
      await running.agent.waitFor(
        (l) => l.event === "relay reserved" && l.reservations === 2,
        60_000,
      );
      reReservedMs = performance.now() - killedAt;
      const after = await agentStatus(running);
      assert.equal(after.status.relays[0]?.state, "reserved");
      assert.equal(after.status.relays[0]?.reservations, 2);
      const again = await runConsumer(running, ["status"]);
      assert.equal(again.status.state, "running");
    });
    await writeFigures("cone", {
      relayedConnectionMs: result.relayedMs,
      dialToDirectMs: result.punch.ms,
      rttDirectMs: result.rttMs,
      rttRelayedMs: result.rttRelayedMs,
      throughput10MiBDirectMbps: result.logs.mbps,
      throughput10MiBRelayedMbps: result.logsRelayed.mbps,
      agentIdleRssBytes: rss,
      reReservedAfterRelayRestartMs: reReservedMs,
      fuzzOutcomes: result.fuzz.outcomes,
    });
  } finally {
    await stopLab(running);
  }
});

Deno.test({
  name: "natt- symmetric NAT: no punch, the relay carries 10 MiB and a forwarded port",
  ignore: !available,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const running = await startLab("symmetric");
  try {
    const result = await runConsumer(running, ["status", "logs", "forward", "rtt"]);
    assert.equal(result.class, "symmetric");
    assert.equal(result.punch.result, "not-attempted");
    assert.match(result.punch.reason, /symmetric/);
    assert.equal(result.path, "relay");
    assert.ok(result.remoteAddr.includes("/p2p-circuit"));
    assert.equal(result.status.state, "running");
    assert.deepEqual(result.logs, { ...result.logs, bytes: TEN_MIB, intact: true });
    assert.deepEqual(result.forward, { bytes: 1024 * 1024, intact: true });
    await writeFigures("symmetric", {
      relayedConnectionMs: result.relayedMs,
      punchAttempted: false,
      rttRelayedMs: result.rttMs,
      throughput10MiBRelayedMbps: result.logs.mbps,
    });
  } finally {
    await stopLab(running);
  }
});
