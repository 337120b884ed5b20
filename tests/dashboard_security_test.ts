/**
 * The dashboard's network-facing rules on a real server (Deno.serve) and a
 * real peer: a client in a network namespace this test creates reaches the
 * server over a veth pair, so the server sees a non-loopback address.
 */
import assert from "node:assert/strict";
import { emptySnapshot, startDashboard } from "../src/dashboard/mod.ts";

const NS = `dash-sec-${Deno.pid}`;
const HOST_IF = `dsh${Deno.pid % 100000}`;
const NS_IF = `dsn${Deno.pid % 100000}`;
const HOST_IP = "10.213.7.1";
const NS_IP = "10.213.7.2";

async function run(cmd: string, ...args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  return { code: r.code, out: text };
}

async function must(cmd: string, ...args: string[]): Promise<void> {
  const r = await run(cmd, ...args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.out}`);
}

async function withNamespace(fn: () => Promise<void>): Promise<void> {
  await must("ip", "netns", "add", NS);
  try {
    await must("ip", "link", "add", HOST_IF, "type", "veth", "peer", "name", NS_IF);
    await must("ip", "link", "set", NS_IF, "netns", NS);
    await must("ip", "addr", "add", `${HOST_IP}/30`, "dev", HOST_IF);
    await must("ip", "link", "set", HOST_IF, "up");
    await must("ip", "netns", "exec", NS, "ip", "addr", "add", `${NS_IP}/30`, "dev", NS_IF);
    await must("ip", "netns", "exec", NS, "ip", "link", "set", NS_IF, "up");
    await must("ip", "netns", "exec", NS, "ip", "link", "set", "lo", "up");
    await fn();
  } finally {
    await run("ip", "link", "del", HOST_IF);
    await run("ip", "netns", "del", NS);
  }
}

/** curl from inside the namespace: status code and body. */
async function curlFromNamespace(url: string): Promise<{ status: number; body: string }> {
  const r = await run(
    "ip",
    "netns",
    "exec",
    NS,
    "curl",
    "-s",
    "-m",
    "5",
    "-w",
    "\n%{http_code}",
    url,
  );
  const lines = r.out.trimEnd().split("\n");
  return { status: Number(lines.pop()), body: lines.join("\n") };
}

const source = { snapshot: () => Promise.resolve(emptySnapshot(Date.now())) };

Deno.test("a dashboard bound wide without allow_remote refuses a non-loopback peer", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "dash-sec-" });
  const dash = await startDashboard({ source, hostname: "0.0.0.0", port: 0, dataDir });
  try {
    const port = new URL(dash.url).port;
    await withNamespace(async () => {
      const far = await curlFromNamespace(`http://${HOST_IP}:${port}/api/status`);
      assert.equal(far.status, 403);
      assert.match(far.body, /Cannot serve "10\.213\.7\.2": the dashboard answers loopback only/);
      const metrics = await curlFromNamespace(`http://${HOST_IP}:${port}/metrics`);
      assert.equal(metrics.status, 403, "metrics too");
    });
    const near = await fetch(`http://127.0.0.1:${port}/api/chain`);
    assert.equal(near.status, 200);
    await near.body?.cancel();
  } finally {
    await dash.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("a dashboard with allow_remote serves a non-loopback peer", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "dash-sec-" });
  const dash = await startDashboard({
    source,
    hostname: "0.0.0.0",
    port: 0,
    dataDir,
    allowRemote: true,
  });
  try {
    const port = new URL(dash.url).port;
    await withNamespace(async () => {
      const far = await curlFromNamespace(`http://${HOST_IP}:${port}/api/chain`);
      assert.equal(far.status, 200, far.body);
      assert.equal(JSON.parse(far.body).indexedBlock, null);
    });
  } finally {
    await dash.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("the dashboard's token file is 0600 and a fresh token is refused when stale", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "dash-sec-" });
  let acted = 0;
  const acting = { ...source, act: () => Promise.resolve(void acted++) };
  const first = await startDashboard({ source: acting, port: 0, dataDir });
  const stale = (await Deno.readTextFile(first.tokenPath)).trim();
  await first.stop();
  const dash = await startDashboard({ source: acting, port: 0, dataDir });
  try {
    const info = await Deno.stat(dash.tokenPath);
    assert.equal(info.mode! & 0o777, 0o600);
    const token = (await Deno.readTextFile(dash.tokenPath)).trim();
    assert.match(token, /^[0-9a-f]{64}$/);
    assert.notEqual(token, stale, "each start writes a new token");
    const send = (t: string, origin = dash.url) =>
      fetch(`${dash.url}/api/plans/p/pause`, {
        method: "POST",
        headers: { origin, "x-sonm-token": t, "content-type": "application/json" },
        body: '{"paused":true}',
      });
    const old = await send(stale);
    assert.equal(old.status, 403);
    await old.body?.cancel();
    const cross = await send(token, "http://attacker.example");
    assert.equal(cross.status, 403);
    await cross.body?.cancel();
    assert.equal(acted, 0);
    const ok = await send(token);
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    assert.equal(acted, 1);
  } finally {
    await dash.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
