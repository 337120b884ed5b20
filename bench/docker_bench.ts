// deno-lint-ignore-file no-console -- a benchmark prints its table
/**
 * Docker benchmark (issue #6): container create+start latency of our client
 * against `docker run -d` with the docker CLI (same image, same command,
 * interleaved in one run), the hardened `startTask` (own bridge network per
 * deal) for reference, and log-stream throughput of `containerLogs` against
 * `docker logs`.
 *
 *   deno run -A bench/docker_bench.ts            # 30 rounds, 64 MiB of logs
 *   deno run -A bench/docker_bench.ts --quick    # 3 rounds, 8 MiB of logs
 *
 * Needs dockerd (started like the tests do when it is not running), the
 * docker CLI, docker-registry and htpasswd. Writes bench/results/docker.json
 * and prints a table.
 *
 * @module
 */
import {
  collectGarbage,
  containerLogs,
  createContainer,
  type DockerClient,
  getInfo,
  removeContainer,
  startContainer,
  startTask,
  stopTask,
  waitContainer,
} from "../src/docker/mod.ts";
import { ensureDockerd } from "../tests/_fixtures/dockerd.ts";
import { dockerCli, ensureBusyboxImage } from "../tests/_fixtures/images.ts";
import { startRegistry } from "../tests/_fixtures/registry.ts";

const quick = Deno.args.includes("--quick");
const ROUNDS = quick ? 3 : 30;
const LOG_BYTES = (quick ? 8 : 64) * 2 ** 20;
const OUT = "bench/results/docker.json";
const LABEL = `sonm-bench-${Date.now().toString(36)}`;
const log = (s: string) => console.error(`[docker_bench] ${s}`);

type Stat = { n: number; medianMs: number; p90Ms: number; minMs: number; meanMs: number };

function stat(xs: number[]): Stat {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    n: s.length,
    medianMs: r(q(0.5)),
    p90Ms: r(q(0.9)),
    minMs: r(s[0] ?? 0),
    meanMs: r(s.reduce((a, b) => a + b, 0) / (s.length || 1)),
  };
}

async function clientRun(docker: DockerClient, image: string): Promise<[number, string]> {
  const t0 = performance.now();
  const { id } = await createContainer(docker, {
    config: { Image: image, Cmd: ["sleep", "600"], Labels: { "sonm.bench": LABEL } },
  });
  await startContainer(docker, { id });
  return [performance.now() - t0, id];
}

async function cliRun(image: string): Promise<[number, string]> {
  const t0 = performance.now();
  const out = await dockerCli([
    "run",
    "-d",
    "--label",
    `sonm.bench=${LABEL}`,
    image,
    "sleep",
    "600",
  ]);
  return [performance.now() - t0, out.trim()];
}

