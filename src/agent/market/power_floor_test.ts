import assert from "node:assert/strict";
import { decimalToWad, planShare, powerFloor } from "./power_floor.ts";

Deno.test("planShare() uses the GPUs' share when the plan sells GPUs, else the CPU's", () => {
  assert.deepEqual(planShare({ cpuCores: 4, gpus: [0, 1] }, { threads: 8, gpuCount: 4 }), {
    numerator: 2n,
    denominator: 4n,
  });
  const cpu = planShare({ cpuCores: 1.5, gpus: [] }, { threads: 6, gpuCount: 2 });
  assert.equal(Number(cpu.numerator) / Number(cpu.denominator), 0.25);
  assert.deepEqual(planShare({ cpuCores: 16, gpus: [] }, { threads: 8, gpuCount: 0 }), {
    numerator: 1n,
    denominator: 1n,
  }, "never more than the whole rig");
});

Deno.test("powerFloor() is the plan's part of the power bill per second, rounded up", () => {
  const whole = { numerator: 1n, denominator: 1n };
  // 1000 W at 0.36 USD/kWh = 0.36 USD/h = 1e14 USD-wei per second, exactly
  assert.equal(powerFloor({ loadWatts: 1000, pricePerKwh: "0.36", share: whole }), 10n ** 14n);
  const quarter = { numerator: 1n, denominator: 4n };
  assert.equal(
    powerFloor({ loadWatts: 1000, pricePerKwh: "0.36", share: quarter }),
    25n * 10n ** 12n,
  );
  assert.equal(powerFloor({ loadWatts: 0, pricePerKwh: "0.36", share: whole }), 0n);
  assert.equal(powerFloor({ loadWatts: 300, pricePerKwh: "0", share: whole }), 0n);
  assert.equal(powerFloor({ loadWatts: 1, pricePerKwh: "0.000000000000000001", share: whole }), 1n);
});

Deno.test("decimalToWad() reads exact decimals and refuses others", () => {
  assert.equal(decimalToWad("1"), 10n ** 18n);
  assert.equal(decimalToWad("0.000000000000000001"), 1n);
  assert.equal(decimalToWad("12.5"), 125n * 10n ** 17n);
  assert.throws(() => decimalToWad("1e3"), RangeError);
  assert.throws(() => decimalToWad("-1"), /must be like 0.25/);
});
