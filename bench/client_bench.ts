/**
 * The consumer's commands against a real rig, as a consumer runs them: each
 * `sonm-agent client ...` is a fresh process (wall time from spawn to exit),
 * the rig is the real agent in its own process (devnet, dockerd, a registry,
 * its NAT host reserved on a `sonm-agent relay` process on loopback), the
 * task a real container. Figures (median of `runs`, direct and relayed):
 * `status`, `submit` (a stopped task replaced: the container start included),
 * `logs` of a short task; and 10 MiB of a container's log lines through
 * `client logs`, in Mbit/s from its first byte on stdout to its exit.
 *
 * "direct": the client finds the rig from the deal (the supplier read on
 * chain, its record looked up on the relay's directory) and reaches the rig's
 * own address (loopback); "relayed": the same with `--relay-only`, through the
 * relay's circuit. (The baseline, before the lookup existed, was given the
 * rig's address with `--rig`: its direct one, or the circuit.) Writes bench/results/client.json
 * with the baseline beside it (bench/results/client_baseline.json: the same
 * bench on the code before the rig lookup and the binary log frames).
 *
 *   flock /tmp/sonm-it.lock deno run -A bench/client_bench.ts [--quick] [--runs N] [--baseline]
 *
 * `--baseline` writes client_baseline.json instead (run it on the old code).
 */
import { dirname, join } from "node:path";
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
import { containerLogs, type DockerClient, findTasks } from "../src/docker/mod.ts";
import { ensureDockerd, lockDockerd } from "../tests/_fixtures/dockerd.ts";
import { ensureBusyboxImage } from "../tests/_fixtures/images.ts";
import { startRegistry } from "../tests/_fixtures/registry.ts";
import {
  consumerOf,
  createRigKeystore,
  removeAgentObjects,
  until,
  writeRigConfig,
} from "../tests/_fixtures/workloads.ts";
import { spawnAgent } from "../tests/_fixtures/workloads_agent_process.ts";

const ROOT = join(dirname(new URL(import.meta.url).pathname), "..");
const RESULTS = join(ROOT, "bench/results");
const args = Deno.args;
const baseline = args.includes("--baseline");
const runsArg = args.indexOf("--runs");
const runs = runsArg >= 0 ? Number(args[runsArg + 1]) : args.includes("--quick") ? 3 : 10;
const PRICE = "0.36";
const TEN_MIB = 10 * 1024 * 1024;
const PASS = "bench-consumer-pass";

