/**
 * Deals run workloads, end to end with real components: anvil with the real
 * market contracts, a real dockerd, a real registry (docker-registry with
 * htpasswd) holding an image built in the test, the real agent in-process,
 * and a consumer that trades through src/chain and signs its task requests
 * (EIP-712) for the in-process transport (`dispatchTaskRequest`).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { discoverHardware } from "../src/bench/mod.ts";
import {
  approveToken,
  type ChainClient,
  closeDeal,
  connectChain,
  createChangeRequest,
  createMarketClient,
  getActiveOrders,
  getDeal,
  getOrder,
  type MarketClient,
  parseUsdPerHour,
  placeOrder,
  tokenBalance,
} from "../src/chain/mod.ts";
import { createLogger } from "../src/agent/base/mod.ts";
import { type Devnet, startDevnet } from "../src/agent/setup/mod.ts";
import { openState, tasksTable } from "../src/agent/state/mod.ts";
import {
  findTasks,
  inspectContainer,
  LABEL_AGENT,
  listNetworks,
  listVolumes,
} from "../src/docker/mod.ts";
import { ensureDockerd, lockDockerd } from "./_fixtures/dockerd.ts";
import { ensureBusyboxImage } from "./_fixtures/images.ts";
import { startRegistry } from "./_fixtures/registry.ts";
import {
  billsOf,
  consumerOf,
  createRigKeystore,
  removeAgentObjects,
  rpc,
  type RunningAgent,
  startAgent,
  until,
  writeRigConfig,
} from "./_fixtures/workloads.ts";

const PRICE = "0.36"; // USD/h = 1e14 USD-wei per second
const MIB = 2 ** 20;

Deno.test("a deal runs its consumer's task under the plan's limits, billed, and removed when the deal ends", async (t) => {
  const lock = await lockDockerd("shared");
  const docker = await ensureDockerd();
  const registry = await startRegistry();
  const dir = await Deno.makeTempDir({ prefix: "workloads-e2e-" });
  const agentId = `workloads-e2e-${Date.now().toString(36)}`;
  const quiet = createLogger({ level: "error", write: () => {} });
  let devnet: Devnet | undefined;
  let chain: ChainClient | undefined;
  let agent: RunningAgent | undefined;
  try {
    const local = await ensureBusyboxImage("workloads-test/busybox:e2e", "workloads-e2e");
    const image = await registry.push(local, "workloads/app:1");
    const other = await registry.push(local, "elsewhere/app:1");
    const address = await createRigKeystore(dir);
    const poorKey = generatePrivateKey();
    const poor = privateKeyToAccount(poorKey);
    devnet = await startDevnet({ logger: quiet, fund: [address, poor.address] });
    const config = await writeRigConfig(
      dir,
      devnet,
      `docker:
  allowed_images: ["${registry.address}/workloads/*"]
  default_limits: { pids: 64 }
plans:
  - name: small
    price_usd_per_hour: "${PRICE}"
    resources: { cpu_cores: 0.5, ram: 64MiB, net: { outbound: true } }
`,
    );
    const hardware = await discoverHardware({ dataDir: dir });
    chain = await connectChain({ url: devnet.rpcUrl, chainId: devnet.chainId });
    const reader: MarketClient = createMarketClient(chain, { addresses: devnet.contracts });
    const consumer = consumerOf(chain, devnet, devnet.consumer.privateKey);
    const stranger = consumerOf(chain, devnet, generatePrivateKey());
    const state = () => openState({ path: join(dir, "data", "agent.sqlite") });
    const json = (v: unknown) =>
      JSON.stringify(v, (_k, x) => typeof x === "bigint" ? x.toString() : x);
    const taskRows = () => {
      const s = state();
      try {
        return tasksTable(s.db).list();
      } finally {
        s.close();
      }
    };
    const ourAsk = async () =>
      (await getActiveOrders(reader)).find((o) =>
        o.type === "ASK" && o.author.toLowerCase() === address.toLowerCase()
      );
    const bid = async (who = consumer) => {
      const { orderId } = await placeOrder(who.market, {
        type: "BID",
        duration: 0n,
        price: parseUsdPerHour(PRICE),
        netflags: [false, true, false],
        benchmarks: [0n, 0n, 0n, 32n * BigInt(MIB)],
      });
      return await until("the deal", async () => {
        const o = await getOrder(reader, { orderId });
        return o !== undefined && o.dealId !== 0n ? o.dealId : undefined;
      });
    };
    const auth = { username: registry.username, password: registry.password };
    agent = await startAgent(config, { hardware, agentId, registryAuth: auth });
    const running = agent;
    await until("the plan's ASK", ourAsk);

    let dealId = 0n;
    await t.step("the agent opens a deal with the consumer's BID", async () => {
      dealId = await bid();
      const deal = await getDeal(reader, { dealId });
      assert.equal(deal?.status, "ACCEPTED");
      assert.equal(deal?.supplier.toLowerCase(), address.toLowerCase());
    });

    let containerId = "";
    await t.step("a signed submit runs the task with exactly the plan's limits", async () => {
      const reply = await consumer.send(
        running,
        await consumer.sign("submit", dealId, {
          spec: {
            image: image.reference,
            command: ["sh", "-c", "echo hello-from-task; sleep 600"],
          },
        }),
      );
      assert.equal(reply.kind, "ok", JSON.stringify(reply));
      const status = (reply as { result: { state: string; taskId: string } }).result;
      assert.equal(status.state, "running");
      assert.equal(status.taskId, "1");
      const found = await findTasks(docker, { agentId, dealId: dealId.toString() });
      assert.equal(found.length, 1);
      containerId = found[0]!.containerId;
      const info = await inspectContainer(docker, { id: containerId });
      const host = info.hostConfig as Record<string, unknown>;
      assert.equal(host.NanoCpus, 0.5e9, "cpu share: 0.5 cores");
      assert.equal(host.Memory, 64 * MIB, "ram");
      assert.equal(host.MemorySwap, 64 * MIB, "no swap");
      assert.equal(host.PidsLimit, 64, "docker.default_limits.pids");
      assert.deepEqual(host.CapDrop, ["ALL"]);
      assert.deepEqual(host.PortBindings ?? {}, {}, "no published ports without incoming");
      assert.equal(host.NetworkMode, `sonm-${agentId}-deal-${dealId}`, "the deal's own bridge");
      assert.equal(info.labels?.["sonm.deal"], dealId.toString());
      assert.equal(info.labels?.["sonm.task"], "1");
      assert.equal(info.labels?.[LABEL_AGENT], agentId);
      const row = taskRows().find((r) => r.dealId === dealId)!;
      assert.equal(row.state, "running");
      assert.equal(row.containerId, containerId);
    });

    await t.step("status and logs answer the consumer", async () => {
      const status = await consumer.send(running, await consumer.sign("status", dealId, {}));
      assert.equal(status.kind, "ok");
      assert.equal((status as { result: { state: string } }).result.state, "running");
      const logs = await consumer.send(
        running,
        await consumer.sign("logs", dealId, { follow: false }),
      );
      assert.equal(logs.kind, "stream");
      let text = "";
      for await (const c of (logs as { chunks: AsyncIterable<Uint8Array> }).chunks) {
        text += new TextDecoder().decode(c);
      }
      assert.match(text, /hello-from-task/);
    });

    await t.step("refusals change nothing", async () => {
      const before = json(taskRows());
      const envelope = await consumer.sign("status", dealId, {});
      assert.equal((await consumer.send(running, envelope)).kind, "ok");
      const replay = await consumer.send(running, envelope);
      assert.deepEqual([replay.kind, (replay as { code: string }).code], ["refused", "replay"]);
      const twin = await consumer.sign("status", dealId, {});
      const both = await Promise.all([consumer.send(running, twin), consumer.send(running, twin)]);
      assert.deepEqual(
        both.map((r) => r.kind === "ok" ? "ok" : (r as { code: string }).code).sort(),
        ["ok", "replay"],
        "two copies at once: one accepted, one replay",
      );

      const foreign = await stranger.send(
        running,
        await stranger.sign("submit", dealId, { spec: { image: image.reference } }),
      );
      assert.equal((foreign as { code: string }).code, "not-authorized");

      const busy = await consumer.send(
        running,
        await consumer.sign("submit", dealId, { spec: { image: image.reference } }),
      );
      assert.equal((busy as { code: string }).code, "unavailable", "one task at a time");

      const ports = await consumer.send(
        running,
        await consumer.sign("submit", dealId, {
          spec: { image: image.reference, ports: [{ containerPort: 80, protocol: "tcp" }] },
        }),
      );
      assert.equal((ports as { code: string }).code, "over-limits");
      assert.match((ports as { message: string }).message, /incoming/);

      const tampered = { ...(await consumer.sign("status", dealId, {})), dealId: "999" };
      const bad = await consumer.send(running, tampered);
      assert.equal(bad.kind, "refused");
      assert.notEqual((bad as { code: string }).code, "ok");

      assert.equal(json(taskRows()), before);
      assert.equal((await findTasks(docker, { agentId })).length, 1);
    });

    await t.step("the agent bills twice; the supplier gets exactly the billed amount", async () => {
      const { balance: before } = await tokenBalance(reader, { who: address });
      const from = await chain!.public.getBlockNumber({ cacheTime: 0 });
      for (const n of [1, 2]) {
        await rpc(devnet!, "evm_increaseTime", [3600]);
        await rpc(devnet!, "evm_mine", []);
        await until(`bill ${n}`, async () => {
          const bills = await billsOf(chain!, devnet!, dealId, from);
          return bills.length >= n ? bills : undefined;
        });
      }
      const bills = await billsOf(chain!, devnet!, dealId, from);
      const billed = bills.reduce((sum, b) => sum + b.args.paidAmount, 0n);
      const last = bills.at(-1)!.blockNumber;
      const { balance: after } = await tokenBalance(reader, { who: address, blockNumber: last });
      assert.ok(billed > 0n);
      assert.equal(after - before, billed);
      assert.equal((await inspectContainer(docker, { id: containerId })).state.running, true);
    });

    await t.step("a change request within the plan is accepted, one below it ignored", async () => {
      const low = await createChangeRequest(consumer.market, {
        dealId,
        newPrice: parseUsdPerHour("0.20"),
        newDuration: 0n,
      });
      await until(
        "the low request logged",
        () =>
          running.logs.find((l) =>
            l.msg === "ignored the consumer's change request" &&
            l.changeRequestId === low.changeRequestId.toString()
          ),
      );
      assert.equal((await getDeal(reader, { dealId }))?.price, parseUsdPerHour(PRICE));
      await createChangeRequest(consumer.market, {
        dealId,
        newPrice: parseUsdPerHour("0.50"),
        newDuration: 0n,
      });
      await until("the deal re-priced", async () => {
        const d = await getDeal(reader, { dealId });
        return d?.price === parseUsdPerHour("0.50") ? d : undefined;
      });
    });

    await t.step("stop by the consumer, then a second task", async () => {
      const stop = await consumer.send(running, await consumer.sign("stop", dealId, {}));
      assert.equal((stop as { result: { state: string } }).result.state, "stopped");
      assert.equal((await findTasks(docker, { agentId })).length, 0);
      const again = await consumer.send(
        running,
        await consumer.sign("submit", dealId, {
          spec: { image: image.reference, command: ["sleep", "600"] },
        }),
      );
      assert.equal((again as { result: { taskId: string } }).result.taskId, "2");
    });

    await t.step("an image the policy refuses is refused and leaves nothing", async () => {
      await consumer.send(running, await consumer.sign("stop", dealId, {}));
      const before = json(taskRows());
      const refused = await consumer.send(
        running,
        await consumer.sign("submit", dealId, { spec: { image: other.reference } }),
      );
      assert.equal((refused as { code: string }).code, "policy", JSON.stringify(refused));
      assert.equal(json(taskRows()), before);
      assert.equal((await findTasks(docker, { agentId })).length, 0);
      const again = await consumer.send(
        running,
        await consumer.sign("submit", dealId, {
          spec: { image: image.reference, command: ["sleep", "600"] },
        }),
      );
      assert.equal((again as { result: { state: string } }).result.state, "running");
    });

    await t.step(
      "the consumer closes early: container, network gone; the ASK is back",
      async () => {
        await closeDeal(consumer.market, { dealId, blacklistOther: false });
        await until(
          "the container removed",
          async () => (await findTasks(docker, { agentId })).length === 0 ? true : undefined,
        );
        await until(
          "the network removed",
          async () =>
            (await listNetworks(docker, { labels: { [LABEL_AGENT]: agentId } })).length === 0
              ? true
              : undefined,
        );
        assert.deepEqual(await listVolumes(docker, { labels: { [LABEL_AGENT]: agentId } }), []);
        const rows = taskRows().filter((r) => r.dealId === dealId);
        assert.ok(rows.every((r) => r.state !== "running" && r.state !== "starting"));
        await until("the plan's next ASK", ourAsk);
        const closed = await consumer.send(running, await consumer.sign("status", dealId, {}));
        assert.equal((closed as { code: string }).code, "deal-not-open");
      },
    );

    await t.step(
      "a consumer out of funds: the failed bill closes the deal, the task goes",
      async () => {
        const poorConsumer = consumerOf(chain!, devnet!, poorKey);
        await approveToken(poorConsumer.market, {});
        // one hour at the price, and a little: the second period cannot be locked
        await poorConsumer.drainTokens(devnet!, devnet!.deployer.address, 4n * 10n ** 17n);
        const poorDeal = await bid(poorConsumer);
        const reply = await poorConsumer.send(
          running,
          await poorConsumer.sign("submit", poorDeal, {
            spec: { image: image.reference, command: ["sleep", "600"] },
          }),
        );
        assert.equal((reply as { result: { state: string } }).result.state, "running");
        await rpc(devnet!, "evm_increaseTime", [3600]);
        await rpc(devnet!, "evm_mine", []);
        await until(
          "the deal closed by its bill",
          async () =>
            (await getDeal(reader, { dealId: poorDeal }))?.status === "CLOSED" ? true : undefined,
        );
        await until(
          "the container removed",
          async () => (await findTasks(docker, { agentId })).length === 0 ? true : undefined,
        );
      },
    );
  } finally {
    await agent?.stop();
    await removeAgentObjects(docker, agentId);
    await chain?.close();
    await devnet?.stop();
    await registry.close();
    docker.close();
    lock.release();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a forward plan selling incoming: ports on loopback, forward, replay refused after a restart, task gone at the deal's end", async () => {
  const lock = await lockDockerd("shared");
  const docker = await ensureDockerd();
  const registry = await startRegistry();
  const dir = await Deno.makeTempDir({ prefix: "workloads-incoming-" });
  const agentId = `workloads-in-${Date.now().toString(36)}`;
  let devnet: Devnet | undefined;
  let chain: ChainClient | undefined;
  let agent: RunningAgent | undefined;
  try {
    const local = await ensureBusyboxImage("workloads-test/busybox:e2e", "workloads-e2e");
    const image = await registry.push(local, "workloads/app:1");
    const address = await createRigKeystore(dir);
    devnet = await startDevnet({
      logger: createLogger({ level: "error", write: () => {} }),
      fund: [address],
    });
    const config = await writeRigConfig(
      dir,
      devnet,
      `docker:
  allowed_images: ["${registry.address}/workloads/*"]
plans:
  - name: web
    price_usd_per_hour: "${PRICE}"
    duration: 2h
    resources: { cpu_cores: 0.5, ram: 64MiB, storage: 32MiB, net: { outbound: true, incoming: true } }
`,
    );
    chain = await connectChain({ url: devnet.rpcUrl, chainId: devnet.chainId });
    const reader = createMarketClient(chain, { addresses: devnet.contracts });
    const consumer = consumerOf(chain, devnet, devnet.consumer.privateKey);
    agent = await startAgent(config, {
      hardware: await discoverHardware({ dataDir: dir }),
      agentId,
      registryAuth: { username: registry.username, password: registry.password },
    });
    const running = agent;
    await until(
      "the ASK",
      async () =>
        (await getActiveOrders(reader)).find((o) =>
          o.author.toLowerCase() === address.toLowerCase()
        ),
    );
    const { orderId } = await placeOrder(consumer.market, {
      type: "BID",
      duration: 3600n,
      price: parseUsdPerHour(PRICE),
      netflags: [false, true, true],
    });
    const dealId = await until("the deal", async () => {
      const o = await getOrder(reader, { orderId });
      return o?.dealId ? o.dealId : undefined;
    });
    const reply = await consumer.send(
      running,
      await consumer.sign("submit", dealId, {
        spec: {
          image: image.reference,
          command: [
            "sh",
            "-c",
            "echo hello-forward > /tmp/index.html; exec httpd -f -p 80 -h /tmp",
          ],
          ports: [{ containerPort: 80, protocol: "tcp" }],
        },
      }),
    );
    assert.equal(reply.kind, "ok", JSON.stringify(reply));
    const [task] = await findTasks(docker, { agentId });
    const info = await inspectContainer(docker, { id: task!.containerId });
    assert.deepEqual(info.ports.map((p) => [p.containerPort, p.hostIp]), [[80, "127.0.0.1"]]);
    // the plan's storage: a scratch volume of the deal on /scratch
    const mounts = (info.hostConfig as { Mounts?: { Target: string; Source: string }[] }).Mounts;
    assert.deepEqual(mounts?.map((m) => [m.Target, m.Source]), [[
      "/scratch",
      `sonm-${agentId}-deal-${dealId}-scratch`,
    ]]);

    const forwardEnvelope = await consumer.sign("forward", dealId, { containerPort: 80 });
    const forward = await consumer.send(running, forwardEnvelope);
    const target = (forward as { result: { hostname: string; port: number } }).result;
    assert.equal(target.hostname, "127.0.0.1");
    assert.equal(target.port, info.ports[0]!.hostPort);
    const body = await until("the task's HTTP answer", async () => {
      try {
        const r = await fetch(`http://${target.hostname}:${target.port}/index.html`);
        return r.ok ? await r.text() : undefined;
      } catch {
        return undefined;
      }
    });
    assert.equal(body.trim(), "hello-forward");
    const other = await consumer.send(
      running,
      await consumer.sign("forward", dealId, { containerPort: 81 }),
    );
    assert.equal((other as { code: string }).code, "unknown-task");

    // the nonce outlives the process: the same signed request after a restart is a replay
    await agent.stop();
    agent = await startAgent(config, {
      hardware: await discoverHardware({ dataDir: dir }),
      agentId,
      registryAuth: { username: registry.username, password: registry.password },
    });
    const replay = await consumer.send(agent, forwardEnvelope);
    assert.equal((replay as { code: string }).code, "replay");
    assert.equal((await findTasks(docker, { agentId }))[0]?.running, true, "found again by label");

    // the forward deal's hour ends: the agent closes it and removes the task
    await rpc(devnet, "evm_increaseTime", [3700]);
    await rpc(devnet, "evm_mine", []);
    await until(
      "the deal closed by the agent",
      async () => (await getDeal(reader, { dealId }))?.status === "CLOSED" ? true : undefined,
    );
    await until(
      "the task and its volume removed",
      async () =>
        (await findTasks(docker, { agentId })).length === 0 &&
          (await listVolumes(docker, { labels: { [LABEL_AGENT]: agentId } })).length === 0
          ? true
          : undefined,
    );
  } finally {
    await agent?.stop();
    await removeAgentObjects(docker, agentId);
    await chain?.close();
    await devnet?.stop();
    await registry.close();
    docker.close();
    lock.release();
    await Deno.remove(dir, { recursive: true });
  }
});
