/**
 * `client shell` and `client exec` against a real rig, as a consumer runs
 * them: the agent in its own process (devnet, dockerd, its NAT host reserved
 * on a relay on loopback), each `sonm-agent client ...` a fresh process that
 * finds the rig from the deal (direct; relayed with `--relay-only`).
 * Figures (medians):
 *
 * - time from spawning `client shell` (in a pseudo-terminal: `script`) to the
 *   remote prompt (`/ # `), with
 *   `client status` (a whole one-shot command: process start, deal read,
 *   lookup, connection, one request) as the baseline of the same run;
 * - a keystroke's echo round trip in an open shell (one byte in, the remote
 *   terminal's echo back on stdout), median of 100, with the same round trip
 *   through the Docker API on the rig itself (no network) as the baseline;
 * - 10 MiB through `client exec -- cat` (stdin to stdout, checked byte for
 *   byte), wall time and Mbit/s, with 10 MiB through `cat` in a Docker exec
 *   on the rig itself as the baseline.
 *
 * Writes bench/results/shell.json.
 *
 *   flock /tmp/sonm-it.lock deno run -A bench/shell_bench.ts [--quick]
 */
import { dirname, join } from "node:path";
import { generateKeyPair } from "@libp2p/crypto/keys";
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
import { attachExec, type DockerClient, findTasks, inspectImage } from "../src/docker/mod.ts";
import { startRelay } from "../src/nat/mod.ts";
import { ensureDockerd, lockDockerd } from "../tests/_fixtures/dockerd.ts";
import { ensureBusyboxImage } from "../tests/_fixtures/images.ts";
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
const quick = Deno.args.includes("--quick");
const RUNS = quick ? 2 : 5;
const KEYS = quick ? 20 : 100;
const TEN_MIB = 10 * 1024 * 1024;
const PRICE = "0.36";
const PASS = "bench-consumer-pass";
type Path = "direct" | "relay";

