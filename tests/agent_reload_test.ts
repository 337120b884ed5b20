/**
 * A config reload on SIGHUP, as systemd's `ExecReload` sends it: the real CLI
 * on the real devnet, a real config file edited in place, the ASK read back
 * from the chain.
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { discoverHardware } from "../src/bench/mod.ts";
import { createLogger } from "../src/agent/base/mod.ts";
import { type Devnet, startDevnet } from "../src/agent/setup/mod.ts";
import {
  type ChainClient,
  connectChain,
  createMarketClient,
  formatUsdPerHour,
  getOrder,
  type MarketAddresses,
  parseUsdPerHour,
  placeOrder,
} from "../src/chain/mod.ts";
import { findTasks } from "../src/docker/mod.ts";
import { type LogLine, spawnCliAgent } from "./_fixtures/agent_cli.ts";
import { ensureDockerd, lockDockerd } from "./_fixtures/dockerd.ts";
import { ensureBusyboxImage } from "./_fixtures/images.ts";
import { startRegistry } from "./_fixtures/registry.ts";
import * as workloads from "./_fixtures/workloads.ts";
import {
  createRigKeystore,
  type RunningAgent,
  startAgent,
  until,
  writeRigConfig,
} from "./_fixtures/agent_rig.ts";

const ROOT = resolve(new URL(".", import.meta.url).pathname, "..");

/** A real `sonm-agent run --log-format json` process; its log lines as they come. */
const spawnAgent = (file: string) =>
  spawnCliAgent(["run", "--config", file, "--log-format", "json"]);

const PLAN = "reloaded";

/** The example config, its dashboard on a free port, and a second plan no demo BID takes. */
async function writeConfig(file: string, price: string): Promise<void> {
  const example = await Deno.readTextFile(join(ROOT, "config.example.yaml"));
  const plan = `  - name: ${PLAN}
    price_usd_per_hour: ${price}
    resources: { cpu_cores: 1, ram: 1GiB }
    tag: "reload"
`;
  const text = example.replace("port: 9337", "port: 0").replace("\n# Docker", `${plan}\n# Docker`);
  assert.ok(text.includes(`name: ${PLAN}`), "the plan was not added to the example");
  await Deno.writeTextFile(file, text);
}

