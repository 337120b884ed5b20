import {
  type BenchmarkDefinition,
  BENCHMARKS,
  type PlanShare,
  planValue,
} from "../../bench/mod.ts";
import { parseUsdPerHour } from "../../chain/mod.ts";
import type { PlanConfig } from "../config/mod.ts";
import { type AskParameters, askParamsHash, tagBytes32 } from "./_ask_params.ts";
import { errorText, ZERO_ADDRESS } from "../../internal/mod.ts";
import { ConfigError } from "../base/mod.ts";

export type { AskParameters } from "./_ask_params.ts";

/** What the rig has, as far as pricing a plan needs it (from hardware discovery). */
export type RigCapacity = {
  /** CPU threads of the rig (what the all-threads sysbench result was measured on). */
  threads: number;
  /** The rig's GPUs by index. */
  gpus: readonly { index: number; memBytes: number; vendor: string }[];
};

/** Options of {@linkcode planAsk}. */
export type PlanAskOptions = {
  rig: RigCapacity;
  /**
   * Measured results from the bench cache, by benchmark id (probe and
   * network benchmarks; host ones come from the plan). @default {none}
   */
  measured?: ReadonlyMap<number, bigint> | undefined;
  /** How many benchmark ids the market takes (`Market.benchmarksQuantity()`); higher ids are left out. */
  benchmarksQuantity: number;
  /** The benchmark list. @default {BENCHMARKS} */
  benchmarks?: readonly BenchmarkDefinition[] | undefined;
  /**
   * The price, USD x 1e18 per second, for a plan priced `auto` (decided by
   * the price step); a fixed-price plan's own price wins.
   */
  price?: bigint | undefined;
};

/** A plan turned into an ASK: its parameters and their hash. */
export type PlannedAsk = {
  plan: string;
  params: AskParameters;
  /** {@linkcode askParamsHash} of `params` (hex sha-256). */
  hash: string;
};

/**
 * Turns a config plan into the parameters of its ASK order. Pure: the rig's
 * capacity and the cached measurements come in as data.
 *
 * - price: `price_usd_per_hour` as USD x 1e18 per second (parseUsdPerHour),
 *   or `options.price` for a plan priced `auto`;
 *   duration: 0 for spot, else seconds;
 * - netflags: [overlay, outbound, incoming]; counterparty and blacklist: 0x0
 *   when unset; tag: the plan's tag, utf-8, right-padded to 32 bytes;
 * - benchmarks from the plan's resources: cpu-cores = floor(cpu_cores) (a
 *   fractional share never promises a whole core it does not give), ram-size
 *   and storage-size in bytes, gpu-count = the plan's GPUs, gpu-mem = the sum
 *   of their memory, gpu-nvidia / gpu-radeon = 1 when one of them is of that
 *   vendor;
 * - measured benchmarks (sysbench, network, GPU probes) from `measured`:
 *   per-thread and network values as measured; the all-threads sysbench
 *   scaled by the plan's share of the rig's threads, GPU probe values (sums
 *   over the rig's GPUs) scaled by the plan's share of the GPUs, and GPU
 *   values left out of a plan without GPUs;
 * - only ids below `benchmarksQuantity`.
 *
 * @throws {ConfigError} when the plan names a GPU the rig does not have, or its price is out of range
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planAsk } from "./plan_ask.ts";
 * const planned = planAsk({
 *   name: "cpu-small", priceUsdPerHour: "0.36", duration: "spot",
 *   resources: { cpuCores: 1, ramBytes: 2 ** 30, storageBytes: 0, gpus: [],
 *     net: { overlay: false, outbound: true, incoming: false } },
 *   identityLevel: 0, counterparty: undefined, blacklist: undefined, tag: "demo",
 * }, { rig: { threads: 2, gpus: [] }, benchmarksQuantity: 15 });
 * assert.equal(planned.params.price, 100_000_000_000_000n);
 * assert.equal(planned.params.benchmarks[2], 1n);
 * ```
 */
export function planAsk(plan: PlanConfig, options: PlanAskOptions): PlannedAsk {
  const {
    rig,
    measured = new Map<number, bigint>(),
    benchmarksQuantity,
    benchmarks: rows = BENCHMARKS,
  } = options;
  const fail = (field: string, value: unknown, message: string) =>
    new ConfigError({
      problems: [{ path: `plans["${plan.name}"].${field}`, message, value }],
    }, { hints: [`Cannot place the ASK of plan "${plan.name}": fix the plan and restart`] });
  let price: bigint;
  if (plan.priceUsdPerHour === "auto") {
    if (options.price === undefined) {
      throw new RangeError(
        `Cannot plan the ASK of plan "${plan.name}": its auto price is not set yet`,
      );
    }
    price = options.price;
  } else {
    try {
      price = parseUsdPerHour(plan.priceUsdPerHour);
    } catch (cause) {
      throw fail("price_usd_per_hour", plan.priceUsdPerHour, errorText(cause));
    }
  }
  const r = plan.resources;
  const gpus = r.gpus.map((index) => {
    const gpu = rig.gpus.find((g) => g.index === index);
    if (gpu === undefined) {
      throw fail("resources.gpus", index, "names a GPU this rig does not have");
    }
    return gpu;
  });
  // Each benchmark row says how a rig's value becomes this plan's (bench's planValue).
  const share: PlanShare = {
    cpuCores: r.cpuCores,
    ramBytes: r.ramBytes,
    storageBytes: r.storageBytes,
    gpus,
    rig: { threads: rig.threads, gpuCount: rig.gpus.length },
  };
  const values = new Map<number, bigint>();
  for (const b of rows) {
    const value = planValue(b, share, measured.get(b.id));
    if (value !== undefined) values.set(b.id, value);
  }
  const width = Math.max(0, Math.min(benchmarksQuantity, 1 + Math.max(...values.keys())));
  const benchmarks = Array.from({ length: width }, (_, id) => values.get(id) ?? 0n);

  const params: AskParameters = {
    duration: plan.duration === "spot" ? 0n : BigInt(plan.duration),
    price,
    netflags: [r.net.overlay, r.net.outbound, r.net.incoming],
    identityLevel: plan.identityLevel,
    counterparty: plan.counterparty ?? ZERO_ADDRESS,
    blacklist: plan.blacklist ?? ZERO_ADDRESS,
    tag: tagBytes32(plan.tag),
    benchmarks,
  };
  return { plan: plan.name, params, hash: askParamsHash(params) };
}