const median = (values: number[]) => {
  const sorted = values.toSorted((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const encode = (s: string) => new TextEncoder().encode(s);

/** A process's stdout as it arrives, with a way to wait for what it printed. */
function watch(stdout: ReadableStream<Uint8Array>) {
  let seen = "";
  let wake: (() => void) | undefined;
  const reading = (async () => {
    for await (const chunk of stdout) {
      seen += new TextDecoder().decode(chunk);
      wake?.();
    }
    wake?.();
  })();
  return {
    get seen() {
      return seen;
    },
    reading,
    /** Resolves once the output from `from` on matches, with the time it did. */
    async until(what: RegExp | string, from = 0, timeoutMs = 30_000): Promise<number> {
      const deadline = performance.now() + timeoutMs;
      const hit = () =>
        typeof what === "string" ? seen.indexOf(what, from) >= 0 : what.test(seen.slice(from));
      while (!hit()) {
        if (performance.now() > deadline) throw new Error(`no ${what} in: ${seen.slice(-300)}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 1_000);
        });
      }
      return performance.now();
    },
  };
}

/** Keystroke echoes through a writer and a watched output: ms per key. */
async function echoRoundTrips(
  write: (bytes: Uint8Array) => Promise<unknown>,
  out: ReturnType<typeof watch>,
  keys: number,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < keys; i++) {
    const key = "abcdefghijklmnopqrstuvwxyz"[i % 26]!;
    const from = out.seen.length;
    const sent = performance.now();
    await write(encode(key));
    times.push((await out.until(key, from)) - sent);
    if (i % 20 === 19) await write(encode("\x15")); // Ctrl-U: a fresh line now and then
  }
  return times;
}

/** The baseline of the echo and the copy: a Docker exec on the rig itself, no network. */
async function dockerBaseline(docker: DockerClient, id: string) {
  const shell = await attachExec(docker, { id, cmd: ["/bin/sh"], tty: true });
  await shell.resize({ cols: 80, rows: 24 });
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      for await (const chunk of shell.output) controller.enqueue(chunk.data);
      controller.close();
    },
  });
  const out = watch(stream);
  await out.until("/ # ");
  const echo = await echoRoundTrips((b) => shell.write(b), out, KEYS);
  await shell.write(encode("\x15exit\r"));
  await out.reading;
  await shell.close();

  const data = new Uint8Array(TEN_MIB).fill(97);
  const started = performance.now();
  const cat = await attachExec(docker, { id, cmd: ["cat"], tty: false });
  const feeding = (async () => {
    for (let at = 0; at < data.length; at += 65536) await cat.write(data.subarray(at, at + 65536));
    await cat.closeStdin();
  })();
  let bytes = 0;
  for await (const chunk of cat.output) bytes += chunk.data.byteLength;
  await feeding;
  const ms = performance.now() - started;
  await cat.close();
  if (bytes !== TEN_MIB) throw new Error(`docker cat gave ${bytes} bytes`);
  return { echoMs: median(echo), cat10MiBMs: ms, cat10MiBMbps: (TEN_MIB * 8) / (ms / 1000) / 1e6 };
}

async function main() {
  const lock = await lockDockerd("shared");
  const docker = await ensureDockerd();
  const dir = await Deno.makeTempDir({ prefix: "sonm-shell-bench-" });
  const agentId = `shell-bench-${Date.now().toString(36)}`;
  const relay = await startRelay({
    privateKey: await generateKeyPair("Ed25519"),
    hostname: "127.0.0.1",
    port: 0,
    echoPorts: [0, 0],
  });
  let devnet: Devnet | undefined;
  let agent: Awaited<ReturnType<typeof spawnAgent>> | undefined;
  try {
    const tag = "sonm-bench/busybox:shell";
    await ensureBusyboxImage(tag, "shell-bench");
    const imageId = (await inspectImage(docker, { image: tag })).id;
    const address = await createRigKeystore(dir);
    devnet = await startDevnet({
      logger: createLogger({ level: "error", write: () => {} }),
      fund: [address],
    });
    const relayAddr = relay.addrs.find((a) => a.includes("/tcp/"))!;
    await writeRigConfig(
      dir,
      devnet,
      `docker:
  allowed_images: ["${imageId}"]
plans:
  - name: small
    price_usd_per_hour: "${PRICE}"
    resources: { cpu_cores: 1, ram: 128MiB, net: { outbound: true } }
nat:
  relays: ["${relayAddr}"]
`,
    );
    agent = await spawnAgent({ dir, agentId });
    await until("the rig's reservation", async () => {
      const status = await readNatStatusFile(join(dir, "data"));
      return status?.relays[0]?.state === "reserved" ? status : undefined;
    }, 60_000);
    const chain = await connectChain({ url: devnet.rpcUrl, chainId: devnet.chainId });
    const reader = createMarketClient(chain, { addresses: devnet.contracts });
    const consumer = consumerOf(chain, devnet, devnet.consumer.privateKey);
    await until(
      "the plan's ASK",
      async () =>
        (await getActiveOrders(reader)).find((o) =>
          o.type === "ASK" && o.author.toLowerCase() === address.toLowerCase()
        ),
      60_000,
    );
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
    const submitted = await agent.send(
      await consumer.sign("submit", dealId, {
        spec: { image: imageId, command: ["sleep", "3600"] },
      }),
    );
    if (submitted?.kind !== "ok") throw new Error(`submit: ${JSON.stringify(submitted)}`);
    await chain.close();
    const [task] = await findTasks(docker, { agentId, dealId: dealId.toString() });
    const keystore = join(dir, "consumer.json");
    await importPrivateKey({
      privateKey: devnet.consumer.privateKey,
      path: keystore,
      passphrase: PASS,
      kdf: { kdf: "pbkdf2", c: 10_000 }, // what `client init` writes on a devnet
    });
    const args = (verb: string, path: Path) => [
      "run",
      "-A",
      join(ROOT, "main.ts"),
      "client",
      verb,
      ...(path === "relay" ? ["--relay-only"] : []),
      "--deal",
      dealId.toString(),
      "--rpc",
      devnet!.rpcUrl,
      "--relay",
      relayAddr,
      "--keystore",
      keystore,
      "--passphrase-env",
      "BENCH_PASS",
      "--chain-id",
      String(devnet!.chainId),
      "--market",
      devnet!.contracts.market,
    ];
    const env = { NO_COLOR: "1", BENCH_PASS: PASS };
    const spawn = (verb: string, path: Path, extra: string[] = []) =>
      new Deno.Command(Deno.execPath(), {
        args: [...args(verb, path), ...extra],
        env,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();

    const figures: Record<Path, Record<string, number[]>> = { direct: {}, relay: {} };
    const record = (path: Path, name: string, value: number) =>
      (figures[path][name] ??= []).push(value);
    const data = new Uint8Array(TEN_MIB);
    for (let at = 0; at < TEN_MIB; at += 65536) {
      crypto.getRandomValues(data.subarray(at, at + 65536));
    }
    const digest = async (b: Uint8Array<ArrayBuffer>) =>
      new Uint8Array(await crypto.subtle.digest("SHA-256", b)).join();
    const dataDigest = await digest(data);

    for (let run = 0; run < RUNS; run++) {
      for (const path of ["direct", "relay"] as const) {
        // the baseline: a whole one-shot command
        let started = performance.now();
        const status = await spawn("status", path).output();
        if (status.code !== 0) throw new Error(new TextDecoder().decode(status.stderr));
        record(path, "statusMs", performance.now() - started);

        // shell to its prompt, then keystroke echoes (the first run only: 100 of them)
        started = performance.now();
        // in a pseudo-terminal, as a person runs it (raw mode, no local echo)
        const inner = [Deno.execPath(), ...args("shell", path)].map((a) => `'${a}'`).join(" ");
        const shell = new Deno.Command("script", {
          args: ["-qefc", inner, "/dev/null"],
          env,
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const errors = watch(shell.stderr);
        const out = watch(shell.stdout);
        const writer = shell.stdin.getWriter();
        const prompt = await out.until("/ # ").catch((error) => {
          throw new Error(`shell (${path}): ${error.message}; stderr: ${errors.seen}`);
        });
        record(path, "shellToPromptMs", prompt - started);
        if (run === 0) {
          for (const ms of await echoRoundTrips((b) => writer.write(b), out, KEYS)) {
            record(path, "echoMs", ms);
          }
        }
        await writer.write(encode("\x15exit\r"));
        await writer.close().catch(() => {});
        if (!(await shell.status).success) throw new Error(`shell (${path}) failed`);

        // 10 MiB through cat
        started = performance.now();
        const cat = spawn("exec", path, ["--", "cat"]);
        const feeding = (async () => {
          const w = cat.stdin.getWriter();
          await w.write(data);
          await w.close();
        })();
        const output = await cat.output();
        await feeding;
        const ms = performance.now() - started;
        if (output.code !== 0 || (await digest(output.stdout)) !== dataDigest) {
          throw new Error(`exec cat (${path}): exit ${output.code}, ${output.stdout.length} bytes`);
        }
        record(path, "cat10MiBMs", ms);
      }
    }
    const local = await dockerBaseline(docker, task!.containerId);
    const summary = (path: Path) => {
      const m = (k: string) => median(figures[path][k] ?? []);
      const prompt = m("shellToPromptMs");
      const cat = m("cat10MiBMs");
      const statusMs = m("statusMs");
      return {
        shellToPromptMedianMs: Math.round(prompt),
        statusMedianMs: Math.round(statusMs),
        /** The shell's start against a whole one-shot command (same fixed costs). */
        promptVsStatus: round(prompt / statusMs),
        echoMedianMs: round(m("echoMs")),
        echoVsDocker: round(m("echoMs") / local.echoMs, 1),
        cat10MiBMedianMs: Math.round(cat),
        /** 10 MiB over the whole command's wall time (process start and lookup included). */
        cat10MiBMbps: round((TEN_MIB * 8) / (cat / 1000) / 1e6, 1),
        /** ... and over the time beyond a one-shot command's: the copy alone, roughly. */
        cat10MiBBeyondStatusMbps: round(
          (TEN_MIB * 8) / (Math.max(1, cat - statusMs) / 1000) / 1e6,
          1,
        ),
      };
    };
    return {
      date: new Date().toISOString(),
      runs: RUNS,
      keystrokes: KEYS,
      cores: navigator.hardwareConcurrency,
      load: Deno.loadavg().map((l) => round(l)),
      direct: summary("direct"),
      relay: summary("relay"),
      dockerOnRig: {
        echoMs: round(local.echoMs),
        cat10MiBMs: Math.round(local.cat10MiBMs),
        cat10MiBMbps: round(local.cat10MiBMbps, 1),
      },
      samples: figures,
    };
  } finally {
    await agent?.stop();
    await removeAgentObjects(docker, agentId);
    await devnet?.stop();
    await relay.stop();
    docker.close();
    lock.release();
    await Deno.remove(dir, { recursive: true });
  }
}

const measured = await main();
await Deno.mkdir(RESULTS, { recursive: true });
await Deno.writeTextFile(join(RESULTS, "shell.json"), JSON.stringify(measured, null, 2) + "\n");
Deno.stdout.writeSync(
  encode(
    JSON.stringify(
      { direct: measured.direct, relay: measured.relay, dockerOnRig: measured.dockerOnRig },
      null,
      2,
    ) + "\n",
  ),
);
// the children's pipes and the agent's process may hold the event loop: the figures are written
Deno.exit(0);
