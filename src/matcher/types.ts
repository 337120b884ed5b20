/**
 * The market's order and view types, shared by the matcher and (as types
 * only) by src/chain. Field meanings follow the Market contract; see
 * DESIGN.md "The market rules".
 *
 * @module
 */

/** A 20-byte hex address, lower or mixed case. */
export type Address = `0x${string}`;

/** A 32-byte hex value. */
export type Bytes32 = `0x${string}`;

/** Who placed an order: a consumer's BID or a supplier's ASK. */
export type OrderType = "BID" | "ASK";

/** Identity levels: 0 anonymous, 1 registered, 2 identified, 3 professional. */
export type IdentityLevel = 0 | 1 | 2 | 3;

/** Number of network flags the market knows: overlay, outbound, incoming. */
export const NETFLAG_COUNT = 3;

/** An order as the market contract stores it (all integers exact). */
export type MarketOrder = {
  /** Order id on chain. */
  id: bigint;
  type: OrderType;
  /** Whether the order still stands (not cancelled, not taken by a deal). */
  active: boolean;
  author: Address;
  /** 0x0 = anyone; otherwise the master address of the only allowed other side. */
  counterparty: Address;
  /** Seconds; 0 = spot (open-ended). */
  duration: bigint;
  /** USD x 1e18 per second. */
  price: bigint;
  /** overlay, outbound, incoming; missing entries are false. */
  netflags: readonly boolean[];
  /** Identity level the other side must have at least. */
  identityLevel: IdentityLevel;
  /** Owner of an extra blacklist that applies (0x0 = none). */
  blacklist: Address;
  tag: Bytes32;
  /** Benchmark values by id (see src/bench's list); each < 2^63; missing = 0. */
  benchmarks: readonly bigint[];
};

/**
 * What the matcher needs to know of the chain beyond the two orders: the
 * chain layer provides these from its indexed state.
 */
export interface MarketViews {
  /** The confirmed master of `who`, or `who` itself. */
  masterOf(who: Address): Address;
  /** The identity level of `who` in the profile registry (0 when unknown). */
  levelOf(who: Address): IdentityLevel;
  /** Whether `owner`'s blacklist lists `who`. */
  listed(owner: Address, who: Address): boolean;
}

/** The zero address, meaning "anyone" or "none" depending on the field (the one constant). */
export { ZERO_ADDRESS } from "../internal/mod.ts";

/**
 * The views as plain data (what the chain layer indexes from events, and what
 * a market file holds): confirmed worker bindings, profile levels, blacklist
 * entries. {@linkcode MarketViews} answers questions about such data.
 */
export type MarketViewData = {
  /** Confirmed worker -> master bindings. */
  readonly masters?: readonly { readonly worker: Address; readonly master: Address }[];
  /** Identity levels from the profile registry (absent = 0). */
  readonly levels?: readonly { readonly address: Address; readonly level: IdentityLevel }[];
  /** Blacklist entries: `owner`'s list holds `listed`. */
  readonly blacklists?: readonly { readonly owner: Address; readonly listed: Address }[];
};
