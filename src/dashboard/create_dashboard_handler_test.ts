import assert from "node:assert/strict";
import { createDashboardHandler } from "./create_dashboard_handler.ts";
import { emptySnapshot } from "./empty_snapshot.ts";
import { applySnapshotPatch } from "./_snapshot_patch.ts";
import type { DashboardAction, DashboardSource } from "./types.ts";

const LOCAL = { remoteAddr: { hostname: "127.0.0.1" } };
const TOKEN = "s3cret-token";

function setup(options: { allowRemote?: boolean; act?: boolean } = {}) {
  const actions: DashboardAction[] = [];
  let reads = 0;
  const source: DashboardSource = {
    snapshot: () => {
      reads++;
      return Promise.resolve({ ...emptySnapshot(reads), dealCounts: { open: 1, closed: 0 } });
    },
    ...(options.act === false ? {} : {
      act: (a: DashboardAction) => {
        if (a.kind === "stop-task" && a.taskId === "gone") throw new Error('no task "gone"');
        actions.push(a);
        return Promise.resolve(a.kind === "stop-task" ? { state: "stopped" } : undefined);
      },
    }),
  };
  const assets = new Map([["/", {
    body: new TextEncoder().encode("<!doctype html>"),
    type: "text/html; charset=utf-8",
  }]]);
  const handler = createDashboardHandler({
    source,
    token: TOKEN,
    assets,
    allowRemote: options.allowRemote ?? false,
    refreshMs: 50,
  });
  return { handler, actions, reads: () => reads };
}

function post(path: string, headers: Record<string, string>, body = '{"paused":true}'): Request {
  return new Request(`http://127.0.0.1:9337${path}`, {
    method: "POST",
    headers: { host: "127.0.0.1:9337", "content-type": "application/json", ...headers },
    body,
  });
}

const GOOD = { origin: "http://127.0.0.1:9337", "x-sonm-token": TOKEN };

Deno.test("dashboard handler serves the page with a strict CSP and no CORS headers", async () => {
  const { handler } = setup();
  const res = await handler.fetch(new Request("http://127.0.0.1:9337/"), LOCAL);
  assert.equal(res.status, 200);
  const csp = res.headers.get("content-security-policy")!;
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.equal(res.headers.get("x-frame-options"), "DENY");
  for (const [name] of res.headers) assert.doesNotMatch(name, /^access-control-/);
  await res.body?.cancel();
});