const median = (values: number[]) => {
  const sorted = values.toSorted((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** The relay as an operator runs it, in its own process; resolves with its addresses. */
async function startRelayProcess(dir: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      join(ROOT, "main.ts"),
      "--log-format",
      "json",
      "relay",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--echo-ports",
      "0,0",
      "--data-dir",
      join(dir, "relay"),
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the relay exited: ${text((await child.output()).stderr)}`);
    buffer += value;
    const line = buffer.split("\n").find((l) => l.includes('"relay-ready"'));
    if (line !== undefined) {
      void (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })().catch(() => {});
      void child.stderr.cancel().catch(() => {});
      const addrs = (JSON.parse(line) as { addrs: string[] }).addrs;
      return {
        addrs,
        stop: async () => {
          child.kill("SIGTERM");
          await child.status;
        },
      };
    }
  }
}

/** Bytes of output the container has so far. */
async function containerLogsBytes(docker: DockerClient, id: string): Promise<number> {
  let bytes = 0;
  for await (const chunk of containerLogs(docker, { id })) bytes += chunk.data.byteLength;
  return bytes;
}

async function logsMbps(
  path: "direct" | "relay",
  target: (path: "direct" | "relay") => string[],
): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "main.ts"), "client", "logs", ...target(path)],
    env: { NO_COLOR: "1", BENCH_PASS: PASS },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let bytes = 0;
  let first = 0;
  for await (const chunk of child.stdout) {
    if (bytes === 0) first = performance.now();
    bytes += chunk.byteLength;
  }
  const end = performance.now();
  const status = await child.status;
  if (!status.success || bytes < TEN_MIB) {
    throw new Error(`client logs (${path}): exit ${status.code}, ${bytes} bytes`);
  }
  return (bytes * 8) / ((end - first) / 1000) / 1e6;
}

type Timed = { ms: number; stdout: string; stderr: string };

async function main() {
  const lock = await lockDockerd("shared");
  const docker = await ensureDockerd();
  const registry = await startRegistry();
  const dir = await Deno.makeTempDir({ prefix: "sonm-client-bench-" });
  const agentId = `client-bench-${Date.now().toString(36)}`;
  const relay = await startRelayProcess(dir);
  let devnet: Devnet | undefined;
  let agent: Awaited<ReturnType<typeof spawnAgent>> | undefined;
  try {
    const local = await ensureBusyboxImage("sonm-bench/busybox:client", "client-bench");
    const image = await registry.push(local, "bench/app:1");
    const address = await createRigKeystore(dir);
    devnet = await startDevnet({
      logger: createLogger({ level: "error", write: () => {} }),
      fund: [address],
    });
    const relayTcp = relay.addrs.find((a) => a.includes("/tcp/"))!;
    await writeRigConfig(
      dir,
      devnet,
      `docker:
  allowed_images: ["${registry.address}/bench/*"]
plans:
  - name: small
    price_usd_per_hour: "${PRICE}"
    resources: { cpu_cores: 1, ram: 128MiB, net: { outbound: true } }
nat:
  relays: ["${relayTcp}"]
`,
    );
    agent = await spawnAgent({
      dir,
      agentId,
      registryAuth: { username: registry.username, password: registry.password },
    });
    const nat = await until("the rig's reservation", async () => {
      const status = await readNatStatusFile(join(dir, "data"));
      return status?.relays[0]?.state === "reserved" ? status : undefined;
    }, 60_000);
    const circuit = nat.relays[0]!.circuitAddrs.find((a) => a.includes("/tcp/"))!;
    const direct = nat.addrs.find((a) => a.startsWith("/ip4/127.0.0.1/tcp/"))!;

    const chain = await connectChain({ url: devnet.rpcUrl, chainId: devnet.chainId });
    const reader = createMarketClient(chain, { addresses: devnet.contracts });
    await until(
      "the plan's ASK",
      async () =>
        (await getActiveOrders(reader)).find((o) =>
          o.type === "ASK" && o.author.toLowerCase() === address.toLowerCase()
        ),
      60_000,
    );
    const consumer = consumerOf(chain, devnet, devnet.consumer.privateKey);
    const { orderId } = await placeOrder(consumer.market, {
      type: "BID",
      duration: 0n,
      price: parseUsdPerHour(PRICE),
      netflags: [false, true, false],
      benchmarks: [0n, 0n, 0n, 64n * 2n ** 20n],
    });
    const dealId = await until("the deal", async () => {
      const order = await getOrder(reader, { orderId });
      return order !== undefined && order.dealId !== 0n ? order.dealId : undefined;
    }, 60_000);
    await chain.close();
    // what `client init` writes on a devnet: pbkdf2, 10,000 rounds
    const keystore = join(dir, "consumer.json");
    await importPrivateKey({
      privateKey: devnet.consumer.privateKey,
      path: keystore,
      passphrase: PASS,
      kdf: { kdf: "pbkdf2", c: 10_000 },
    });

    const target = (path: "direct" | "relay"): string[] =>
      baseline
        ? [
          "--rig",
          path === "direct" ? direct : circuit,
          ...(path === "relay" ? ["--relay-only"] : []),
          "--deal",
          dealId.toString(),
          "--keystore",
          keystore,
          "--passphrase-env",
          "BENCH_PASS",
          "--chain-id",
          String(devnet!.chainId),
          "--market",
          devnet!.contracts.market,
        ]
        : [
          ...(path === "relay" ? ["--relay-only"] : []),
          "--deal",
          dealId.toString(),
          "--rpc",
          devnet!.rpcUrl,
          "--relay",
          relay.addrs.find((a) => a.includes("/quic-v1/"))!,
          "--keystore",
          keystore,
          "--passphrase-env",
          "BENCH_PASS",
          "--chain-id",
          String(devnet!.chainId),
          "--market",
          devnet!.contracts.market,
        ];
    const client = async (
      path: "direct" | "relay",
      ...rest: string[]
    ): Promise<Timed> => {
      const started = performance.now();
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", join(ROOT, "main.ts"), "client", ...rest, ...target(path)],
        env: { NO_COLOR: "1", BENCH_PASS: PASS },
      }).output();
      const ms = performance.now() - started;
      if (out.code !== 0) {
        throw new Error(
          `client ${rest.join(" ")} (${path}) exited ${out.code}: ${text(out.stderr)}`,
        );
      }
      return { ms, stdout: text(out.stdout), stderr: text(out.stderr) };
    };
    const taskFile = (name: string, script: string) => {
      const file = join(dir, `${name}.yaml`);
      Deno.writeTextFileSync(
        file,
        `image: ${image.reference}\ncommand: [sh, -c, ${JSON.stringify(script)}]\n`,
      );
      return file;
    };
    const shortTask = taskFile("short", "echo hello-bench; sleep 3600");
    // 10 MiB of 100-byte lines, as a chatty program writes them (whole lines: docker
    // holds back a last line without its newline)
    const chattyTask = taskFile(
      "chatty",
      `yes "$(printf '%099d' 0)" | head -n ${Math.ceil(TEN_MIB / 100)}; sleep 3600`,
    );

    await client("direct", "submit", "--task", shortTask);
    const figures: Record<string, Record<string, number[]>> = { direct: {}, relay: {} };
    const record = (path: "direct" | "relay", name: string, ms: number) =>
      (figures[path]![name] ??= []).push(ms);
    for (let i = 0; i < runs; i++) {
      for (const path of ["direct", "relay"] as const) {
        record(path, "status", (await client(path, "status", "--json")).ms);
        const logs = await client(path, "logs");
        if (!logs.stdout.includes("hello-bench")) throw new Error(`logs: ${logs.stdout}`);
        record(path, "logs", logs.ms);
        await client(path, "stop", "--json");
        record(path, "submit", (await client(path, "submit", "--task", shortTask, "--json")).ms);
      }
    }

    // 10 MiB of a real container's logs
    await client("direct", "stop", "--json");
    await client("direct", "submit", "--task", chattyTask, "--json");
    const [task] = await findTasks(docker, { agentId, dealId: dealId.toString() })
      .then((tasks) => tasks.filter((t) => t.running));
    await until(
      "10 MiB of container output",
      async () =>
        (await containerLogsBytes(docker, task!.containerId)) >= TEN_MIB ? true : undefined,
      120_000,
    );
    const throughput: Record<string, number[]> = { direct: [], relay: [], docker: [] };
    for (let i = 0; i < Math.min(runs, 5); i++) {
      for (const path of ["direct", "relay"] as const) {
        throughput[path]!.push(await logsMbps(path, target));
      }
      // the source's own rate: dockerd's log API read as the agent reads it (src/docker)
      const started = performance.now();
      const bytes = await containerLogsBytes(docker, task!.containerId);
      throughput.docker!.push((bytes * 8) / ((performance.now() - started) / 1000) / 1e6);
    }
    const summary = (path: "direct" | "relay") => ({
      ...Object.fromEntries(
        Object.entries(figures[path]!).map(([k, v]) => [`${k}MedianMs`, Math.round(median(v))]),
      ),
      logs10MiBMbps: round(median(throughput[path]!), 1),
    });
    return {
      date: new Date().toISOString(),
      runs,
      load: Deno.loadavg().map((l) => round(l)),
      keystoreKdf: "pbkdf2, 10000 rounds (client init on a devnet)",
      direct: summary("direct"),
      relay: summary("relay"),
      /** dockerd's log API alone (the ceiling of any logs path on this machine), Mbit/s. */
      dockerLogs10MiBMbps: round(median(throughput.docker!), 1),
      samplesMs: figures,
      samplesMbps: throughput,
    };
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
}

const measured = await main();
if (baseline) {
  await Deno.writeTextFile(
    join(RESULTS, "client_baseline.json"),
    JSON.stringify(measured, null, 2) + "\n",
  );
} else {
  const before = JSON.parse(
    await Deno.readTextFile(join(RESULTS, "client_baseline.json")).catch(() => "null"),
  );
  // how many times better now: a time's baseline / now, a throughput's now / baseline
  const ratio = (path: "direct" | "relay", key: string) => {
    const now = (measured[path] as Record<string, number>)[key];
    const then = before?.[path]?.[key];
    if (typeof now !== "number" || typeof then !== "number" || now <= 0 || then <= 0) return null;
    return round(key.endsWith("Mbps") ? now / then : then / now);
  };
  const keys = Object.keys(measured.direct);
  await Deno.writeTextFile(
    join(RESULTS, "client.json"),
    JSON.stringify(
      {
        ...measured,
        baseline: before === null
          ? null
          : { date: before.date, load: before.load, direct: before.direct, relay: before.relay },
        /** times better than the baseline (times: baseline / now; Mbit/s: now / baseline). */
        speedup: {
          direct: Object.fromEntries(keys.map((k) => [k, ratio("direct", k)])),
          relay: Object.fromEntries(keys.map((k) => [k, ratio("relay", k)])),
        },
      },
      null,
      2,
    ) + "\n",
  );
}
Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(measured, null, 2) + "\n"));
Deno.exit(0);
