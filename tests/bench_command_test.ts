/**
 * `sonm-agent bench` end to end on this machine: real sysbench (native), the
 * network probe against a real server on loopback, the results cache in a
 * real sqlite state file, and a signed report that verifies (and a tampered
 * copy that does not). Needs: sysbench, clinfo + pocl-opencl-icd (discovery).
 */
import assert from "node:assert/strict";
import { privateKeyToAccount } from "viem/accounts";
import { runBenchCommand } from "../src/agent/commands/bench_command.ts";
import { runHardwareCommand } from "../src/agent/commands/hardware_command.ts";
import { createNetProbeHandler, verifyBenchReport } from "../src/bench/mod.ts";

const signer = privateKeyToAccount(`0x${"5a".repeat(32)}`);

Deno.test("runBenchCommand() measures the CPU suite, caches it, and signs a verifiable report", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "sonm-bench-" });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    createNetProbeHandler(),
  );
  const netEndpoint = `http://127.0.0.1:${server.addr.port}`;
  try {
    const progress: string[] = [];
    const first = await runBenchCommand({
      signer,
      progress: { isTerminal: false, write: (t) => progress.push(t) },
    }, {
      dataDir,
      netEndpoint,
      sysbenchSeconds: 1,
      reportPath: `${dataDir}/report.json`,
    });
    const by = new Map(first.suite.results.map((r) => [r.key, r]));
    assert.equal(first.suite.results.length, 16);
    for (const key of ["cpu-sysbench-multi", "cpu-sysbench-single", "net-download", "net-upload"]) {
      assert.equal(by.get(key)?.status, "measured", `${key}: ${by.get(key)?.note}`);
      assert.ok(by.get(key)!.value > 0n, key);
    }
    assert.equal(by.get("cpu-cores")?.value, BigInt(navigator.hardwareConcurrency));
    assert.ok(by.get("ram-size")!.value > 0n);
    assert.ok(by.get("storage-size")!.value > 0n);
    // no GPU on this machine: GPU ids are 0 with a note, the rest absent, never faked
    const hw = await runHardwareCommand({ dataDir });
    if (hw.hardware.gpus.length === 0) {
      for (
        const key of ["gpu-count", "gpu-mem", "gpu-eth-hashrate", "gpu-fp32-gflops", "gpu-nvidia"]
      ) {
        assert.equal(by.get(key)?.value, 0n, key);
        assert.match(by.get(key)!.note, /no GPU/, key);
      }
    }
    assert.equal(by.get("cpu-cryptonight")?.status, "absent");
    assert.equal(progress.length, 16, "one plain line per benchmark off a terminal");
    assert.ok(progress.every((l) => l.endsWith("\n") && !l.includes("\r")));

    // the report on disk verifies; a tampered copy does not
    const text = await Deno.readTextFile(`${dataDir}/report.json`);
    const ok = await verifyBenchReport(text);
    assert.equal(ok.valid, true, ok.reason);
    assert.equal(ok.signer, signer.address);
    assert.equal(ok.report.hardwareHash, first.suite.hardwareHash);
    const tampered = JSON.parse(text);
    tampered.report.results[0].value = String(BigInt(tampered.report.results[0].value) * 10n);
    assert.equal((await verifyBenchReport(tampered)).valid, false);

    // second run: probes come from the sqlite cache, host values are read again
    const second = await runBenchCommand({}, { dataDir, netEndpoint, sysbenchSeconds: 1 });
    const again = new Map(second.suite.results.map((r) => [r.key, r]));
    for (const key of ["cpu-sysbench-multi", "cpu-sysbench-single", "net-download"]) {
      assert.equal(again.get(key)?.status, "cached", key);
      assert.equal(again.get(key)?.value, by.get(key)?.value, key);
    }
    assert.equal(again.get("cpu-cores")?.status, "measured");
    assert.equal(second.report, undefined);

    // --force measures again
    const forced = await runBenchCommand({}, {
      dataDir,
      only: ["cpu-sysbench-single"],
      force: true,
      sysbenchSeconds: 1,
    });
    assert.deepEqual(forced.suite.results.map((r) => [r.key, r.status]), [
      ["cpu-sysbench-single", "measured"],
    ]);
  } finally {
    await server.shutdown();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("runBenchCommand() draws a bar per benchmark on a terminal", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "sonm-bench-" });
  try {
    const out: string[] = [];
    await runBenchCommand({ progress: { isTerminal: true, write: (t) => out.push(t) } }, {
      dataDir,
      only: ["cpu-sysbench-single"],
      sysbenchSeconds: 1,
    });
    assert.ok(out.some((t) => t.startsWith("\rcpu-sysbench-single") && t.includes("[")));
    assert.match(out.at(-1)!, /100%.*events\/s \(measured\)/);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("runHardwareCommand() lists the CPU, RAM and storage of this machine", async () => {
  const { lines, hardwareHash } = await runHardwareCommand({ dataDir: "." });
  assert.match(lines[0]!, /^cpu /);
  assert.ok(lines.some((l) => l.startsWith("ram ")));
  assert.ok(lines.some((l) => l.startsWith("storage ")));
  assert.match(hardwareHash, /^[0-9a-f]{64}$/);
});
