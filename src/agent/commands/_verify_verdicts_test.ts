import assert from "node:assert/strict";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { privateKeyToAccount } from "viem/accounts";
import { canonicalJson } from "../../internal/mod.ts";
import { signBenchReport, verifyBenchReport } from "../../bench/mod.ts";
import { checkReport, judge, overall, readProbeOutput } from "./_verify_verdicts.ts";

const RIG = privateKeyToAccount(`0x${"11".repeat(32)}`);
const OTHER = privateKeyToAccount(`0x${"22".repeat(32)}`);

const IDENTITY = {
  cpu: { model: "x", sockets: 1, cores: 2, threads: 2 },
  ramGiB: 1,
  gpus: [],
  opencl: [],
};

/** A report signed by `signer`, its hardware hash that of its identity. */
async function valid(signer = RIG) {
  return await signBenchReport(signer, {
    suite: {
      hardwareHash: bytesToHex(sha256(new TextEncoder().encode(canonicalJson(IDENTITY)))),
      probes: {},
      identity: IDENTITY,
      results: [
        { id: 0, value: 2000n, key: "cpu-sysbench-multi" },
        { id: 1, value: 1000n, key: "cpu-sysbench-single" },
        { id: 2, value: 2n, key: "cpu-cores" },
      ].map((r) => ({
        ...r,
        unit: "",
        status: "cached" as const,
        note: "",
        probe: "sysbench@1",
        measuredAt: 0,
        details: {},
      })),
    },
  });
}

Deno.test("checkReport: the supplier's report that backs the ASK agrees; a tampered one is refused", async () => {
  const report = await valid();
  const ask = [500n, 1000n, 1n, 64n * 1024n * 1024n];
  const ok = checkReport(await verifyBenchReport(report), { supplier: RIG.address, ask });
  assert.equal(ok.status, "agrees", ok.reason);
  assert.deepEqual(ok.beyond, ["ram-size"], "the report has no RAM figure: claimed beyond it");

  const tampered = structuredClone(report);
  tampered.report.results[1]!.value = "4000";
  const refused = checkReport(await verifyBenchReport(tampered), { supplier: RIG.address, ask });
  assert.equal(refused.status, "refused");
  assert.match(refused.reason, /edited after signing/);
  assert.equal(overall([], refused), "fail");
});

Deno.test("checkReport: another key's report is refused; an ASK over the report disagrees", async () => {
  const other = await valid(OTHER);
  const theirs = checkReport(await verifyBenchReport(other), { supplier: RIG.address, ask: [1n] });
  assert.equal(theirs.status, "refused");
  assert.match(theirs.reason, /not by the deal's supplier/);

  const report = await valid();
  // one-thread speed is offered as measured: it must be the report's exactly; cores at most
  const over = checkReport(await verifyBenchReport(report), {
    supplier: RIG.address,
    ask: [500n, 4000n, 3n],
  });
  assert.equal(over.status, "disagrees");
  assert.match(over.reason, /cpu-sysbench-single 4000 > 1000, cpu-cores 3 > 2/);
});

Deno.test("judge: the one-thread score on half a core expects half; a refused probe is not measurable, never ok", () => {
  const out = [
    '{"probe":"verify","step":"limits","at":0,"cpuMax":"50000 100000","memoryMax":"67108864","memTotal":8000000000,"threadsOnline":2,"rootBytes":100,"scratchBytes":0}',
    "noise from the task",
    '{"probe":"sysbench","ok":true,"benchmarkId":1,"threads":1,"eventsPerSecond":480,"at":10,"ms":2000}',
    '{"probe":"sysbench","ok":true,"benchmarkId":0,"threads":1,"eventsPerSecond":120,"at":2010,"ms":2000}',
  ].join("\n");
  const readings = readProbeOutput(out);
  assert.equal(readings.cpuShare, 0.5);
  assert.deepEqual(readings.timings, {
    limits: 10,
    "sysbench-single": 2000,
    "sysbench-multi": 2000,
  });
  const ask = [500n, 1000n, 0n, 64n * 1024n * 1024n, 0n, 100_000_000n];
  const lines = judge(ask, readings);
  assert.deepEqual(lines.map((l) => [l.key, l.verdict]), [
    ["cpu-sysbench-multi", "short"],
    ["cpu-sysbench-single", "ok"],
    ["ram-size", "ok"],
    ["net-download", "not measurable"],
  ]);
  assert.equal(lines[1]!.expected, "500");
  assert.equal(lines[1]!.ratio, 0.96);
  assert.match(lines[3]!.reason, /network probe endpoint/);

  const refused = judge(ask, { measured: new Map(), cpuShare: undefined }, "the rig refused it");
  assert.ok(refused.every((l) => l.verdict === "not measurable"));
  assert.equal(
    overall(refused, { status: "agrees", reason: "", rows: [], beyond: [] }),
    "inconclusive",
  );
});

Deno.test("judge: GPUs are counted exactly in the container; their hash rate is not measurable yet", () => {
  const limits = (gpus: number) =>
    `{"probe":"verify","step":"limits","at":0,"cpuMax":"max 100000","memoryMax":"max","memTotal":8000000000,"threadsOnline":4,"rootBytes":100,"scratchBytes":0,"gpus":${gpus}}`;
  const ask = [0n, 0n, 4n, 0n, 0n, 0n, 0n, 2n, 0n, 30_000_000n];
  const one = judge(ask, readProbeOutput(limits(1)));
  assert.deepEqual(one.map((l) => [l.key, l.verdict]), [
    ["cpu-cores", "ok"],
    ["gpu-count", "short"],
    ["gpu-eth-hashrate", "not measurable"],
  ]);
  assert.match(one[2]!.reason, /no GPU hashing step/);
  assert.equal(judge(ask, readProbeOutput(limits(2)))[1]!.verdict, "ok");
});