Deno.test("SIGHUP re-prices a plan's ASK on chain, refuses a broken edit by field, and sets the log level", async () => {
  const dir = await Deno.makeTempDir({ prefix: "reload-" });
  const file = join(dir, "rig.yaml");
  await writeConfig(file, `"0.5"`);
  const agent = spawnAgent(file);
  let chain: Awaited<ReturnType<typeof connectChain>> | undefined;
  try {
    const placedOf = (plan: string) => (l: LogLine) => l.msg === "placed ASK" && l.plan === plan;
    const first = await agent.waitFor(placedOf(PLAN), `"placed ASK" for ${PLAN}`);
    const devnet = agent.lines.find((l) => l.msg === "devnet is up")!;
    chain = await connectChain({ url: String(devnet.rpc), chainId: Number(devnet.chainId) });
    const addresses = Object.fromEntries(
      ["market", "token", "oracle", "blacklist", "profiles"].map((k) => [k, devnet[k]]),
    ) as MarketAddresses;
    const market = createMarketClient(chain, { addresses });
    const order = async (orderId: bigint) => {
      const found = await getOrder(market, { orderId });
      assert.ok(found !== undefined, `order ${orderId} is not on chain`);
      return found;
    };
    const firstId = BigInt(String(first.orderId));
    const before = await order(firstId);
    assert.equal(before.active, true);
    assert.equal(before.price, parseUsdPerHour("0.5"));

    // a valid edit: the plan re-priced (live) and the dashboard moved (needs a restart)
    await writeConfig(file, `"0.75"`);
    await Deno.writeTextFile(
      file,
      (await Deno.readTextFile(file)).replace("port: 0", "port: 19337"),
    );
    let mark = agent.lines.length;
    agent.hangUp();
    const second = await agent.waitFor(
      (l) => placedOf(PLAN)(l) && l.orderId !== first.orderId,
      "a new ASK after the reload",
      mark,
    );
    assert.equal(second.usdPerHour, "0.75");
    const since = agent.lines.slice(mark);
    assert.ok(
      since.some((l) => l.msg === "cancelled ASK" && l.orderId === first.orderId),
      agent.dump(),
    );
    assert.ok(
      since.some((l) => l.msg === "config reload: applied" && l.field === `plans.${PLAN}`),
      agent.dump(),
    );
    assert.ok(
      since.some((l) =>
        l.msg === "config reload: needs a restart; left as it was" && l.field === "dashboard"
      ),
      agent.dump(),
    );
    const secondId = BigInt(String(second.orderId));
    assert.equal((await order(firstId)).active, false);
    const replaced = await order(secondId);
    assert.equal(replaced.active, true);
    assert.equal(formatUsdPerHour(replaced.price), "0.75");

    // a broken edit: every problem named by field, nothing changes
    await writeConfig(file, `"-1"`);
    mark = agent.lines.length;
    agent.hangUp();
    const invalid = await agent.waitFor(
      (l) => l.msg === "config reload: invalid field",
      "the refused reload",
      mark,
    );
    assert.match(String(invalid.field), /^plans\[1\]\.price_usd_per_hour$/);
    assert.match(String(invalid.problem), /-1/);
    // one more, valid and the same as what runs: once it is done, the broken one surely was too
    await writeConfig(file, `"0.75"`);
    await Deno.writeTextFile(
      file,
      (await Deno.readTextFile(file)).replace("port: 0", "port: 19337"),
    );
    agent.hangUp();
    const done = await agent.waitFor(
      (l) => l.msg === "config reloaded",
      "the no-op reload",
      mark,
    );
    assert.equal(done.applied, 0);
    assert.equal(done.needsRestart, 1); // the dashboard's port, still as at start
    await new Promise((r) => setTimeout(r, 2_000)); // the plans step's turn after the reload
    const after = agent.lines.slice(mark);
    assert.ok(
      !after.some((l) => l.msg === "placed ASK" || l.msg === "cancelled ASK"),
      agent.dump(),
    );
    const kept = await order(secondId);
    assert.equal(kept.active, true);
    assert.equal(kept.price, replaced.price);

    // logging.level: from the next line on, info is no longer written
    const loud = await Deno.readTextFile(file);
    assert.ok(loud.includes("level: info "));
    await Deno.writeTextFile(file, loud.replace("level: info ", "level: warn "));
    mark = agent.lines.length;
    agent.hangUp();
    await agent.waitFor(
      (l) => l.msg === "config reload: applied" && l.field === "logging.level",
      "the level change",
      mark,
    );
    mark = agent.lines.length;
    assert.equal(await agent.stop(), 0);
    const quiet = agent.lines.slice(mark);
    assert.ok(quiet.every((l) => l.level !== "info"), agent.dump());
    assert.ok(!quiet.some((l) => l.msg === "stopped"), agent.dump());
  } finally {
    const code = await agent.stop();
    await chain?.close();
    await Deno.remove(dir, { recursive: true });
    assert.equal(code, 0, agent.dump());
  }
});

/** The process's resident memory now and at its peak so far, KiB (/proc/PID/status). */
async function memoryOf(pid: number): Promise<{ rssKiB: number; peakKiB: number }> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const field = (name: string) => Number(status.match(new RegExp(`${name}:\\s+(\\d+)`))?.[1]);
  return { rssKiB: field("VmRSS"), peakKiB: field("VmHWM") };
}

