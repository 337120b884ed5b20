import assert from "node:assert/strict";
import { privateKeyToAccount } from "viem/accounts";
import { BenchReportError } from "./errors.ts";
import { hardwareFingerprint } from "./hardware_fingerprint.ts";
import { signBenchReport } from "./sign_bench_report.ts";
import type { Hardware } from "./types.ts";
import { verifyBenchReport } from "./verify_bench_report.ts";

const agent = privateKeyToAccount(`0x${"42".repeat(32)}`);
const other = privateKeyToAccount(`0x${"43".repeat(32)}`);

const hardware: Hardware = {
  cpu: {
    model: "AMD EPYC",
    vendor: "AuthenticAMD",
    sockets: 1,
    cores: 2,
    threads: 2,
    flags: ["avx2"],
  },
  memory: { totalBytes: 24 * 2 ** 30, availableBytes: 20 * 2 ** 30 },
  storage: { path: "/data", totalBytes: 2 ** 40, freeBytes: 2 ** 39 },
  network: [],
  gpus: [{
    vendor: "nvidia",
    index: 0,
    name: "NVIDIA H100 80GB HBM3",
    uuid: "GPU-5f2b0c3e-1111-2222-3333-444455556666",
    pciBusId: "0000:00:09.0",
    pciDeviceId: "10de:2330",
    pciSubsystemId: "10de:16c1",
    memBytes: 81559 * 2 ** 20,
    computeCapability: "9.0",
    driverVersion: "590.48.01",
    cudaVersion: "13.1",
    powerLimitW: 700,
    source: "nvidia-smi",
  }],
  opencl: [],
  notes: [],
};

async function signed() {
  const { hash, identity } = hardwareFingerprint(hardware);
  return await signBenchReport(agent, {
    createdAt: new Date("2026-11-23T18:00:00Z"),
    suite: {
      hardwareHash: hash,
      identity,
      probes: { "gpu-ethash": "2" },
      results: [{
        id: 9,
        key: "gpu-eth-hashrate",
        value: 123_456_789n,
        unit: "H/s",
        status: "measured",
        note: "",
        probe: "gpu-cuda@2",
        measuredAt: 1,
        details: {},
      }],
    },
  });
}

Deno.test("verifyBenchReport() accepts a report signed by the agent it names", async () => {
  const report = await signed();
  const text = JSON.stringify(report);
  const result = await verifyBenchReport(text);
  assert.equal(result.valid, true, result.reason);
  assert.equal(result.signer, agent.address);
  assert.equal(result.report.results[0]?.value, "123456789");
  assert.equal(result.report.hardware.gpus[0]?.uuid, "GPU-5f2b0c3e-1111-2222-3333-444455556666");
});

Deno.test("verifyBenchReport() rejects a report whose value was raised after signing", async () => {
  const report = await signed();
  const tampered = structuredClone(report);
  tampered.report.results[0]!.value = "999999999";
  const result = await verifyBenchReport(JSON.stringify(tampered));
  assert.equal(result.valid, false);
  assert.notEqual(result.signer, agent.address);
  assert.match(result.reason, /not by the agent/);
});

Deno.test("verifyBenchReport() rejects a report re-attributed to another agent", async () => {
  const report = await signed();
  const tampered = structuredClone(report);
  tampered.report.agent = other.address;
  assert.equal((await verifyBenchReport(tampered)).valid, false);
});

Deno.test("verifyBenchReport() rejects a re-signed report whose hardware hash does not match", async () => {
  const report = await signed();
  const edited = structuredClone(report.report);
  edited.hardware.gpus[0]!.uuid = "GPU-ffffffff-ffff-ffff-ffff-ffffffffffff";
  const resigned = await signBenchReport(agent, {
    suite: {
      hardwareHash: edited.hardwareHash,
      identity: edited.hardware,
      probes: edited.probes,
      results: [],
    },
  });
  const result = await verifyBenchReport(resigned);
  assert.equal(result.valid, false);
  assert.match(result.reason, /hardware hash/);
});

Deno.test("verifyBenchReport() rejects a corrupted signature", async () => {
  const report = await signed();
  const bad = { ...report, signature: report.signature.slice(0, -4) + "0000" };
  assert.equal((await verifyBenchReport(bad)).valid, false);
});

Deno.test("verifyBenchReport() names the field of a malformed report", async () => {
  const report = await signed();
  const bad = structuredClone(report) as unknown as { report: { results: { value: unknown }[] } };
  bad.report.results[0]!.value = 12.5;
  await assert.rejects(() => verifyBenchReport(bad), (e: unknown) => {
    assert.ok(e instanceof BenchReportError);
    assert.equal(e.field, "report.results[0].value");
    return true;
  });
  await assert.rejects(() => verifyBenchReport("{not json"), BenchReportError);
});

Deno.test("verifyBenchReport() refuses a key added after signing instead of stripping it", async () => {
  const report = await signed();
  for (
    const [edit, field] of [
      [(r: Record<string, unknown>) => r.extra = "sold as an H200", "extra"],
      [
        (r: Record<string, unknown>) => (r.report as Record<string, unknown>).tier = "gold",
        "report.tier",
      ],
      [
        (r: Record<string, unknown>) =>
          ((r.report as { results: Record<string, unknown>[] }).results[0]!).verified = true,
        "report.results[0].verified",
      ],
    ] as const
  ) {
    const tampered = structuredClone(report) as unknown as Record<string, unknown>;
    edit(tampered);
    await assert.rejects(() => verifyBenchReport(JSON.stringify(tampered)), (e: unknown) => {
      assert.ok(e instanceof BenchReportError);
      assert.equal(e.field, field);
      assert.match(e.message, /is not a known field/);
      return true;
    });
  }
});

Deno.test("verifyBenchReport() covers the carried self-test: a failure edited to ok is caught", async () => {
  const { hash, identity } = hardwareFingerprint(hardware);
  const withSelftest = await signBenchReport(agent, {
    suite: { hardwareHash: hash, identity, probes: {}, results: [] },
    selftest: {
      at: 1,
      ms: 1200,
      results: [{
        check: "docker",
        status: "failed",
        detail: "no socket",
        fix: "start dockerd",
        gates: true,
        ms: 2,
      }],
    },
  });
  const ok = await verifyBenchReport(JSON.stringify(withSelftest));
  assert.equal(ok.valid, true, ok.reason);
  assert.equal(ok.report.selftest?.results[0]?.status, "failed");
  const tampered = structuredClone(withSelftest);
  tampered.report.selftest!.results[0]!.status = "ok";
  const result = await verifyBenchReport(JSON.stringify(tampered));
  assert.equal(result.valid, false);
});