Deno.test("dashboard handler serves /api/status, one path per section and /metrics", async () => {
  const { handler } = setup();
  const status = await (await handler.fetch(new Request("http://127.0.0.1/api/status"), LOCAL))
    .json();
  assert.deepEqual(status.dealCounts, { open: 1, closed: 0 });
  const deals = await handler.fetch(new Request("http://127.0.0.1/api/deals"), LOCAL);
  assert.deepEqual(await deals.json(), []);
  const metrics = await handler.fetch(new Request("http://127.0.0.1/metrics"), LOCAL);
  assert.match(metrics.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
  assert.match(await metrics.text(), /^sonm_agent_deals\{state="open"\} 1$/m);
  const missing = await handler.fetch(new Request("http://127.0.0.1/api/nope"), LOCAL);
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
});

Deno.test("dashboard handler reuses one snapshot within its refresh period", async () => {
  const { handler, reads } = setup();
  await Promise.all(
    [1, 2, 3].map(async () =>
      await (await handler.fetch(new Request("http://127.0.0.1/api/chain"), LOCAL)).json()
    ),
  );
  assert.equal(reads(), 1);
});

Deno.test("dashboard handler refuses non-loopback peers and hosts unless allowed", async () => {
  const { handler } = setup();
  const far = { remoteAddr: { hostname: "192.0.2.7" } };
  const refused = await handler.fetch(new Request("http://127.0.0.1/api/status"), far);
  assert.equal(refused.status, 403);
  assert.match(await refused.text(), /loopback only/);
  const rebinding = new Request("http://evil.example/api/status", {
    headers: { host: "evil.example" },
  });
  const rebound = await handler.fetch(rebinding, LOCAL);
  assert.equal(rebound.status, 421);
  await rebound.body?.cancel();
  const open = setup({ allowRemote: true }).handler;
  const allowed = await open.fetch(new Request("http://10.0.0.5/api/status"), far);
  assert.equal(allowed.status, 200);
  await allowed.body?.cancel();
});

Deno.test("dashboard handler performs a state change with the token from the same origin", async () => {
  const { handler, actions } = setup();
  const res = await handler.fetch(post("/api/plans/gpu-a/pause", GOOD), LOCAL);
  assert.equal(res.status, 200, await res.clone().text());
  assert.deepEqual(actions, [{ kind: "pause-plan", plan: "gpu-a", paused: true }]);
  assert.deepEqual(await res.json(), { ok: true, action: actions[0] });
  const stop = await handler.fetch(post("/api/deals/7/tasks/t%201/stop", GOOD, ""), LOCAL);
  assert.equal(stop.status, 200);
  assert.deepEqual(actions[1], { kind: "stop-task", dealId: "7", taskId: "t 1" });
  // what the agent answers goes back to the page
  assert.deepEqual((await stop.json()).result, { state: "stopped" });
  const old = await handler.fetch(post("/api/tasks/1/stop", GOOD, ""), LOCAL);
  assert.equal(old.status, 404);
  await old.body?.cancel();
  const refused = await handler.fetch(post("/api/deals/7/tasks/gone/stop", GOOD, ""), LOCAL);
  assert.equal(refused.status, 409);
  assert.match(await refused.text(), /no task "gone"/);
});

Deno.test("dashboard handler refuses a state change without the token or from another origin", async () => {
  const { handler, actions } = setup();
  const cases: [string, Record<string, string>, RegExp][] = [
    ["no token", { origin: GOOD.origin }, /token/],
    ["wrong token", { ...GOOD, "x-sonm-token": "guess" }, /token/],
    ["no origin", { "x-sonm-token": TOKEN }, /Origin/],
    ["cross origin", { ...GOOD, origin: "http://evil.example" }, /origin/],
    ["other port", { ...GOOD, origin: "http://127.0.0.1:8080" }, /origin/],
    ["cross site fetch", { ...GOOD, "sec-fetch-site": "cross-site" }, /Sec-Fetch-Site/],
    ["null origin", { ...GOOD, origin: "null" }, /origin/],
  ];
  for (const [name, headers, why] of cases) {
    const res = await handler.fetch(post("/api/plans/gpu-a/pause", headers), LOCAL);
    assert.equal(res.status, 403, name);
    assert.match(await res.text(), why, name);
  }
  assert.deepEqual(actions, []);
});

Deno.test("dashboard handler names the problem with a bad state-change request", async () => {
  const { handler } = setup();
  const bad = await handler.fetch(post("/api/plans/a/pause", GOOD, '{"paused":"yes"}'), LOCAL);
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /"paused": true\|false/);
  const options = await handler.fetch(
    new Request("http://127.0.0.1/api/status", { method: "OPTIONS" }),
    LOCAL,
  );
  assert.equal(options.status, 405);
  await options.body?.cancel();
  const none = setup({ act: false }).handler;
  const unsupported = await none.fetch(post("/api/plans/a/pause", GOOD), LOCAL);
  assert.equal(unsupported.status, 501);
  await unsupported.body?.cancel();
});

Deno.test("dashboard handler streams a snapshot, then only what changed, until closed", async () => {
  const { handler } = setup();
  const res = await handler.fetch(new Request("http://127.0.0.1/api/events"), LOCAL);
  assert.equal(res.headers.get("content-type"), "text/event-stream");
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while ((text.match(/event: patch/g) ?? []).length < 2) text += (await reader.read()).value;
  const events = [...text.matchAll(/event: (\w+)\ndata: (.*)\n\n/g)].map((m) => ({
    kind: m[1]!,
    data: JSON.parse(m[2]!),
  }));
  assert.equal(events[0]!.kind, "snapshot");
  assert.equal(events[0]!.data.dealCounts.open, 1);
  // each patch carries only the change (the time), and rebuilds the source's next snapshot
  let page = events[0]!.data;
  for (const event of events.slice(1, 3)) {
    assert.equal(event.kind, "patch");
    assert.deepEqual(event.data.map((op: { p: string[] }) => op.p), [["generatedAt"]]);
    page = applySnapshotPatch(page, event.data);
  }
  assert.deepEqual(page, {
    ...emptySnapshot(page.generatedAt),
    dealCounts: { open: 1, closed: 0 },
  });
  handler.close();
  for (;;) if ((await reader.read()).done) break;
});
