import { type BenchmarkDefinition, BENCHMARKS } from "../../bench/mod.ts";
import { parseUsdPerHour } from "../../chain/mod.ts";
import { ZERO_ADDRESS } from "../../internal/mod.ts";
import type { BidSpec } from "../config/mod.ts";
import { ConfigError } from "../base/mod.ts";
import { type AskParameters, tagBytes32 } from "./_ask_params.ts";

/** The parameters of a BID order, as placeOrder takes them (the same fields as an ASK's). */
export type BidParameters = AskParameters;

/** Options of {@linkcode bidOrder}. */
export type BidOrderOptions = {
  /** How many benchmark ids the market takes (`Market.benchmarksQuantity()`). */
  benchmarksQuantity: number;
  /** The benchmark list. @default {BENCHMARKS} */
  benchmarks?: readonly BenchmarkDefinition[] | undefined;
};

/** The host benchmarks a BID's resources set, by key, the way a plan's ASK sets them. */
const FROM_RESOURCES: Readonly<Record<string, (r: BidSpec["resources"]) => bigint>> = {
  "cpu-cores": (r) => BigInt(Math.floor(r.cpuCores)),
  "ram-size": (r) => BigInt(r.ramBytes),
  "storage-size": (r) => BigInt(r.storageBytes),
  "gpu-count": (r) => BigInt(r.gpuCount),
  "gpu-mem": (r) => BigInt(r.gpuMemBytes),
};

/**
 * Turns a BID file into the parameters of its order, the mirror of a plan's
 * ASK (planAsk), so that a BID copied from a plan fits its ASK. Pure.
 *
 * - price: `price_usd_per_hour` as USD x 1e18 per second; duration: 0 for
 *   spot, else seconds;
 * - netflags: [overlay, outbound, incoming], each true meaning the ASK must
 *   offer it;
 * - benchmarks: `cpu-cores` = floor(`cpu_cores`) (as a plan's ASK offers),
 *   `ram-size`, `storage-size`, `gpu-count`, `gpu-mem`, and the file's
 *   `benchmarks` minimums by key or id; trailing zeros dropped;
 * - counterparty and blacklist 0x0 when unset; the tag right-padded to 32 bytes.
 *
 * @throws {ConfigError} naming the field: an unknown benchmark, one the market
 * does not take, or a price out of range
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bidOrder } from "./bid_order.ts";
 * import { parseBidSpec } from "../config/mod.ts";
 * const spec = parseBidSpec('price_usd_per_hour: "0.36"\nresources: { cpu_cores: 1.5, ram: 1KiB }\n');
 * const bid = bidOrder(spec, { benchmarksQuantity: 15 });
 * assert.equal(bid.price, 100_000_000_000_000n);
 * assert.deepEqual(bid.benchmarks, [0n, 0n, 1n, 1024n]);
 * ```
 */
export function bidOrder(spec: BidSpec, options: BidOrderOptions): BidParameters {
  const { benchmarksQuantity, benchmarks: rows = BENCHMARKS } = options;
  const fail = (field: string, value: unknown, message: string) =>
    new ConfigError({ problems: [{ path: field, message, value }] });
  let price: bigint;
  try {
    price = parseUsdPerHour(spec.priceUsdPerHour);
  } catch (cause) {
    throw fail(
      "price_usd_per_hour",
      spec.priceUsdPerHour,
      cause instanceof Error ? cause.message : String(cause),
    );
  }
  const values = new Map<number, bigint>();
  for (const row of rows) {
    const from = FROM_RESOURCES[row.key];
    if (from !== undefined) values.set(row.id, from(spec.resources));
  }
  for (const [name, value] of Object.entries(spec.benchmarks)) {
    const row = rows.find((b) => b.key === name || String(b.id) === name);
    if (row === undefined) {
      throw fail(`benchmarks.${name}`, value, "is not a known benchmark key or id");
    }
    values.set(row.id, value > (values.get(row.id) ?? 0n) ? value : values.get(row.id)!);
  }
  for (const [id, value] of values) {
    if (id >= benchmarksQuantity && value > 0n) {
      const key = rows.find((b) => b.id === id)?.key ?? String(id);
      throw fail(
        key in FROM_RESOURCES ? "resources" : `benchmarks.${key}`,
        value,
        `asks for benchmark ${id} (${key}), which this market does not take (it takes ids below ${benchmarksQuantity})`,
      );
    }
  }
  const width = Math.min(benchmarksQuantity, 1 + Math.max(-1, ...values.keys()));
  const list = Array.from({ length: width }, (_, id) => values.get(id) ?? 0n);
  while (list.length > 0 && list[list.length - 1] === 0n) list.pop();
  const net = spec.resources.net;
  const flags = [net.overlay, net.outbound, net.incoming];
  while (flags.length > 0 && flags[flags.length - 1] === false) flags.pop();
  return {
    duration: spec.duration === "spot" ? 0n : BigInt(spec.duration),
    price,
    netflags: flags,
    identityLevel: spec.identityLevel,
    counterparty: spec.counterparty ?? ZERO_ADDRESS,
    blacklist: spec.blacklist ?? ZERO_ADDRESS,
    tag: tagBytes32(spec.tag),
    benchmarks: list,
  };
}
