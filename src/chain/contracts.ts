/**
 * ABIs and creation bytecode of the market contracts, generated from `contracts/*.sol` by
 * `deno task contracts` (scripts/compile_contracts.ts). The ABIs are `as const`, so viem infers
 * function names, arguments, return types, events and custom errors from them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { marketAbi } from "./contracts.ts";
 * const placeOrder = marketAbi.find((x) => x.type === "function" && x.name === "placeOrder");
 * assert.notEqual(placeOrder, undefined);
 * ```
 *
 * @module
 */

export { blacklistAbi, blacklistBytecode } from "../../contracts/artifacts/Blacklist.ts";
export { marketAbi, marketBytecode } from "../../contracts/artifacts/Market.ts";
export { oracleAbi, oracleBytecode } from "../../contracts/artifacts/Oracle.ts";
export {
  profileRegistryAbi,
  profileRegistryBytecode,
} from "../../contracts/artifacts/ProfileRegistry.ts";
export { tokenAbi, tokenBytecode } from "../../contracts/artifacts/Token.ts";

/** `Market.Order.orderType` values. */
export const ORDER_TYPE = { BID: 1, ASK: 2 } as const;

/** `Market.Order.status` values. */
export const ORDER_STATUS = { INACTIVE: 1, ACTIVE: 2 } as const;

/** `Market.Deal.status` values. */
export const DEAL_STATUS = { ACCEPTED: 1, CLOSED: 2 } as const;

/** `Market.ChangeRequest.status` values. */
export const CHANGE_REQUEST_STATUS = { CREATED: 1, CANCELED: 2, REJECTED: 3, ACCEPTED: 4 } as const;

/** Bounds enforced by `Market.placeOrder` (also public constants of the contract). */
export const MARKET_LIMITS = {
  /** Largest price, USD x 1e18 per second (2^80). */
  maxPrice: 2n ** 80n,
  /** Largest duration in seconds (10 years of 365 days). */
  maxDuration: 315_360_000n,
  /** Every benchmark value must be below this (2^63). */
  benchmarkLimit: 2n ** 63n,
  /** Largest oracle rate, token wei per USD (2^96). */
  maxRate: 2n ** 96n,
  /** Billing period of forward deals at most, seconds. */
  maxBillingPeriod: 86_400n,
  /** Billing period of spot deals, seconds. */
  spotBillingPeriod: 3_600n,
} as const;
