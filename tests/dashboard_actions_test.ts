/**
 * The dashboard's controls on a running agent (real anvil and contracts,
 * dockerd, a registry): HTTP to its loopback port with the token from the
 * data directory and the page's origin, as the page sends them. Pausing a
 * plan cancels its ASK on chain and keeps it off; resuming places it again;
 * stopping a deal's task stops and removes its container. The same admin
 * actions answer the task protocol's `admin.*` (tests/agent_admin_test.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { discoverHardware } from "../src/bench/mod.ts";
import { getActiveOrders, getOrder, parseUsdPerHour, placeOrder } from "../src/chain/mod.ts";
import type { PlanStatus, TaskStatus } from "../src/dashboard/mod.ts";
import { findTasks } from "../src/docker/mod.ts";
import { freePort } from "./_fixtures/agent_process.ts";
import { ensureDockerd, lockDockerd } from "./_fixtures/dockerd.ts";
import { ensureBusyboxImage } from "./_fixtures/images.ts";
import { startRegistry } from "./_fixtures/registry.ts";
import {
  consumerOf,
  removeAgentObjects,
  rpc,
  type RunningAgent,
  startAgent,
  until,
  writeRigConfig,
} from "./_fixtures/workloads.ts";
import { asksOf, type RigDevnet, startRigDevnet } from "./_fixtures/agent_rig.ts";

Deno.test("dashboard controls: pause and resume a plan on chain, stop a deal's task", async (t) => {
  const lock = await lockDockerd("shared");
  const docker = await ensureDockerd();
  const registry = await startRegistry();
  const dir = await Deno.makeTempDir({ prefix: "wire-dash-actions-" });
  const agentId = `wire-dash-${Date.now().toString(36)}`;
  let rig: RigDevnet | undefined;
  let agent: RunningAgent | undefined;
  try {
    const local = await ensureBusyboxImage("workloads-test/busybox:e2e", "workloads-e2e");
    const { reference: image } = await registry.push(local, "wire/app:1");
    rig = await startRigDevnet(dir);
    const { address, devnet: d, chain, reader } = rig;
    const consumer = consumerOf(chain, d, d.consumer.privateKey);
    const port = freePort();
    const config = await writeRigConfig(
      dir,
      d,
      `docker:
  allowed_images: ["${registry.address}/wire/*"]
plans:
  - name: dash-a
    price_usd_per_hour: "0.36"
    resources: { cpu_cores: 0.5, ram: 64MiB }
`,
      { dashboardPort: port },
    );
    agent = await startAgent(config, {
      hardware: await discoverHardware({ dataDir: dir }),
      agentId,
      registryAuth: { username: registry.username, password: registry.password },
    });
    const url = `http://127.0.0.1:${port}`;
    assert.ok(agent.logs.some((l) => l.msg === "dashboard is up" && l.url === url));
    const token = (await Deno.readTextFile(join(dir, "data", "dashboard.token"))).trim();
    // what the page sends: its own origin and the token it was given
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(url + path, {
        method: "POST",
        headers: {
          origin: url,
          "x-sonm-token": token,
          "content-type": "application/json",
          ...headers,
        },
        body: JSON.stringify(body),
      });
    const get = async <T>(path: string): Promise<T> =>
      (await (await fetch(url + path)).json()) as T;
    const plan = async () =>
      (await get<PlanStatus[]>("/api/plans")).find((p) => p.plan === "dash-a");
    const ourAsks = async () => asksOf(await getActiveOrders(reader), address);
    const first = await until("the plan's ASK", async () => (await ourAsks())[0]);

    await t.step("a change without the token or from another origin changes nothing", async () => {
      const none = await post("/api/plans/dash-a/pause", { paused: true }, { "x-sonm-token": "" });
      assert.equal(none.status, 403);
      assert.match(await none.text(), /needs the token/);
      const cross = await post("/api/plans/dash-a/pause", { paused: true }, {
        origin: "http://evil.example",
      });
      assert.equal(cross.status, 403);
      await cross.body?.cancel();
      const unknown = await post("/api/plans/nope/pause", { paused: true });
      assert.equal(unknown.status, 409);
      assert.match(await unknown.text(), /plan "nope" is not in this rig's config/);
      assert.deepEqual((await ourAsks()).map((o) => o.id), [first.id]);
      assert.equal((await plan())?.paused, false);
    });

    await t.step("pause cancels the plan's ASK on chain and keeps it off", async () => {
      const res = await post("/api/plans/dash-a/pause", { paused: true });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), {
        ok: true,
        action: { kind: "pause-plan", plan: "dash-a", paused: true },
        result: { plan: "dash-a", paused: true },
      });
      await until("no ASK", async () => (await ourAsks()).length === 0 ? true : undefined);
      assert.equal((await getOrder(reader, { orderId: first.id }))?.active, false);
      assert.ok(
        agent!.logs.some((l) =>
          l.msg === "plan paused" && l.plan === "dash-a" && l.by === "dashboard"
        ),
        "the change is logged with who asked",
      );
      const shown = await until("the plan shown paused", async () => {
        const p = await plan();
        return p?.paused && p.orderId === null ? p : undefined;
      });
      assert.equal(shown.active, false);
      // blocks go by (each wakes the market step): the paused plan is not placed again
      for (let i = 0; i < 5; i++) {
        await rpc(d, "evm_mine", []);
        await new Promise((r) => setTimeout(r, 300));
      }
      assert.deepEqual(await ourAsks(), []);
      const metrics = await (await fetch(url + "/metrics")).text();
      assert.match(metrics, /sonm_agent_plan_ask_active\{plan="dash-a"\} 0/);
      assert.match(metrics, /sonm_agent_plan_paused\{plan="dash-a"\} 1/);
    });

    await t.step("resume places the plan's ASK again", async () => {
      const res = await post("/api/plans/dash-a/pause", { paused: false });
      assert.equal(res.status, 200);
      assert.deepEqual((await res.json()).result, { plan: "dash-a", paused: false });
      const ask = await until("the ASK back", async () => (await ourAsks())[0]);
      assert.ok(ask.id > first.id);
      assert.equal(ask.price, parseUsdPerHour("0.36"));
      await until("the plan shown active", async () => {
        const p = await plan();
        return p?.active && !p.paused && p.orderId === ask.id.toString() ? p : undefined;
      });
      const metrics = await (await fetch(url + "/metrics")).text();
      assert.match(metrics, /sonm_agent_plan_paused\{plan="dash-a"\} 0/);
    });

    await t.step("stop ends a deal's task and removes its container", async () => {
      const { orderId } = await placeOrder(consumer.market, {
        type: "BID",
        duration: 0n,
        price: parseUsdPerHour("1"),
      });
      const dealId = await until("the deal", async () => {
        const o = await getOrder(reader, { orderId });
        return o?.dealId ? o.dealId : undefined;
      });
      const started = await consumer.send(
        agent!,
        await consumer.sign("submit", dealId, { spec: { image, command: ["sleep", "900"] } }),
      );
      assert.equal(started.kind, "ok", JSON.stringify(started));
      const task = await until(
        "the task running on the page's API",
        async () =>
          (await get<TaskStatus[]>("/api/tasks")).find((x) =>
            x.dealId === dealId.toString() && x.state === "running"
          ),
      );
      assert.equal((await findTasks(docker, { agentId })).length, 1);

      const unknown = await post(`/api/deals/${dealId}/tasks/9/stop`, {});
      assert.equal(unknown.status, 409);
      assert.match(await unknown.text(), new RegExp(`deal ${dealId} has no task 9`));
      const res = await post(`/api/deals/${dealId}/tasks/${task.taskId}/stop`, {});
      assert.equal(res.status, 200);
      const answer = await res.json();
      assert.equal(answer.result.state, "stopped");
      assert.equal((await findTasks(docker, { agentId })).length, 0);
      const shown = (await get<TaskStatus[]>("/api/tasks")).find((x) => x.taskId === task.taskId);
      assert.equal(shown?.state, "stopped");
      assert.equal(shown?.message, "stopped from the dashboard");
      // the consumer sees who stopped it; a second stop answers the same, changing nothing
      const status = await consumer.send(agent!, await consumer.sign("status", dealId, {}));
      assert.match(JSON.stringify(status), /stopped from the dashboard/);
      const again = await post(`/api/deals/${dealId}/tasks/${task.taskId}/stop`, {});
      assert.equal((await again.json()).result.state, "stopped");
    });
  } finally {
    await agent?.stop();
    await removeAgentObjects(docker, agentId);
    await rig?.close();
    await registry.close();
    docker.close();
    lock.release();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dashboard controls: a paused auto-priced plan leaves the market, resumed it returns", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wire-dash-auto-" });
  let rig: RigDevnet | undefined;
  let agent: RunningAgent | undefined;
  try {
    rig = await startRigDevnet(dir);
    const { address, devnet: d, chain, reader } = rig;
    const consumer = consumerOf(chain, d, d.consumer.privateKey);
    // two BIDs to price from, both below the power floor: the ASK stands unmatched
    for (const usd of ["0.10", "0.20"]) {
      await placeOrder(consumer.market, { type: "BID", duration: 0n, price: parseUsdPerHour(usd) });
    }
    const port = freePort();
    const config = await writeRigConfig(
      dir,
      d,
      `plans:
  - name: dash-auto
    price_usd_per_hour: auto
    auto_price: { target_quantile: 0.5, min_interval: 1s, max_step_percent: 10 }
    resources: { cpu_cores: 1, ram: 64MiB }
power: { idle_watts: 60, load_watts: 4000, price_per_kwh: "1" }
`,
      { dashboardPort: port },
    );
    agent = await startAgent(config, {
      hardware: await discoverHardware({ dataDir: dir }),
      agentId: `wire-dash-auto-${Date.now().toString(36)}`,
    });
    const url = `http://127.0.0.1:${port}`;
    const token = (await Deno.readTextFile(join(dir, "data", "dashboard.token"))).trim();
    const pause = (paused: boolean) =>
      fetch(`${url}/api/plans/dash-auto/pause`, {
        method: "POST",
        headers: { origin: url, "x-sonm-token": token, "content-type": "application/json" },
        body: JSON.stringify({ paused }),
      });
    const ourAsks = async () => asksOf(await getActiveOrders(reader), address);
    const first = await until("the auto plan's ASK", async () => (await ourAsks())[0]);
    assert.ok(first.price > parseUsdPerHour("0.20"), "priced at the power floor, above the BIDs");

    const paused = await pause(true);
    assert.equal(paused.status, 200, await paused.clone().text());
    await paused.body?.cancel();
    await until("no ASK", async () => (await ourAsks()).length === 0 ? true : undefined);
    // new BIDs wake the price and plans steps: the paused plan stays off
    await placeOrder(consumer.market, {
      type: "BID",
      duration: 0n,
      price: parseUsdPerHour("0.15"),
    });
    for (let i = 0; i < 5; i++) {
      await rpc(d, "evm_mine", []);
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.deepEqual(await ourAsks(), []);

    const resumed = await pause(false);
    assert.equal(resumed.status, 200);
    await resumed.body?.cancel();
    const back = await until("the ASK back", async () => (await ourAsks())[0]);
    assert.ok(back.id > first.id);
  } finally {
    await agent?.stop();
    await rig?.close();
    await Deno.remove(dir, { recursive: true });
  }
});
