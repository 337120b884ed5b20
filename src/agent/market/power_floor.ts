import { DECIMAL_PATTERN } from "../config/mod.ts";

/** A plan's part of the rig, as an exact fraction. */
export type PlanShare = { numerator: bigint; denominator: bigint };

/**
 * The plan's share of the rig, for its part of the power bill: its GPUs'
 * share of the rig's GPUs when it sells GPUs (they draw the power), else its
 * CPU cores' share of the rig's threads. Capped at the whole rig.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planShare } from "./power_floor.ts";
 * assert.deepEqual(planShare({ cpuCores: 2, gpus: [] }, { threads: 8, gpuCount: 0 }),
 *   { numerator: 2000000n, denominator: 8000000n });
 * assert.deepEqual(planShare({ cpuCores: 1, gpus: [0] }, { threads: 8, gpuCount: 2 }),
 *   { numerator: 1n, denominator: 2n });
 * ```
 */
export function planShare(
  plan: { cpuCores: number; gpus: readonly number[] },
  rig: { threads: number; gpuCount: number },
): PlanShare {
  let share: PlanShare;
  if (plan.gpus.length > 0 && rig.gpuCount > 0) {
    share = { numerator: BigInt(plan.gpus.length), denominator: BigInt(rig.gpuCount) };
  } else {
    // cores may be fractional (1.5): exact to a millionth
    share = {
      numerator: BigInt(Math.round(plan.cpuCores * 1e6)),
      denominator: BigInt(Math.max(1, Math.round(rig.threads * 1e6))),
    };
  }
  return share.numerator > share.denominator ? { numerator: 1n, denominator: 1n } : share;
}

/**
 * A decimal string ("0.25") as an integer scaled by 1e18.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decimalToWad } from "./power_floor.ts";
 * assert.equal(decimalToWad("0.25"), 250000000000000000n);
 * ```
 */
export function decimalToWad(text: string): bigint {
  if (!DECIMAL_PATTERN.test(text)) {
    throw new RangeError(`Cannot read decimal: must be like 0.25: got "${text}"`);
  }
  const [whole = "0", fraction = ""] = text.split(".");
  return BigInt(whole) * 10n ** 18n + BigInt(fraction.padEnd(18, "0").slice(0, 18) || "0");
}

/**
 * The lowest price at which a plan pays for its power, in the market's unit
 * (USD x 1e18 per second): `load_watts x price_per_kwh x share`, per second,
 * rounded up, so that an ASK at the floor never sells below the power cost.
 * 0 when the config has no power figures.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { powerFloor } from "./power_floor.ts";
 * // 300 W at 0.20 USD/kWh for the whole rig: 0.06 USD/h
 * const floor = powerFloor({
 *   loadWatts: 300, pricePerKwh: "0.20", share: { numerator: 1n, denominator: 1n },
 * });
 * assert.equal(floor, 16666666666667n); // 0.06e18 / 3600, rounded up
 * ```
 */
export function powerFloor(input: {
  loadWatts: number;
  /** USD per kWh, as an exact decimal string. */
  pricePerKwh: string;
  share: PlanShare;
}): bigint {
  const milliwatts = BigInt(Math.round(input.loadWatts * 1000));
  const usdWadPerKwh = decimalToWad(input.pricePerKwh);
  // mW x USD/kWh = USD per hour x 1e6; per second: / 3600
  const numerator = milliwatts * usdWadPerKwh * input.share.numerator;
  const denominator = 1_000_000n * 3600n * input.share.denominator;
  return (numerator + denominator - 1n) / denominator;
}
