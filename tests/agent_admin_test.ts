/**
 * The task protocol's admin actions on a running agent (real anvil, dockerd,
 * registry): only the config's `admins` may use them; pause and resume a
 * plan (its ASK is cancelled and placed again), set its price (the ASK is
 * replaced at the new price), stop a deal's task, read the status.
 */
import assert from "node:assert/strict";
import { generatePrivateKey } from "viem/accounts";
import { discoverHardware } from "../src/bench/mod.ts";
import { getActiveOrders, getOrder, parseUsdPerHour, placeOrder } from "../src/chain/mod.ts";
import { findTasks, inspectContainer, LABEL_AGENT, listNetworks } from "../src/docker/mod.ts";
import { ensureDockerd, lockDockerd } from "./_fixtures/dockerd.ts";
import { ensureBusyboxImage } from "./_fixtures/images.ts";
import { startRegistry } from "./_fixtures/registry.ts";
import {
  consumerOf,
  removeAgentObjects,
  type RunningAgent,
  startAgent,
  until,
  writeRigConfig,
} from "./_fixtures/workloads.ts";
import { asksOf, type RigDevnet, startRigDevnet } from "./_fixtures/agent_rig.ts";

Deno.test("admin actions: only admins; pause, resume, re-price a plan; stop a task; status", async (t) => {
  const lock = await lockDockerd("shared");
  const docker = await ensureDockerd();
  const registry = await startRegistry();
  const dir = await Deno.makeTempDir({ prefix: "workloads-admin-" });
  const agentId = `workloads-admin-${Date.now().toString(36)}`;
  let rig: RigDevnet | undefined;
  let agent: RunningAgent | undefined;
  try {
    const local = await ensureBusyboxImage("workloads-test/busybox:e2e", "workloads-e2e");
    const { reference: image } = await registry.push(local, "workloads/app:1");
    rig = await startRigDevnet(dir);
    const { address, devnet: d, chain, reader } = rig;
    const admin = consumerOf(chain, d, generatePrivateKey());
    const consumer = consumerOf(chain, d, d.consumer.privateKey);
    const config = await writeRigConfig(
      dir,
      d,
      `admins: ["${admin.account.address}"]
docker:
  allowed_images: ["${registry.address}/workloads/*"]
plans:
  - name: adm
    price_usd_per_hour: "0.36"
    resources: { cpu_cores: 0.5, ram: 64MiB, net: { outbound: false } }
`,
    );
    agent = await startAgent(config, {
      hardware: await discoverHardware({ dataDir: dir }),
      agentId,
      registryAuth: { username: registry.username, password: registry.password },
    });
    const running = agent;
    const ourAsks = async () => asksOf(await getActiveOrders(reader), address);
    const first = await until("the ASK", async () => (await ourAsks())[0]);
    const code = (r: unknown) => (r as { code?: string }).code;

    await t.step("a consumer's key cannot use admin actions", async () => {
      const r = await consumer.send(running, await consumer.sign("admin.status", 0n, {}));
      assert.equal(code(r), "not-authorized");
      const p = await consumer.send(
        running,
        await consumer.sign("admin.pause-plan", 0n, { plan: "adm" }),
      );
      assert.equal(code(p), "not-authorized");
      assert.deepEqual((await ourAsks()).map((o) => o.id), [first.id]);
    });

    await t.step("pause cancels the plan's ASK, resume places it again", async () => {
      const r = await admin.send(
        running,
        await admin.sign("admin.pause-plan", 0n, { plan: "adm" }),
      );
      assert.equal(r.kind, "ok", JSON.stringify(r));
      await until("no ASK", async () => (await ourAsks()).length === 0 ? true : undefined);
      const unknown = await admin.send(
        running,
        await admin.sign("admin.pause-plan", 0n, { plan: "nope" }),
      );
      assert.equal(code(unknown), "malformed");
      await admin.send(running, await admin.sign("admin.resume-plan", 0n, { plan: "adm" }));
      await until("the ASK back", async () => (await ourAsks())[0]);
    });

    await t.step("set-price replaces the ASK at the new price", async () => {
      const r = await admin.send(
        running,
        await admin.sign("admin.set-price", 0n, { plan: "adm", priceUsdPerHour: "0.72" }),
      );
      assert.equal(r.kind, "ok", JSON.stringify(r));
      const ask = await until("the re-priced ASK", async () => {
        const asks = await ourAsks();
        return asks.length === 1 && asks[0]!.price === parseUsdPerHour("0.72")
          ? asks[0]
          : undefined;
      });
      const status = await admin.send(running, await admin.sign("admin.status", 0n, {}));
      const plans = (status as { result: { market: { plans: unknown[] } } }).result.market.plans;
      assert.deepEqual(plans, [{ name: "adm", paused: false, priceUsdPerHour: "0.72" }]);
      assert.ok(ask.id > first.id);
    });

    await t.step("stop-task stops a consumer's task", async () => {
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
        running,
        await consumer.sign("submit", dealId, { spec: { image, command: ["sleep", "900"] } }),
      );
      assert.equal(started.kind, "ok", JSON.stringify(started));
      // a plan without outbound: no network at all
      const [task] = await findTasks(docker, { agentId });
      const info = await inspectContainer(docker, { id: task!.containerId });
      assert.equal((info.hostConfig as { NetworkMode?: string }).NetworkMode, "none");
      assert.deepEqual(await listNetworks(docker, { labels: { [LABEL_AGENT]: agentId } }), []);
      const r = await admin.send(
        running,
        await admin.sign("admin.stop-task", 0n, { dealId: dealId.toString() }),
      );
      assert.equal((r as { result: { state: string } }).result.state, "stopped");
      assert.equal((await findTasks(docker, { agentId })).length, 0);
      const status = await consumer.send(running, await consumer.sign("status", dealId, {}));
      assert.match(
        String((status as { result: { message: string } }).result.message),
        /stopped by administrator/,
      );
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