Deno.test("SIGHUP after `ln -sf /dev/zero rig.yaml` or with a FIFO in its place is refused at once, memory flat", async () => {
  const dir = await Deno.makeTempDir({ prefix: "reload-" });
  const file = join(dir, "rig.yaml");
  await writeConfig(file, `"0.5"`);
  const saved = await Deno.readTextFile(file);
  const agent = spawnAgent(file);
  try {
    await agent.waitFor("agent is ready");
    const before = await memoryOf(agent.pid);
    const refusedAs = async (detail: RegExp) => {
      let line;
      do { // "agent is ready" comes a little before the SIGHUP handler is: it says so, then again
        const mark = agent.lines.length;
        agent.hangUp();
        line = await agent.waitFor(
          (l) =>
            l.msg === "config reload: invalid field" ||
            l.msg === "SIGHUP before the agent is ready: no config reload",
          "the refused reload",
          mark,
        );
      } while (line.msg !== "config reload: invalid field");
      assert.equal(line.field, "(file)");
      assert.match(String(line.problem), detail);
    };
    await Deno.remove(file);
    await Deno.symlink("/dev/zero", file);
    await refusedAs(/it is not a regular file \(a device\)/);
    await Deno.remove(file);
    const fifo = await new Deno.Command("mkfifo", { args: [file] }).output();
    assert.equal(fifo.code, 0);
    await refusedAs(/it is not a regular file \(a FIFO\)/);
    const after = await memoryOf(agent.pid);
    // a FIFO no longer blocks the next reload: the real file is read again
    await Deno.remove(file);
    await Deno.writeTextFile(file, saved);
    const mark = agent.lines.length;
    agent.hangUp();
    const done = await agent.waitFor((l) => l.msg === "config reloaded", "a reload", mark);
    assert.equal(done.applied, 0);
    // reading /dev/zero whole took the agent from ~220 MB to 3.2 GB; refusing it costs nothing
    assert.ok(
      after.peakKiB - before.peakKiB < 64 * 1024,
      `peak RSS ${before.peakKiB} -> ${after.peakKiB} KiB`,
    );
  } finally {
    const code = await agent.stop();
    await Deno.remove(dir, { recursive: true });
    assert.equal(code, 0, agent.dump());
  }
});

