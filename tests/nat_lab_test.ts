/**
 * The NAT lab: real network namespaces, NAT routers (iptables MASQUERADE,
 * stateful firewalls), the real relay command, the agent's libp2p host and a
 * consumer, each a deno process in its own namespace. Needs root, iproute2
 * and iptables (CI has them); skipped elsewhere.
 *
 * The figures come from bench/nat_bench.ts on the same lab; nothing here
 * asserts a speed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { importPrivateKey } from "../src/chain/mod.ts";
import { labAvailable, NsProcess, PUBLIC_RIG_IP } from "./_natlab/lab.ts";
import {
  type AgentStatusLine,
  CHAIN_ID,
  CONSUMER_KEY,
  type ConsumerResult,
  MARKET,
  OTHER_KEY,
  RIG_ADDRESS,
  ROOT,
  runConsumer,
  type Running,
  startLab,
  startRelay,
  stopLab,
  TEN_MIB,
} from "./_natlab/scenario.ts";

const available = await labAvailable();
/** 10,000 in CI; NATT_FUZZ_COUNT lowers it while working on the lab. */
const FUZZ_COUNT = Number(Deno.env.get("NATT_FUZZ_COUNT") ?? 10_000);

/** Runs `sonm-agent client <args>` in the consumer's namespace. */
async function clientCli(
  running: Running,
  args: string[],
  keystore = "consumer.json",
): Promise<{ code: number; stdout: string; stderr: string }> {
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
      ...cliTarget(running, keystore),
    ],
    env: { NO_COLOR: "1", NATT_PASS: "consumer-pass" },
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** Runs a client command that must succeed; returns its JSON output and the path it printed. */
async function runClientCli(
  running: Running,
  args: string[],
  keystore?: string,
): Promise<Record<string, unknown> & { printedPath: string }> {
  const out = await clientCli(running, args, keystore);
  assert.equal(out.code, 0, `client ${args[0]} failed: ${out.stderr}`);
  const path = out.stderr.match(
    /^path: (direct|relay) (\S+) \(rig (0x\w+), found in the relays' directory\)$/m,
  );
  assert.ok(path !== null, `client ${args[0]} printed no path: ${out.stderr}`);
  assert.equal(path[3], RIG_ADDRESS);
  assert.ok(path[2]!.endsWith(`/p2p/${running.peerId}`), path[2]);
  return { ...JSON.parse(out.stdout), printedPath: path[1]! };
}

/** What the CLI is told: the deal (7), the rig's address on chain, and relay B only. */
function cliTarget(running: Running, keystore = "consumer.json"): string[] {
  return [
    "--supplier",
    RIG_ADDRESS,
    "--relay",
    running.relayBAddr,
    "--deal",
    "7",
    "--keystore",
    join(running.dir, keystore),
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
    await t.step(
      "10,000 malformed messages (task, forward, punch) are all refused; the host still serves",
      async () => {
        assert.equal(result.fuzz.sent, FUZZ_COUNT);
        assert.equal(result.fuzz.punchRefused, result.fuzz.punchSent);
        const accepted = Object.keys(result.fuzz.outcomes).filter((k) => !k.startsWith("refused:"));
        assert.deepEqual(accepted, [], JSON.stringify(result.fuzz.outcomes));
        assert.equal(result.afterFuzz.state, "running");
        const after = await agentStatus(running);
        const refusals = Object.values(after.refusals as Record<string, number>)
          .reduce((a, b) => a + b, 0);
        assert.ok(refusals >= FUZZ_COUNT, JSON.stringify(after.refusals));
      },
    );
    await t.step("the consumer's CLI submits a task and forwards a port", async () => {
      await importPrivateKey({
        privateKey: CONSUMER_KEY,
        path: join(running.dir, "consumer.json"),
        passphrase: "consumer-pass",
        kdf: { kdf: "pbkdf2", c: 1000 },
      });
      await importPrivateKey({
        privateKey: OTHER_KEY,
        path: join(running.dir, "admin.json"),
        passphrase: "consumer-pass",
        kdf: { kdf: "pbkdf2", c: 1000 },
      });
      const taskFile = join(running.dir, "task.yaml");
      await Deno.writeTextFile(taskFile, "image: lab/echo:1\ncommand: [serve]\n");
      const submitted = await runClientCli(running, ["submit", "--task", taskFile]);
      assert.equal(submitted.path, "direct");
      assert.equal(submitted.printedPath, "direct");
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
    await t.step(
      "administrative accounts: status allowed, the rest and other signers refused",
      async () => {
        const status = await runClientCli(running, ["admin", "status"], "admin.json");
        assert.deepEqual(status.result, { plans: [{ name: "lab", paused: false }], tasks: 1 });
        const price = await clientCli(running, [
          "admin",
          "set-price",
          "--plan",
          "lab",
          "--price",
          "9",
        ], "admin.json");
        assert.equal(price.code, 1);
        assert.match(price.stderr, /may not admin\.set-price/);
        const consumer = await clientCli(running, ["admin", "status"]);
        assert.equal(consumer.code, 1);
        assert.match(consumer.stderr, /is no admin of this rig/);
      },
    );
    await t.step("relay killed and restarted: the agent re-reserves and republishes", async () => {
      const killedAt = Date.now();
      await running.relay.stop(true);
      running.relay = startRelay(running.lab, running.dir);
      await running.relay.waitFor((l) => l.event === "relay-ready");
      await running.agent.waitFor(
        (l) => l.event === "relay reserved" && l.reservations === 2,
        60_000,
      );
      // the restarted relay holds nothing: the record goes there again, with both circuits
      await running.agent.waitFor(
        (l) =>
          l.event === "record-published" && Number(l.at) > killedAt && Number(l.circuits) >= 2 &&
          (l.relays as string[]).some((id) => running.relayAddr.endsWith(`/p2p/${id}`)),
        30_000,
      );
      const after = await agentStatus(running);
      assert.equal(after.status.relays[0]?.state, "reserved");
      assert.equal(after.status.relays[0]?.reservations, 2);
      // looked up on the restarted relay itself: it holds the record again
      const again = await runConsumer(running, ["status"], { relayAddr: running.relayAddr });
      assert.equal(again.status.state, "running");
    });
  } finally {
    await stopLab(running);
  }
});

Deno.test({
  name: "natt- public rig: found through the consumer's relay, reached on its own address",
  ignore: !available,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const running = await startLab("cone", { publicRig: true });
  try {
    const result = await runConsumer(running, ["status"]);
    assert.equal(result.path, "direct");
    assert.equal(result.punch.result, "not-attempted");
    assert.ok(result.remoteAddr.startsWith(`/ip4/${PUBLIC_RIG_IP}/`), result.remoteAddr);
    assert.equal(result.status.state, "running");
    await importPrivateKey({
      privateKey: CONSUMER_KEY,
      path: join(running.dir, "consumer.json"),
      passphrase: "consumer-pass",
      kdf: { kdf: "pbkdf2", c: 1000 },
    });
    const status = await runClientCli(running, ["status"]);
    assert.equal(status.printedPath, "direct");
    const relayed = await runClientCli(running, ["status", "--relay-only"]);
    assert.equal(relayed.printedPath, "relay");
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
  } finally {
    await stopLab(running);
  }
});

Deno.test({
  name: "natt- UDP blocked at the rig: reserved over TCP, no punch, the task still reachable",
  ignore: !available,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const running = await startLab("cone", { blockAgentUdp: true });
  try {
    const status = await agentStatus(running);
    assert.equal(status.status.class, "udp-blocked");
    assert.equal(status.status.relays[0]?.state, "reserved");
    assert.ok(status.status.diagnostics.some((l) => l.includes("UDP is blocked")));
    const result = await runConsumer(running, ["status"]);
    assert.equal(result.class, "cone");
    assert.equal(result.punch.result, "not-attempted");
    assert.match(result.punch.reason, /udp-blocked/);
    assert.equal(result.path, "relay");
    assert.equal(result.status.state, "running");
  } finally {
    await stopLab(running);
  }
});
