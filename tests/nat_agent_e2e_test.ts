/**
 * The consumer's CLI reaches a real agent through a real relay: anvil with the
 * market contracts, dockerd, a registry, the agent in-process with its NAT
 * host reserved on a relay (loopback), and `sonm-agent client` processes
 * signing with the deal's consumer keystore. Submit runs the container,
 * logs come back over the relay, stop ends it; the agent's handler decides.
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
    const nat = await until("the NAT host's reservation", async () => {
      const status = await readNatStatusFile(join(dir, "data"));
      return status?.relays[0]?.state === "reserved" ? status : undefined;
    });
    const rigAddr = nat.relays[0]!.circuitAddrs.find((a) => a.includes("/tcp/"))!;

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
          "--rig",
          rigAddr,
          "--deal",
          dealId.toString(),
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
      return text(out.stdout);
    };

    const submitted = JSON.parse(await client("submit", "--task", taskFile, "--json"));
    assert.equal(submitted.path, "relay");
    assert.equal(submitted.result.state, "running");
    assert.equal((await findTasks(docker, { agentId, dealId: dealId.toString() })).length, 1);

    const logs = await until("the task's output", async () => {
      const text = await client("logs");
      return text.includes("hello-over-libp2p") ? text : undefined;
    });
    assert.match(logs, /hello-over-libp2p/);

    const stopped = JSON.parse(await client("stop", "--json"));
    assert.notEqual(stopped.result.state, "running");
  } finally {
    await agent?.stop();
    await removeAgentObjects(docker, agentId);
    await devnet?.stop();
    await relay.stop();
    await registry.close();
    docker.close();
    lock.release();
    await Deno.remove(dir, { recursive: true });
  }
});
