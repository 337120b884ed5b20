import assert from "node:assert/strict";
import type { ResultCache } from "./result_cache.ts";
import { runBenchSuite } from "./run_bench_suite.ts";
import type { ProbeRequest, ProbeRun } from "./run_probe.ts";
import type { BenchResult, Hardware } from "./types.ts";

// Unit tests of the suite's decisions, with a scripted probe runner (real
// probes run in tests/bench_probes_test.ts and tests/bench_command_test.ts).

const noGpu: Hardware = {
  cpu: { model: "test cpu", vendor: "x", sockets: 1, cores: 4, threads: 8, flags: [] },
  memory: { totalBytes: 16 * 2 ** 30, availableBytes: 8 * 2 ** 30 },
  storage: { path: "/d", totalBytes: 2 ** 40, freeBytes: 2 ** 39 },
  network: [],
  gpus: [],
  opencl: [],
  notes: [],
};

const withNvidia: Hardware = {
  ...noGpu,
  gpus: [2, 24].map((gib, index) => ({
    vendor: "nvidia" as const,
    index,
    name: `gpu ${index}`,
    uuid: `GPU-${index}`,
    pciBusId: `0000:0${index}:00.0`,
    pciDeviceId: "10de:2330",
    pciSubsystemId: "10de:16c1",
    memBytes: gib * 2 ** 30,
    computeCapability: "9.0",
    driverVersion: "590.48.01",
    cudaVersion: "13.1",
    powerLimitW: 700,
    source: "nvidia-smi" as const,
  })),
};

function memoryCache(): ResultCache & { rows: Map<string, BenchResult> } {
  const rows = new Map<string, BenchResult>();
  return {
    rows,
    get: (id, hash) => rows.get(`${id}/${hash}`),
    put: (r, hash) => void rows.set(`${r.id}/${hash}`, r),
  };
}

function scripted(answer: (r: ProbeRequest) => string): {
  calls: ProbeRequest[];
  runProbe: (r: ProbeRequest) => Promise<ProbeRun>;
} {
  const calls: ProbeRequest[] = [];
  return {
    calls,
    runProbe: (r) => {
      calls.push(r);
      return Promise.resolve({ code: 0, stdout: answer(r) + "\n", stderr: "", where: "native" });
    },
  };
}

const sysbenchLine = (eps: number) =>
  JSON.stringify({
    probe: "sysbench",
    version: "1",
    ok: true,
    benchmarkId: 0,
    threads: 8,
    seconds: 3,
    eventsPerSecond: eps,
    events: Math.round(eps * 3),
    sysbench: "sysbench 1.0.20",
  });

Deno.test("runBenchSuite() passes the SONM environment and caches by hardware and probe version", async () => {
  const probe = scripted(() => sysbenchLine(1234.6));
  const cache = memoryCache();
  const first = await runBenchSuite({ runProbe: probe.runProbe, cache }, {
    hardware: noGpu,
    only: [0, 1],
  });
  assert.deepEqual(first.results.map((r) => [r.value, r.status]), [[1235n, "measured"], [
    1235n,
    "measured",
  ]]);
  assert.deepEqual(probe.calls.map((c) => [c.env.SONM_BENCHMARK_ID, c.env.SONM_CPU_COUNT]), [[
    "0",
    "8",
  ], ["1", "8"]]);
  const second = await runBenchSuite({ runProbe: probe.runProbe, cache }, {
    hardware: noGpu,
    only: [0, 1],
  });
  assert.deepEqual(second.results.map((r) => r.status), ["cached", "cached"]);
  assert.equal(probe.calls.length, 2);
  // another probe version in the cache: measured again
  for (const r of cache.rows.values()) r.probe = "sysbench@0";
  const third = await runBenchSuite({ runProbe: probe.runProbe, cache }, {
    hardware: noGpu,
    only: [0],
  });
  assert.equal(third.results[0]?.status, "measured");
  // other hardware: measured again
  const fourth = await runBenchSuite({ runProbe: probe.runProbe, cache }, {
    hardware: { ...noGpu, cpu: { ...noGpu.cpu, threads: 16 } },
    only: [1],
  });
  assert.equal(fourth.results[0]?.status, "measured");
});

