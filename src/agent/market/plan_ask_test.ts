import assert from "node:assert/strict";
import { ConfigError } from "../base/errors.ts";
import type { PlanConfig } from "../config/config.ts";
import {
  type BenchmarkDefinition,
  BENCHMARKS,
  createNativeProbeRunner,
  discoverHardware,
  runBenchSuite,
} from "../../bench/mod.ts";
import { planAsk } from "./plan_ask.ts";

const GIB = 2 ** 30;

function plan(overrides: Partial<PlanConfig> = {}): PlanConfig {
  return {
    name: "p",
    priceUsdPerHour: "0.36",
    duration: "spot",
    resources: {
      cpuCores: 2,
      ramBytes: 4 * GIB,
      storageBytes: 10 * GIB,
      gpus: [],
      net: { overlay: false, outbound: true, incoming: false },
    },
    identityLevel: 0,
    counterparty: undefined,
    blacklist: undefined,
    tag: "",
    ...overrides,
  };
}

const rig = {
  threads: 8,
  gpus: [
    { index: 0, memBytes: 8 * GIB, vendor: "nvidia" },
    { index: 1, memBytes: 12 * GIB, vendor: "nvidia" },
    { index: 2, memBytes: 16 * GIB, vendor: "amd" },
  ],
};

Deno.test("planAsk() converts price, duration, netflags, addresses and tag", () => {
  const counterparty = "0x00000000000000000000000000000000000000c1" as const;
  const { params } = planAsk(
    plan({
      priceUsdPerHour: "0.36",
      duration: 8 * 3600,
      identityLevel: 2,
      counterparty,
      tag: "gpu-é",
      resources: { ...plan().resources, net: { overlay: true, outbound: false, incoming: true } },
    }),
    { rig, benchmarksQuantity: 15 },
  );
  assert.equal(params.price, 100_000_000_000_000n);
  assert.equal(params.duration, 28_800n);
  assert.deepEqual(params.netflags, [true, false, true]);
  assert.equal(params.identityLevel, 2);
  assert.equal(params.counterparty, counterparty);
  assert.equal(params.blacklist, "0x0000000000000000000000000000000000000000");
  // "gpu-é" in utf-8 is 67 70 75 2d c3 a9, right-padded to 32 bytes
  assert.equal(params.tag, `0x6770752dc3a9${"00".repeat(26)}`);
  assert.equal(planAsk(plan(), { rig, benchmarksQuantity: 15 }).params.duration, 0n);
});

Deno.test("planAsk() takes host benchmarks from the plan's resources and GPUs", () => {
  const { params } = planAsk(
    plan({ resources: { ...plan().resources, cpuCores: 2.5, gpus: [1, 2] } }),
    { rig, benchmarksQuantity: 15 },
  );
  const b = params.benchmarks;
  assert.equal(b[2], 2n, "cpu-cores is floor(2.5)");
  assert.equal(b[3], BigInt(4 * GIB));
  assert.equal(b[4], BigInt(10 * GIB));
  assert.equal(b[7], 2n, "gpu-count");
  assert.equal(b[8], BigInt(28 * GIB), "gpu-mem is the sum of the plan's GPUs");
  assert.equal(b[13], 1n, "an nvidia GPU");
  assert.equal(b[14], 1n, "an amd GPU");
  assert.equal(b.length, 15);
});

