import { join } from "node:path";
import {
  BENCHMARKS,
  type BenchProgressEvent,
  type BenchSigner,
  type BenchSuiteResult,
  createNativeProbeRunner,
  createSqliteResultCache,
  discoverHardware,
  type HardwareSources,
  type ProbeName,
  type ProbeRequest,
  type ProbeRun,
  runBenchSuite,
  type RunProbe,
  selectBenchmarks,
  signBenchReport,
  type SignedBenchReport,
} from "../../bench/mod.ts";
import { existsSync } from "node:fs";
import {
  containerLogs,
  createContainer,
  createDockerClient,
  type DockerClient,
  DockerError,
  inspectImage,
  removeContainer,
  startContainer,
  waitContainer,
} from "../../docker/mod.ts";
import { type AgentConfig, loadConfig } from "../config/mod.ts";
import { createLogger, type Logger, type SelftestReport } from "../base/mod.ts";
import { unlockAgentKey } from "../setup/mod.ts";
import { openState, readStatusMeta } from "../state/mod.ts";

/** Where progress goes: a bar per benchmark on a terminal, plain lines otherwise. */
export type BenchProgressOutput = { isTerminal: boolean; write(text: string): void };

/** What `bench` needs from main.ts. */
export type BenchCommandComponents = {
  /**
   * Starts probes.
   * @default {probes in containers when Docker answers, natively otherwise}
   */
  runProbe?: RunProbe | undefined;
  /**
   * The Docker daemon for probe containers; `false`: run natively.
   * @default {the config's docker socket, or /var/run/docker.sock, when it exists}
   */
  docker?: DockerClient | false | undefined;
  /** The agent's key; with it the report is signed. @default {the config's keystore, for `reportPath`} */
  signer?: BenchSigner | undefined;
  /** Progress; none: silent (`--json`). */
  progress?: BenchProgressOutput | undefined;
  /** Where discovery reads from. @default {the live system} */
  sources?: HardwareSources | undefined;
  /** For the network probe. @default {globalThis.fetch} */
  fetch?: typeof fetch | undefined;
  /** Where "unlocking the keystore" and the like go. @default {stderr, info} */
  logger?: Logger | undefined;
};

/** Options of {@linkcode runBenchCommand}. */
export type RunBenchCommandOptions = {
  /** `--config`: the rig's config (data directory, and the keystore that signs reports). */
  configPath?: string | undefined;
  /**
   * The agent's data directory: state (`agent.sqlite`, the cache) and storage.
   * @default {the config's data_dir, else "./.data"}
   */
  dataDir?: string | undefined;
  /** `--only`: ids or keys, comma-separated or repeated. */
  only?: readonly string[] | undefined;
  /** `--force`: measure again, ignoring the cache. */
  force?: boolean | undefined;
  /** `--net-endpoint`: base URL of a network probe server. */
  netEndpoint?: string | undefined;
  /** `--report FILE`: write the signed report there (needs a signer or a config with a keystore). */
  reportPath?: string | undefined;
  /** Seconds per sysbench run. @default {3} */
  sysbenchSeconds?: number | undefined;
  /** Timed seconds per GPU probe. @default {10} */
  gpuSeconds?: number | undefined;
  signal?: AbortSignal | undefined;
};

/** Return type of {@linkcode runBenchCommand}. */
export type RunBenchCommandReturnType = {
  suite: BenchSuiteResult;
  /** The signed report, when a signer was given. */
  report: SignedBenchReport | undefined;
  /** One row per result for people's table (the note, or the benchmark's name). */
  rows: { id: number; key: string; value: bigint; unit: string; status: string; note: string }[];
};

/**
 * `sonm-agent bench [--only ids] [--force] [--json] [--report FILE]`:
 * discovers the hardware, runs the suite with results cached in the agent's
 * state (keyed by hardware hash and probe version), and signs the report
 * when the agent's key is given (or, for `reportPath`, unlocked from the
 * config's keystore).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runBenchCommand } from "./bench_command.ts";
 * const dataDir = await Deno.makeTempDir();
 * const { suite } = await runBenchCommand({}, { dataDir, only: ["cpu-cores"] });
 * assert.ok(suite.results[0]!.value >= 1n);
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 */
export async function runBenchCommand(
  components: BenchCommandComponents,
  options: RunBenchCommandOptions,
): Promise<RunBenchCommandReturnType> {
  const { progress, sources } = components;
  const { configPath, only, force, netEndpoint, reportPath, sysbenchSeconds, gpuSeconds, signal } =
    options;
  const ids = only === undefined || only.length === 0 ? undefined : selectBenchmarks(only);
  const config: AgentConfig | undefined = configPath === undefined
    ? undefined
    : await loadConfig(configPath);
  const dataDir = options.dataDir ?? config?.dataDir ?? "./.data";
  const socketPath = config?.docker.socket ?? "/var/run/docker.sock";
  const docker = components.docker ??
    (existsSync(socketPath) ? createDockerClient({ socketPath }) : false);
  const native = createNativeProbeRunner();
  const runProbe = components.runProbe ??
    (docker === false ? native : createContainerProbeRunner(docker, native));
  let signer = components.signer;
  if (reportPath !== undefined && signer === undefined) {
    if (config === undefined) {
      throw new RangeError(
        "Cannot write a benchmark report: no signer: pass --config with the rig's keystore",
      );
    }
    const logger = components.logger ?? createLogger();
    signer = await unlockAgentKey(config.keystore, { logger, signal });
  }
  const hardware = await discoverHardware({ dataDir, sources, signal });
  const state = openState({ path: join(dataDir, "agent.sqlite") });
  let suite: BenchSuiteResult;
  let selftest: SelftestReport | undefined;
  try {
    suite = await runBenchSuite({
      runProbe,
      cache: createSqliteResultCache(state.db),
      fetch: components.fetch,
      onProgress: progress === undefined ? undefined : progressWriter(progress),
    }, { hardware, only: ids, force, netEndpoint, sysbenchSeconds, gpuSeconds, signal });
    // the agent's last self-test goes into the signed report
    selftest = readStatusMeta(state.db).selftest;
  } finally {
    state.close();
  }
  const report = signer === undefined
    ? undefined
    : await signBenchReport(signer, { suite, selftest });
  if (report !== undefined && reportPath !== undefined) {
    await Deno.writeTextFile(reportPath, JSON.stringify(report, null, 2) + "\n");
  }
  const rows = suite.results.map((r) => ({
    id: r.id,
    key: r.key,
    value: r.value,
    unit: r.unit,
    status: r.status,
    note: r.note || (BENCHMARKS.find((b) => b.id === r.id)?.name ?? ""),
  }));
  return { suite, report, rows };
}