async function main() {
  const docker = await ensureDockerd();
  const registry = await startRegistry();
  const agentId = `bench${Date.now().toString(36)}`;
  try {
    const info = await getInfo(docker);
    const image = await ensureBusyboxImage();
    const pushed = await registry.push(image, "sonm/busybox:1");
    const auth = { username: registry.username, password: registry.password };
    const policy = { allowPatterns: [`${registry.address}/sonm/*`], pull: "missing" as const };
    // Warm-up: one of each, not counted.
    for (const [, id] of [await clientRun(docker, image), await cliRun(image)]) {
      await removeContainer(docker, { id, force: true });
    }

    const ours: number[] = [];
    const cli: number[] = [];
    const task: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate which goes first so that neither always meets a warmer daemon.
      const order = i % 2 === 0 ? ["ours", "cli"] : ["cli", "ours"];
      for (const who of order) {
        const [ms, id] = who === "ours" ? await clientRun(docker, image) : await cliRun(image);
        (who === "ours" ? ours : cli).push(ms);
        await removeContainer(docker, { id, force: true });
      }
      const t0 = performance.now();
      const started = await startTask(docker, {
        spec: {
          image: pushed.reference,
          command: ["sleep", "600"],
          limits: { memoryBytes: 32 * 2 ** 20, pidsLimit: 16, cpus: 0.5 },
        },
        policy,
        registryAuth: auth,
        agentId,
        dealId: String(i),
        taskId: "1",
      });
      task.push(performance.now() - t0);
      await stopTask(docker, { containerId: started.containerId, timeoutSeconds: 0 });
      await collectGarbage(docker, { agentId, openDeals: [] });
      log(`round ${i + 1}/${ROUNDS}`);
    }

    // Log throughput: one container writes LOG_BYTES of 64-byte lines, then both readers read it.
    const line = "0123456789abcdef".repeat(4).slice(0, 63);
    const { id: logId } = await createContainer(docker, {
      config: {
        Image: image,
        Cmd: ["sh", "-c", `yes ${line} | head -c ${LOG_BYTES}`],
        Labels: { "sonm.bench": LABEL },
      },
    });
    await startContainer(docker, { id: logId });
    await waitContainer(docker, { id: logId });
    const readOurs: number[] = [];
    const readCli: number[] = [];
    let bytes = 0;
    for (let i = 0; i < (quick ? 2 : 3); i++) {
      let t0 = performance.now();
      bytes = 0;
      for await (const c of containerLogs(docker, { id: logId, stderr: false })) {
        bytes += c.data.length;
      }
      readOurs.push(performance.now() - t0);
      t0 = performance.now();
      const out = await new Deno.Command("docker", {
        args: ["logs", logId],
        stdout: "null",
        stderr: "null",
      }).output();
      if (!out.success) throw new Error("Cannot run docker logs");
      readCli.push(performance.now() - t0);
    }
    if (bytes !== LOG_BYTES) {
      throw new Error(`Cannot measure logs: read ${bytes} of ${LOG_BYTES} bytes`);
    }
    await removeContainer(docker, { id: logId, force: true });

    const o = stat(ours), c = stat(cli), tk = stat(task);
    const mbps = (ms: number[]) =>
      Math.round((LOG_BYTES / 2 ** 20) / (Math.min(...ms) / 1000) * 10) / 10;
    const result = {
      date: new Date().toISOString(),
      quick,
      machine: {
        cores: info.cpus,
        dockerVersion: info.serverVersion,
        storageDriver: info.driver,
        loadAvg: Deno.loadavg(),
      },
      createStart: {
        client: o,
        dockerRunCli: c,
        startTaskHardened: tk,
        ratioMedian: Math.round((o.medianMs / c.medianMs) * 1000) / 1000,
        goal: "ratioMedian <= 1.0",
      },
      logs: {
        bytes: LOG_BYTES,
        clientMiBps: mbps(readOurs),
        dockerLogsCliMiBps: mbps(readCli),
      },
    };
    await Deno.mkdir("bench/results", { recursive: true });
    await Deno.writeTextFile(OUT, JSON.stringify(result, null, 2) + "\n");
    const pad = (s: string | number, n: number) => String(s).padStart(n);
    console.log(
      `${"create+start".padEnd(34)}${pad("median ms", 11)}${pad("p90 ms", 9)}${pad("min ms", 9)}`,
    );
    for (
      const [name, s] of [["our client (create+start)", o], ["docker run -d (CLI)", c], [
        "startTask (hardened, own network)",
        tk,
      ]] as const
    ) {
      console.log(`${name.padEnd(34)}${pad(s.medianMs, 11)}${pad(s.p90Ms, 9)}${pad(s.minMs, 9)}`);
    }
    console.log(`ratio client/CLI (median): ${result.createStart.ratioMedian} (goal <= 1.0)`);
    console.log(
      `logs ${
        LOG_BYTES / 2 ** 20
      } MiB: containerLogs ${result.logs.clientMiBps} MiB/s, docker logs ${result.logs.dockerLogsCliMiBps} MiB/s`,
    );
    console.log(`written: ${OUT}`);
  } finally {
    await collectGarbage(docker, { agentId, openDeals: [] }).catch(() => {});
    const left = await dockerCli(["ps", "-aq", "--filter", `label=sonm.bench=${LABEL}`]).catch(() =>
      ""
    );
    for (const id of left.split("\n").filter(Boolean)) {
      await removeContainer(docker, { id, force: true }).catch(() => {});
    }
    await dockerCli(["rmi", `${registry.address}/sonm/busybox:1`]).catch(() => {});
    await registry.close();
    docker.close();
  }
}

if (import.meta.main) await main();
