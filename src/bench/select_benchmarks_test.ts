import assert from "node:assert/strict";
import { BENCHMARKS } from "./benchmarks.ts";
import { UnknownBenchmarkError } from "./errors.ts";
import { selectBenchmarks } from "./select_benchmarks.ts";

Deno.test("BENCHMARKS has ids 0-15 in order, unique keys, probes where measured", () => {
  assert.deepEqual(BENCHMARKS.map((b) => b.id), [...Array(16).keys()]);
  assert.equal(new Set(BENCHMARKS.map((b) => b.key)).size, BENCHMARKS.length);
  assert.equal(BENCHMARKS[9]?.key, "gpu-eth-hashrate");
  assert.equal(BENCHMARKS[12]?.measure.kind, "absent");
  for (const b of BENCHMARKS) {
    // Each row's measure and scale agree: what the hardware or plan gives is
    // taken from the plan, what is measured is scaled, what is absent is none.
    const expected = b.measure.kind === "host"
      ? ["plan"]
      : b.measure.kind === "absent"
      ? ["none"]
      : ["as-measured", "cpu-share", "gpu-share"];
    assert.ok(expected.includes(b.scale.kind), `${b.key}: ${b.measure.kind} / ${b.scale.kind}`);
    assert.equal(b.better, "higher", b.key);
  }
});

Deno.test("selectBenchmarks() accepts ids and keys, comma-separated or repeated, in list order", () => {
  assert.deepEqual(selectBenchmarks(["ram-size,2", "0"]), [0, 2, 3]);
  assert.deepEqual(selectBenchmarks([" 9 ", "gpu-eth-hashrate"]), [9]);
});

Deno.test("selectBenchmarks() names an unknown value", () => {
  assert.throws(() => selectBenchmarks(["2,gpu-magic"]), (e: unknown) => {
    assert.ok(e instanceof UnknownBenchmarkError);
    assert.equal(e.value, "gpu-magic");
    assert.match(e.message, /Cannot select benchmark "gpu-magic"/);
    return true;
  });
});