/** A bar per benchmark that redraws in place on a terminal; one line per result otherwise. */
function progressWriter(out: BenchProgressOutput): (event: BenchProgressEvent) => void {
  const width = 24;
  const bar = (fraction: number) => {
    const n = Math.round(fraction * width);
    return `[${"#".repeat(n)}${".".repeat(width - n)}] ${
      String(Math.round(fraction * 100)).padStart(3)
    }%`;
  };
  return (event) => {
    const label = event.benchmark.key.padEnd(20);
    if (event.type === "start") {
      if (out.isTerminal) out.write(`\r${label} ${bar(0)}`);
    } else if (event.type === "tick") {
      if (out.isTerminal) out.write(`\r${label} ${bar(event.fraction)}`);
    } else {
      const r = event.result;
      const text = `${label} ${r.value} ${r.unit} (${r.status})`;
      out.write(
        out.isTerminal
          ? `\r${label} ${bar(1)} ${r.value} ${r.unit} (${r.status})\x1b[K\n`
          : `${text}\n`,
      );
    }
  };
}

/** The probe images that `scripts/build_probes.sh images` builds (tags follow PROBE_VERSIONS). */
const PROBE_IMAGES: Readonly<Record<ProbeName, string>> = {
  "sysbench": "sonm-probe/sysbench:1",
  "gpu-opencl": "sonm-probe/gpu-opencl:2",
  "gpu-cuda": "sonm-probe/gpu-cuda:2",
};

/** Exit code of a GPU probe that could not open its device (no driver or GPU in reach). */
const PROBE_EXIT_NO_DEVICE = 3;

/**
 * A `RunProbe` that runs each probe in its locally built image
 * (`sonm-probe/<probe>:<version>`, no network, read-only root, the SONM
 * environment; NVIDIA GPUs through a device request, AMD through /dev/dri and
 * /dev/kfd) and falls back to `native` when the image is missing, Docker
 * refuses the container, or the container cannot reach the GPU.
 *
 * @example
 * ```ts ignore
 * import { createDockerClient } from "../../docker/mod.ts";
 * import { createNativeProbeRunner } from "../bench/mod.ts";
 * const runProbe = createContainerProbeRunner(createDockerClient(), createNativeProbeRunner());
 * const run = await runProbe({ probe: "sysbench", args: [], env: { SONM_BENCHMARK_ID: "1" }, timeoutMs: 60_000 });
 * ```
 */
export function createContainerProbeRunner(docker: DockerClient, native: RunProbe): RunProbe {
  return async function runContainerProbe(request) {
    const image = PROBE_IMAGES[request.probe];
    let run: ProbeRun;
    try {
      await inspectImage(docker, { image, signal: request.signal });
      run = await runInContainer(docker, image, request);
    } catch (error) {
      if (error instanceof DockerError) return await native(request);
      throw error;
    }
    if (request.probe !== "sysbench" && run.code === PROBE_EXIT_NO_DEVICE) {
      return await native(request);
    }
    return run;
  };
}

async function runInContainer(
  docker: DockerClient,
  image: string,
  request: ProbeRequest,
): Promise<ProbeRun> {
  const { probe, args, env, timeoutMs, signal } = request;
  const devices = probe === "gpu-opencl"
    ? ["/dev/dri", "/dev/kfd"].filter((d) => existsSync(d))
    : [];
  const { id } = await createContainer(docker, {
    config: {
      Image: image,
      Cmd: [...args],
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      Labels: { "sonm.probe": probe },
      NetworkDisabled: true,
      HostConfig: {
        NetworkMode: "none",
        ReadonlyRootfs: true,
        Devices: devices.map((d) => ({
          PathOnHost: d,
          PathInContainer: d,
          CgroupPermissions: "rwm",
        })),
        ...(probe === "gpu-cuda"
          ? { DeviceRequests: [{ Driver: "", Count: -1, Capabilities: [["gpu"]] }] }
          : {}),
      },
    },
    signal,
  });
  try {
    await startContainer(docker, { id, signal });
    const { exitCode } = await waitContainer(docker, { id, timeoutMs, signal });
    const decoder = new TextDecoder();
    let stdout = "";
    let stderr = "";
    for await (const chunk of containerLogs(docker, { id, signal })) {
      if (chunk.stream === "stdout") stdout += decoder.decode(chunk.data, { stream: true });
      else stderr += decoder.decode(chunk.data, { stream: true });
    }
    return { code: exitCode, stdout, stderr, where: "container" };
  } finally {
    await removeContainer(docker, { id, force: true }).catch(() => {});
  }
}
