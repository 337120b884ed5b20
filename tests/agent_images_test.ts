/**
 * The rig's image policy against a consumer's submits, end to end: anvil with
 * the real contracts, a real dockerd, the real agent in-process with its
 * dashboard, the consumer's signed requests. A registry on the rig's own
 * network (a TCP listener this test opens on loopback) is never contacted:
 * refused as `policy` with an empty allowlist and with `**`, before any call;
 * an invalid name is a `bad-request` quoting it once; refusals are logged at
 * info (never an error for the rig owner) and counted in /metrics; and a
 * local image that no registry has runs when the allowlist names its id,
 * submitted by id or by its local name.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { discoverHardware } from "../src/bench/mod.ts";
import {
  type ChainClient,
  connectChain,
  createMarketClient,
  getOrder,
  parseUsdPerHour,
  placeOrder,
} from "../src/chain/mod.ts";
import { createLogger } from "../src/agent/base/mod.ts";
import { type Devnet, startDevnet } from "../src/agent/setup/mod.ts";
import { openState, tasksTable } from "../src/agent/state/mod.ts";
import { findTasks, inspectContainer, inspectImage } from "../src/docker/mod.ts";
import { freePort } from "./_fixtures/agent_process.ts";
import { ensureDockerd, lockDockerd } from "./_fixtures/dockerd.ts";
import { ensureBusyboxImage } from "./_fixtures/images.ts";
import {
  consumerOf,
  createRigKeystore,
  removeAgentObjects,
  type RunningAgent,
  startAgent,
  until,
  writeRigConfig,
} from "./_fixtures/workloads.ts";

const PRICE = "0.36";

Deno.test("images: a registry on the rig's network is never contacted; bad names are bad requests; local images run by id", async (t) => {
  const lock = await lockDockerd("shared");
  const docker = await ensureDockerd();
  const dir = await Deno.makeTempDir({ prefix: "images-" });
  const agentId = `images-${Date.now().toString(36)}`;
  // the "registry" a consumer names: any connection to it is what must not happen
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const inside = (listener.addr as Deno.NetAddr).port;
  let contacted = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      contacted++;
      conn.close();
    }
  })();
  let devnet: Devnet | undefined;
  let chain: ChainClient | undefined;
  let agent: RunningAgent | undefined;
  try {
    const localTag = "images-test/busybox:local";
    await ensureBusyboxImage(localTag, "images-local");
    const localId = (await inspectImage(docker, { image: localTag })).id;
    const address = await createRigKeystore(dir);
    devnet = await startDevnet({
      logger: createLogger({ level: "error", write: () => {} }),
      fund: [address],
    });
    const port = freePort();
    const writeConfig = (images: string[]) =>
      writeRigConfig(
        dir,
        devnet!,
        `docker:
  allowed_images: ${JSON.stringify(images)}
plans:
  - name: small
    price_usd_per_hour: "${PRICE}"
    resources: { cpu_cores: 0.5, ram: 64MiB }
`,
        { dashboardPort: port },
      );
    const config = await writeConfig([]);
    chain = await connectChain({ url: devnet.rpcUrl, chainId: devnet.chainId });
    const reader = createMarketClient(chain, { addresses: devnet.contracts });
    const consumer = consumerOf(chain, devnet, devnet.consumer.privateKey);
    agent = await startAgent(config, {
      hardware: await discoverHardware({ dataDir: dir }),
      agentId,
      configFile: join(dir, "rig.yaml"),
    });
    const rig = agent;
    await until("the plan's ASK", () => rig.logs.find((l) => l.msg === "placed ASK"));
    const { orderId } = await placeOrder(consumer.market, {
      type: "BID",
      duration: 0n,
      price: parseUsdPerHour(PRICE),
      netflags: [false, false, false],
      benchmarks: [0n, 0n, 0n, 32n * 2n ** 20n],
    });
    const dealId = await until("the deal", async () => {
      const o = await getOrder(reader, { orderId });
      return o !== undefined && o.dealId !== 0n ? o.dealId : undefined;
    });
    type Reply = { kind: string; code?: string; message?: string; result?: { state: string } };
    const submit = async (image: string) =>
      await consumer.send(
        rig,
        await consumer.sign("submit", dealId, { spec: { image, command: ["sleep", "600"] } }),
      ) as Reply;
    const taskRows = () => {
      const s = openState({ path: join(dir, "data", "agent.sqlite") });
      try {
        return tasksTable(s.db).list();
      } finally {
        s.close();
      }
    };
    const errorsSince = (mark: number) => rig.logs.slice(mark).filter((l) => l.level === "error");
    const reload = async (images: string[]) => {
      await writeConfig(images);
      const outcome = await rig.ready.reload();
      assert.ok(outcome.ok, outcome.ok ? "" : outcome.error.message);
    };

    await t.step("an empty allowlist refuses a loopback registry before any call", async () => {
      const mark = rig.logs.length;
      const reply = await submit(`localhost:${inside}/a/b/c:1`);
      assert.equal(reply.code, "policy", JSON.stringify(reply));
      assert.match(reply.message!, /is empty: it allows no image/);
      assert.equal(contacted, 0, "the rig's dockerd connected to the consumer's registry");
      assert.deepEqual(taskRows(), [], "nothing journaled");
      assert.deepEqual(errorsSince(mark), [], "a consumer's refused image is no error of the rig");
    });

    await t.step("an invalid name is a bad request quoting it once", async () => {
      const reply = await submit("../../etc/passwd");
      assert.equal(reply.code, "bad-request", JSON.stringify(reply));
      assert.equal(reply.message!.split("../../etc/passwd").length, 2, reply.message);
      assert.match(reply.message!, /^image "\.\.\/\.\.\/etc\/passwd" must be lowercase path/);
    });

    await t.step(
      "`**` still refuses a registry on the rig's network, by address or by name",
      async () => {
        await reload(["**"]);
        const mark = rig.logs.length;
        for (const image of [`localhost:${inside}/a/b/c:1`, `${Deno.hostname()}:${inside}/a/b:1`]) {
          const reply = await submit(image);
          assert.equal(reply.code, "policy", JSON.stringify(reply));
          assert.match(reply.message!, /on the rig's own network; the allowlist must name it/);
        }
        assert.equal(contacted, 0, "the rig's dockerd connected to the consumer's registry");
        assert.deepEqual(taskRows(), [], "nothing journaled");
        assert.deepEqual(errorsSince(mark), []);
      },
    );

    await t.step(
      "a local image allowed by its id runs without a registry, by id or by name",
      async () => {
        await reload([localId]);
        const byId = await submit(localId);
        assert.equal(byId.result?.state, "running", JSON.stringify(byId));
        const [task] = await findTasks(docker, { agentId, dealId: dealId.toString() });
        assert.ok(task !== undefined);
        assert.equal((await inspectContainer(docker, { id: task.containerId })).image, localId);
        const stopped = await consumer.send(rig, await consumer.sign("stop", dealId, {}));
        assert.equal(stopped.kind, "ok", JSON.stringify(stopped));
        const byName = await submit(localTag);
        assert.equal(byName.result?.state, "running", JSON.stringify(byName));
        // another local image is not allowed by this id
        await consumer.send(rig, await consumer.sign("stop", dealId, {}));
        const other = await submit(`sha256:${"0".repeat(64)}`);
        assert.equal(other.code, "policy", JSON.stringify(other));
        assert.equal(contacted, 0);
      },
    );

    await t.step("the refusals are counted in /metrics by code", async () => {
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(metrics, /^sonm_agent_task_requests_refused_total\{code="policy"\} 4$/m);
      assert.match(metrics, /^sonm_agent_task_requests_refused_total\{code="bad-request"\} 1$/m);
      assert.match(metrics, /^sonm_agent_log_errors_total\{level="error"\} 0$/m);
    });
  } finally {
    listener.close();
    await accepting.catch(() => {});
    await agent?.stop();
    await removeAgentObjects(docker, agentId);
    await chain?.close();
    await devnet?.stop();
    docker.close();
    lock.release();
    await Deno.remove(dir, { recursive: true });
  }
});
