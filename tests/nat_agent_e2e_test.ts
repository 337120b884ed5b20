/**
 * The consumer's CLI reaches a real agent from the deal id alone: anvil with
 * the market contracts, dockerd, a registry, the agent in-process with its
 * NAT host reserved on relay A (loopback) and its signed record published on
 * the relays' directory, and `sonm-agent client` processes that know only
 * relay B (joined with A) and the deal: each reads the deal's supplier on
 * chain, looks the rig up through B, checks its record, and says which path
 * it took. Submit runs the container, logs come back (binary frames, direct
 * and relayed), stop ends it; the agent's handler decides.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { discoverHardware } from "../src/bench/mod.ts";
import {
  connectChain,
  createMarketClient,
  getActiveOrders,
  getOrder,
  importPrivateKey,
  parseUsdPerHour,
  placeOrder,
} from "../src/chain/mod.ts";
import { createLogger } from "../src/agent/base/mod.ts";
import { type Devnet, startDevnet } from "../src/agent/setup/mod.ts";
import { readNatStatusFile } from "../src/agent/state/mod.ts";
import { findTasks } from "../src/docker/mod.ts";
import { startRelay } from "../src/nat/mod.ts";
import { ensureDockerd, lockDockerd } from "./_fixtures/dockerd.ts";
import { ensureBusyboxImage } from "./_fixtures/images.ts";
import { startRegistry } from "./_fixtures/registry.ts";
import {
  consumerOf,
  createRigKeystore,
  removeAgentObjects,
  type RunningAgent,
  startAgent,
  until,
  writeRigConfig,
} from "./_fixtures/workloads.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const PRICE = "0.36";

Deno.test("natt- the consumer's CLI runs, reads and stops its task through the relay", async () => {
  const lock = await lockDockerd("shared");
  const docker = await ensureDockerd();
  const registry = await startRegistry();
  const relay = await startRelay({
    privateKey: await generateKeyPair("Ed25519"),
    hostname: "127.0.0.1",
    port: 0,
    echoPorts: [0, 0],
  });
  // the consumer's relay: not the rig's, joined with it in one directory
  const consumerRelay = await startRelay({
    privateKey: await generateKeyPair("Ed25519"),
    hostname: "127.0.0.1",
    port: 0,
    echoPorts: [0, 0],
    peers: relay.addrs.filter((a) => a.includes("/tcp/")),
  });
  const dir = await Deno.makeTempDir({ prefix: "natt-e2e-" });
  const agentId = `natt-e2e-${Date.now().toString(36)}`;
  let devnet: Devnet | undefined;
  let agent: RunningAgent | undefined;
  try {
    const local = await ensureBusyboxImage("natt-test/busybox:e2e", "natt-e2e");
    const image = await registry.push(local, "natt/app:1");
    const address = await createRigKeystore(dir);
    devnet = await startDevnet({
      logger: createLogger({ level: "error", write: () => {} }),
      fund: [address],
    });
    const relayAddr = relay.addrs.find((a) => a.includes("/tcp/"))!;
    const config = await writeRigConfig(
      dir,
      devnet,
      `docker:
  allowed_images: ["${registry.address}/natt/*"]
plans:
  - name: small
    price_usd_per_hour: "${PRICE}"
    resources: { cpu_cores: 0.5, ram: 64MiB, net: { outbound: true } }
nat:
  relays: ["${relayAddr}"]
`,
    );
    const chain = await connectChain({ url: devnet.rpcUrl, chainId: devnet.chainId });
    const reader = createMarketClient(chain, { addresses: devnet.contracts });
    agent = await startAgent(config, {
      hardware: await discoverHardware({ dataDir: dir }),
      agentId,
      registryAuth: { username: registry.username, password: registry.password },
    });
    await until("the NAT host's reservation", async () => {
      const status = await readNatStatusFile(join(dir, "data"));
      return status?.relays[0]?.state === "reserved" ? status : undefined;
    });
    await until(
      "the rig's record on the directory",
      () => agent!.logs.find((l) => l.msg === "rig record published"),
    );
    await until("the relays joined", () => consumerRelay.directoryPeers() >= 1 || undefined);

    // the consumer takes the plan's ASK: a deal
    await until(
      "the plan's ASK",
      async () =>
        (await getActiveOrders(reader)).find((o) =>
          o.type === "ASK" && o.author.toLowerCase() === address.toLowerCase()
        ),
    );
    const consumer = consumerOf(chain, devnet, devnet.consumer.privateKey);
    const { orderId } = await placeOrder(consumer.market, {
      type: "BID",
      duration: 0n,
      price: parseUsdPerHour(PRICE),
      netflags: [false, true, false],
      benchmarks: [0n, 0n, 0n, 32n * 2n ** 20n],
    });
    const dealId = await until("the deal", async () => {
      const order = await getOrder(reader, { orderId });
      return order !== undefined && order.dealId !== 0n ? order.dealId : undefined;
    });
    await chain.close();

    await importPrivateKey({
      privateKey: devnet.consumer.privateKey,
      path: join(dir, "consumer.json"),
      passphrase: "consumer-pass",
      kdf: { kdf: "pbkdf2", c: 1000 },
    });
    const taskFile = join(dir, "task.yaml");
    await Deno.writeTextFile(
      taskFile,
      `image: ${image.reference}\ncommand: [sh, -c, "echo hello-over-libp2p; sleep 600"]\n`,
    );
    const client = async (...args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          join(ROOT, "main.ts"),
          "client",
          ...args,
          "--deal",
          dealId.toString(),
          "--rpc",
          devnet!.rpcUrl,
          "--relay",
          consumerRelay.addrs.find((a) => a.includes("/tcp/"))!,
          "--keystore",
          join(dir, "consumer.json"),
          "--passphrase-env",
          "NATT_PASS",
          "--chain-id",
          String(devnet!.chainId),
          "--market",
          devnet!.contracts.market,
        ],
        env: { NO_COLOR: "1", NATT_PASS: "consumer-pass" },
      }).output();
      const text = (b: Uint8Array) => new TextDecoder().decode(b);
      assert.equal(out.code, 0, `client ${args[0]}: ${text(out.stderr)}`);
      // every command says which way it went, on stderr
      const path = text(out.stderr).match(/^path: (direct|relay) (\S+) \(rig (0x\w+), (.+)\)$/m);
      assert.ok(path !== null, `client ${args[0]} printed no path: ${text(out.stderr)}`);
      assert.equal(path[3], address, "the rig is the deal's supplier");
      assert.equal(path[4], "found in the relays' directory");
      return { stdout: text(out.stdout), path: path[1], remoteAddr: path[2]! };
    };

    const submitted = await client("submit", "--task", taskFile, "--json");
    assert.equal(submitted.path, "direct"); // the rig's own address, on this machine
    const answer = JSON.parse(submitted.stdout); // stdout holds the answer alone
    assert.equal(answer.path, "direct");
    assert.equal(answer.result.state, "running");
    assert.equal((await findTasks(docker, { agentId, dealId: dealId.toString() })).length, 1);

    for (const how of [[], ["--relay-only"]]) {
      const logs = await until("the task's output", async () => {
        const out = await client("logs", ...how);
        return out.stdout.includes("hello-over-libp2p") ? out : undefined;
      });
      assert.equal(logs.path, how.length === 0 ? "direct" : "relay");
      assert.equal(logs.remoteAddr.includes("/p2p-circuit"), how.length > 0);
      assert.match(logs.stdout, /^hello-over-libp2p$/m);
    }

    const stopped = await client("stop", "--json");
    assert.notEqual(JSON.parse(stopped.stdout).result.state, "running");
  } finally {
    await agent?.stop();
    await removeAgentObjects(docker, agentId);
    await devnet?.stop();
    await consumerRelay.stop();
    await relay.stop();
    await registry.close();
    docker.close();
    lock.release();
    await Deno.remove(dir, { recursive: true });
  }
});