Deno.test("runAgent()'s reload(): plans and admins change live, without a signal", async () => {
  const dir = await Deno.makeTempDir({ prefix: "reload-" });
  const quiet = createLogger({ level: "error", write: () => {} });
  let devnet: Devnet | undefined;
  let chain: ChainClient | undefined;
  let agent: RunningAgent | undefined;
  const admin = "0x" + "a1".repeat(20) as `0x${string}`;
  const plan = (name: string, price: string) =>
    `  - { name: ${name}, price_usd_per_hour: "${price}", resources: { cpu_cores: 1, ram: 1GiB } }\n`;
  try {
    const address = await createRigKeystore(dir);
    devnet = await startDevnet({ logger: quiet, fund: [address] });
    const config = await writeRigConfig(dir, devnet, "plans:\n" + plan("old", "1"));
    const hardware = await discoverHardware({ dataDir: dir });
    agent = await startAgent(config, hardware, { configFile: join(dir, "rig.yaml") });
    const running = agent;
    chain = await connectChain({ url: devnet.rpcUrl, chainId: devnet.chainId });
    const market = createMarketClient(chain, { addresses: devnet.contracts });
    const askOf = (name: string) =>
      until(`the ASK of ${name}`, () =>
        Promise.resolve(
          running.logs.find((l) => l.msg === "placed ASK" && l.plan === name)?.orderId as
            | bigint
            | string
            | undefined,
        )).then((id) => BigInt(String(id)));
    const oldAsk = await askOf("old");
    assert.equal((await getOrder(market, { orderId: oldAsk }))?.active, true);
    // an administrator's request, as the task protocol delivers it once verified
    const status = (nonce: bigint) =>
      running.ready.workloads.handler.admin({
        action: "admin.status",
        signer: admin,
        dealId: 0n,
        args: {},
        nonce,
        expiry: BigInt(Math.floor(Date.now() / 1000) + 600),
      } as never, AbortSignal.timeout(10_000));
    await assert.rejects(status(1n), /not an administrator/);

    await writeRigConfig(
      dir,
      devnet,
      `admins: ["${admin}"]\nlogging: { level: warn }\nplans:\n` + plan("new", "2"),
    );
    const outcome = await running.ready.reload();
    assert.ok(outcome.ok);
    assert.deepEqual(outcome.diff.applied.map((a) => a.field).sort(), [
      "admins",
      "logging.level",
      "plans.new",
      "plans.old",
    ]);
    assert.deepEqual(outcome.diff.refused, []);
    const newAsk = await askOf("new");
    const placed = await getOrder(market, { orderId: newAsk });
    assert.equal(placed?.active, true);
    assert.equal(placed?.price, parseUsdPerHour("2"));
    await until(
      "the old ASK cancelled",
      async () =>
        (await getOrder(market, { orderId: oldAsk }))?.active === false ? true : undefined,
    );
    // the new admin is heard, and sees the reloaded plans
    const answer = await status(2n) as { market: { plans: { name: string }[] } };
    assert.deepEqual(answer.market.plans.map((p) => p.name), ["new"]);
  } finally {
    await agent?.stop();
    await chain?.close();
    await devnet?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a reload's docker.allowed_images applies to the next task: refused before, run after", async () => {
  const lock = await lockDockerd("shared");
  const docker = await ensureDockerd();
  const registry = await startRegistry();
  const dir = await Deno.makeTempDir({ prefix: "reload-docker-" });
  const agentId = `reload-${Date.now().toString(36)}`;
  const quiet = createLogger({ level: "error", write: () => {} });
  let devnet: Devnet | undefined;
  let chain: ChainClient | undefined;
  let agent: workloads.RunningAgent | undefined;
  try {
    const local = await ensureBusyboxImage("workloads-test/busybox:e2e", "workloads-e2e");
    const other = await registry.push(local, "elsewhere/app:1");
    const address = await workloads.createRigKeystore(dir);
    devnet = await startDevnet({ logger: quiet, fund: [address] });
    const running = devnet;
    const writeConfig = (images: string[]) =>
      workloads.writeRigConfig(
        dir,
        running,
        `docker:
  allowed_images: ${JSON.stringify(images)}
plans:
  - name: small
    price_usd_per_hour: "0.36"
    resources: { cpu_cores: 0.5, ram: 64MiB, net: { outbound: true } }
`,
      );
    const config = await writeConfig([`${registry.address}/workloads/*`]);
    chain = await connectChain({ url: devnet.rpcUrl, chainId: devnet.chainId });
    const reader = createMarketClient(chain, { addresses: devnet.contracts });
    const consumer = workloads.consumerOf(chain, devnet, devnet.consumer.privateKey);
    agent = await workloads.startAgent(config, {
      hardware: await discoverHardware({ dataDir: dir }),
      agentId,
      registryAuth: { username: registry.username, password: registry.password },
      configFile: join(dir, "rig.yaml"),
    });
    const rig = agent;
    await workloads.until(
      "the plan's ASK",
      () => rig.logs.find((l) => l.msg === "placed ASK") as unknown,
    );
    const { orderId } = await placeOrder(consumer.market, {
      type: "BID",
      duration: 0n,
      price: parseUsdPerHour("0.36"),
      netflags: [false, true, false],
      benchmarks: [0n, 0n, 0n, 32n * 2n ** 20n],
    });
    const dealId = await workloads.until("the deal", async () => {
      const o = await getOrder(reader, { orderId });
      return o !== undefined && o.dealId !== 0n ? o.dealId : undefined;
    });
    const submit = async () =>
      await consumer.send(
        rig,
        await consumer.sign("submit", dealId, {
          spec: { image: other.reference, command: ["sleep", "600"] },
        }),
      );
    const refused = await submit();
    assert.equal((refused as { code: string }).code, "policy", JSON.stringify(refused));
    assert.equal((await findTasks(docker, { agentId })).length, 0);

    await writeConfig([`${registry.address}/workloads/*`, `${registry.address}/elsewhere/*`]);
    const outcome = await rig.ready.reload();
    assert.ok(outcome.ok);
    assert.deepEqual(outcome.diff.applied.map((a) => a.field), ["docker.allowed_images"]);
    const ran = await submit();
    assert.equal(
      (ran as { result: { state: string } }).result?.state,
      "running",
      JSON.stringify(ran),
    );
    assert.equal((await findTasks(docker, { agentId })).length, 1);
  } finally {
    await agent?.stop();
    await workloads.removeAgentObjects(docker, agentId);
    await chain?.close();
    await devnet?.stop();
    await registry.close();
    docker.close();
    lock.release();
    await Deno.remove(dir, { recursive: true });
  }
});