Deno.test("planAsk() scales cached all-thread and GPU measurements by the plan's share", () => {
  const measured = new Map<number, bigint>([
    [0, 8000n], // cpu-sysbench-multi over 8 threads
    [1, 1200n], // cpu-sysbench-single
    [5, 100_000_000n], // net-download
    [9, 90_000_000n], // gpu-eth-hashrate, sum of 3 GPUs
    [15, 999n], // gpu-fp32-gflops: id 15 is not on the market
  ]);
  const cpuOnly = planAsk(plan(), { rig, measured, benchmarksQuantity: 15 }).params.benchmarks;
  assert.equal(cpuOnly[0], 2000n, "2 of 8 threads");
  assert.equal(cpuOnly[1], 1200n);
  assert.equal(cpuOnly[5], 100_000_000n);
  assert.equal(cpuOnly[9] ?? 0n, 0n, "no GPU figures without GPUs");
  const gpu = planAsk(
    plan({ resources: { ...plan().resources, cpuCores: 0.5, gpus: [0] } }),
    { rig, measured, benchmarksQuantity: 15 },
  ).params.benchmarks;
  assert.equal(gpu[0], 500n, "half a thread of 8");
  assert.equal(gpu[2], 0n, "floor(0.5) cores");
  assert.equal(gpu[9], 30_000_000n, "1 of 3 GPUs");
  assert.equal(gpu.length, 15, "id 15 is left out");
});

Deno.test("planAsk() keeps only benchmark ids below the market's benchmarksQuantity", () => {
  const { params } = planAsk(plan(), { rig, benchmarksQuantity: 4 });
  assert.deepEqual(params.benchmarks, [0n, 0n, 2n, BigInt(4 * GIB)]);
});

Deno.test("planAsk() gives equal hashes for equal parameters and different ones otherwise", () => {
  const a = planAsk(plan(), { rig, benchmarksQuantity: 15 });
  const b = planAsk(plan({ name: "other" }), { rig, benchmarksQuantity: 15 });
  assert.equal(a.hash, b.hash, "the name is not a parameter");
  assert.match(a.hash, /^[0-9a-f]{64}$/);
  for (
    const changed of [
      plan({ priceUsdPerHour: "0.37" }),
      plan({ duration: 60 }),
      plan({ tag: "x" }),
      plan({ identityLevel: 1 }),
      plan({ resources: { ...plan().resources, ramBytes: 5 * GIB } }),
      plan({
        resources: { ...plan().resources, net: { overlay: true, outbound: true, incoming: false } },
      }),
    ]
  ) {
    assert.notEqual(planAsk(changed, { rig, benchmarksQuantity: 15 }).hash, a.hash);
  }
});

Deno.test("planAsk() refuses a plan naming a GPU the rig does not have", () => {
  assert.throws(
    () =>
      planAsk(plan({ name: "gpu-a", resources: { ...plan().resources, gpus: [7] } }), {
        rig,
        benchmarksQuantity: 15,
      }),
    (e: unknown) =>
      e instanceof ConfigError && e.problems[0]?.path === 'plans["gpu-a"].resources.gpus' &&
      e.problems[0]?.value === 7,
  );
});

Deno.test("planAsk() and runBenchSuite(): adding a benchmark is adding a row", async () => {
  // A market adds id 16, "cpu-sockets": read from the hardware, offered as
  // the plan's whole cores over 2 (made up). No code knows it; the row does.
  const row: BenchmarkDefinition = {
    id: 16,
    key: "cpu-sockets",
    name: "CPU sockets",
    unit: "count",
    device: "cpu",
    measure: { kind: "host", read: (hw) => ({ value: BigInt(hw.cpu.sockets), note: "" }) },
    better: "higher",
    scale: { kind: "plan", value: (p) => BigInt(Math.floor(p.cpuCores / 2)) },
  };
  const benchmarks = [...BENCHMARKS, row];
  const planned = planAsk(plan({ resources: { ...plan().resources, cpuCores: 6 } }), {
    rig,
    benchmarksQuantity: 17,
    benchmarks,
  });
  assert.equal(planned.params.benchmarks.length, 17);
  assert.equal(planned.params.benchmarks[16], 3n);
  const hardware = await discoverHardware({ dataDir: "." });
  const suite = await runBenchSuite({ runProbe: createNativeProbeRunner() }, {
    hardware,
    only: [16],
    benchmarks,
  });
  assert.deepEqual(suite.results.map((r) => [r.key, r.value, r.status]), [
    ["cpu-sockets", BigInt(hardware.cpu.sockets), "measured"],
  ]);
});