Deno.test("runBenchSuite() reports a failing probe as failed with its reason and goes on", async () => {
  const probe = scripted((r) =>
    r.env.SONM_BENCHMARK_ID === "0"
      ? JSON.stringify({ probe: "sysbench", version: "1", ok: false, error: "sysbench failed" })
      : sysbenchLine(10)
  );
  const { results } = await runBenchSuite({ runProbe: probe.runProbe }, {
    hardware: noGpu,
    only: [0, 1, 2],
  });
  assert.deepEqual(results.map((r) => [r.key, r.value, r.status]), [
    ["cpu-sysbench-multi", 0n, "failed"],
    ["cpu-sysbench-single", 10n, "measured"],
    ["cpu-cores", 8n, "measured"],
  ]);
  assert.match(results[0]!.note, /Cannot run probe "sysbench": sysbench failed/);
});

Deno.test("runBenchSuite() reports GPU benchmarks as 0 with a note when there is no GPU", async () => {
  const probe = scripted(() => "{}");
  const { results } = await runBenchSuite({ runProbe: probe.runProbe }, {
    hardware: noGpu,
    only: [7, 8, 9, 10, 11, 13, 14, 15],
  });
  assert.equal(probe.calls.length, 0);
  for (const r of results) assert.equal(r.value, 0n, r.key);
  assert.match(results.find((r) => r.id === 9)!.note, /no GPU found/);
  assert.equal(results.find((r) => r.id === 10)!.status, "absent");
});

Deno.test("runBenchSuite() sums Ethash over NVIDIA GPUs with vectors whose DAG fits each", async () => {
  const probe = scripted((r) => {
    const device = Number(r.args[r.args.indexOf("--device") + 1]);
    const vectors = r.args.filter((_, i) => r.args[i - 1] === "--vector");
    const block = Number(vectors[0]!.split(":")[0]);
    return JSON.stringify({
      probe: "gpu-ethash",
      version: "2",
      device: {
        api: "cuda",
        name: `gpu ${device}`,
        vendor: "NVIDIA",
        driver: "",
        uuid: `GPU-${device}`,
        pciBusId: "",
        computeCapability: "9.0",
        memBytes: 0,
        computeUnits: 132,
      },
      mode: "full",
      epoch: Math.floor(block / 30000),
      cacheBytes: 1,
      datasetBytes: 1,
      vectors: vectors.map((v) => ({
        block: Number(v.split(":")[0]),
        ok: true,
        mix: "",
        final: "",
        hostFinal: "",
      })),
      dagCheck: null,
      cacheSeconds: 1,
      dagSeconds: 1,
      hashSeconds: 0,
      hashes: 1000,
      found: 0,
      searchSeconds: 10,
      hashrate: device === 0 ? 100e6 : 200e6,
      ok: true,
    });
  });
  const { results } = await runBenchSuite({ runProbe: probe.runProbe }, {
    hardware: withNvidia,
    only: [9],
  });
  assert.equal(results[0]?.value, 300_000_000n);
  assert.equal(results[0]?.probe, "gpu-cuda@2");
  assert.equal(probe.calls.length, 2);
  const blocks = probe.calls.map((c) =>
    Number(c.args[c.args.indexOf("--vector") + 1]!.split(":")[0])
  );
  assert.ok(blocks[0]! < 30000, "a 2 GiB GPU gets epoch 0 (1 GiB DAG)");
  assert.ok(blocks[1]! >= 5_000_000, "a 24 GiB GPU gets the largest listed epoch");
  assert.ok(probe.calls.every((c) => c.probe === "gpu-cuda" && c.env.SONM_GPU_TYPE === "nvidia"));
});
