import { z } from "zod";
import { quoteValue } from "../internal/mod.ts";
import { BENCHMARK_LIMIT, DEFAULT_ORDER_LIMITS, type OrderLimits } from "./limits.ts";
import { addressSchema, bytes32Schema, levelSchema, parseWith, uintSchema } from "./_schema.ts";
import { type MarketOrder, ZERO_ADDRESS } from "./types.ts";
import type { InvalidOrderError } from "./errors.ts";

/** Options of {@linkcode parseOrder}. */
export type ParseOrderOptions = {
  /** Bounds that override the defaults (the Market contract's). */
  limits?: Partial<OrderLimits> | undefined;
};

/** Errors {@linkcode parseOrder} throws. */
export type ParseOrderErrorType = InvalidOrderError;

const ZERO_TAG = `0x${"0".repeat(64)}` as const;

function orderSchema(limits: OrderLimits): z.ZodType<MarketOrder, unknown> {
  const maxBenchmarks = limits.maxBenchmarks;
  const maxNetflags = limits.maxNetflags;
  return z.strictObject({
    id: uintSchema(
      BigInt(Number.MAX_SAFE_INTEGER),
      "must be at most 2^53 - 1 (9007199254740991): the matcher keys orders by a safe integer",
    ),
    type: z.enum(["BID", "ASK"], { error: 'must be "BID" or "ASK"' }),
    active: z.boolean({ error: "must be true or false" }).default(true),
    author: addressSchema,
    counterparty: addressSchema.default(ZERO_ADDRESS),
    duration: uintSchema(
      limits.maxDuration,
      `must be at most ${limits.maxDuration} seconds (the Market contract's maximum)`,
    ),
    price: uintSchema(
      limits.maxPrice,
      `must be at most ${limits.maxPrice} (the Market contract's maximum price per second)`,
    ),
    netflags: z
      .array(z.boolean({ error: "must be true or false" }), {
        error: "must be an array of booleans",
      })
      .max(maxNetflags, { error: `must have at most ${maxNetflags} entries` })
      .default([]),
    identityLevel: levelSchema.default(0),
    blacklist: addressSchema.default(ZERO_ADDRESS),
    tag: bytes32Schema.default(ZERO_TAG),
    benchmarks: z
      .array(
        uintSchema(
          BENCHMARK_LIMIT - 1n,
          "must be below 2^63 (9223372036854775808): the Market contract rejects larger benchmarks",
        ),
        { error: "must be an array of decimal strings" },
      )
      .max(maxBenchmarks, { error: `must have at most ${maxBenchmarks} entries` })
      .default([]),
  }, { error: "must be an object" }) as unknown as z.ZodType<MarketOrder, unknown>;
}

const DEFAULT_SCHEMA = orderSchema(DEFAULT_ORDER_LIMITS);

/**
 * Validates an order at the edge (a market file, a chain event, an API call)
 * and returns it in the matcher's exact form: integers as bigint, addresses
 * in lower case, absent optional fields filled in. Integers may be given as
 * bigint, decimal string or safe integer number.
 *
 * An order out of the market's bounds (too many benchmarks, a benchmark of
 * 2^63 or more, a negative or oversized price, a bad address) is rejected
 * with an {@linkcode InvalidOrderError} naming the field and its value; it is
 * never truncated.
 *
 * @param input The order as data.
 * @param options Bounds that override the Market contract's.
 * @returns The validated order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseOrder } from "./mod.ts";
 * const ask = parseOrder({
 *   id: "7", type: "ASK", author: "0x00000000000000000000000000000000000000a1",
 *   duration: "3600", price: "1000", benchmarks: ["100", "1"],
 * });
 * assert.ok(ask.price === 1000n && ask.netflags.length === 0);
 * ```
 */
export function parseOrder(input: unknown, options: ParseOrderOptions = {}): MarketOrder {
  const schema = options.limits === undefined
    ? DEFAULT_SCHEMA
    : orderSchema({ ...DEFAULT_ORDER_LIMITS, ...definedOnly(options.limits) });
  const id = typeof input === "object" && input !== null
    ? (input as { id?: unknown }).id
    : undefined;
  const what = typeof id === "string" || typeof id === "bigint" || typeof id === "number"
    ? `order ${quoteValue(String(id), { maxLength: 40 })}`
    : "order";
  return parseWith(schema, input, what);
}

function definedOnly(limits: Partial<OrderLimits>): Partial<OrderLimits> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(limits)) if (v !== undefined) out[k] = v;
  return out as Partial<OrderLimits>;
}
