/**
 * Fast decoding of the Market's two order events, the indexer's hot path: a
 * first sync reads one `OrderPlaced` per order, so these read the ABI words
 * straight from the log's hex instead of going through viem's generic
 * decoder (`_order_events_test.ts` checks both agree). The layout is fixed
 * by the event signatures below; anything else is refused with the log
 * named. Private to the indexer.
 *
 * @module
 */
import { getAbiItem, getAddress, type Hex, type RpcLog, toEventSelector } from "viem";
import { marketAbi } from "./contracts.ts";
import { ChainUnexpectedError } from "./errors.ts";
import type { OrderState } from "./types.ts";
import type { Bytes32, IdentityLevel } from "../matcher/mod.ts";

/** topic0 of `OrderPlaced(uint256 indexed, address indexed, uint256, ..., bytes)`. */
export const ORDER_PLACED_TOPIC: Hex = toEventSelector(getAbiItem({
  abi: marketAbi,
  name: "OrderPlaced",
}));
/** topic0 of `OrderUpdated(uint256 indexed, uint8, uint256, uint256)`. */
export const ORDER_UPDATED_TOPIC: Hex = toEventSelector(getAbiItem({
  abi: marketAbi,
  name: "OrderUpdated",
}));

/** What `OrderUpdated` says: the fields that change after placement. */
export type OrderUpdate = { orderId: bigint; status: number; frozenSum: bigint; dealId: bigint };

/** More array entries than the contract could ever store (its bounds are far lower). */
const MAX_ARRAY = 256;
const ZERO_WORD = "0".repeat(64);

class Words {
  #hex: string;
  #log: RpcLog;
  readonly count: number;
  constructor(log: RpcLog) {
    this.#log = log;
    this.#hex = log.data;
    if ((this.#hex.length - 2) % 64 !== 0) this.fail("data", "is not a whole number of words");
    this.count = (this.#hex.length - 2) / 64;
  }
  fail(field: string, detail: string): never {
    throw new ChainUnexpectedError(
      `Cannot decode Market event in transaction "${this.#log.transactionHash}" log ${
        Number(this.#log.logIndex)
      }: ${field} ${detail}`,
    );
  }
  raw(i: number, field: string): string {
    if (i < 0 || i >= this.count) this.fail(field, `is beyond the data (word ${i})`);
    return this.#hex.slice(2 + i * 64, 66 + i * 64);
  }
  /** The hex of words [from, to). */
  slice(from: number, to: number): string {
    return this.#hex.slice(2 + from * 64, 2 + to * 64);
  }
  big(i: number, field: string): bigint {
    return BigInt(`0x${this.raw(i, field)}`);
  }
  /** A word that must be below 2^48. */
  small(i: number, field: string, max: number): number {
    const w = this.raw(i, field);
    if (w.slice(0, 52) !== ZERO_WORD.slice(0, 52)) this.fail(field, "is out of range");
    const n = parseInt(w.slice(52), 16);
    if (n > max) this.fail(field, `is out of range: ${n}`);
    return n;
  }
  address(i: number, field: string): `0x${string}` {
    const w = this.raw(i, field);
    if (w.slice(0, 24) !== ZERO_WORD.slice(0, 24)) this.fail(field, "is not an address");
    return getAddress(`0x${w.slice(24)}`);
  }
  /** The word index of a dynamic field's tail, from its offset in bytes relative to `base`. */
  offset(i: number, base: number, field: string): number {
    const bytes = this.small(i, field, this.count * 32);
    if (bytes % 32 !== 0) this.fail(field, "offset is not word-aligned");
    return base + bytes / 32;
  }
}

/** The id in topic 1. */
function idOf(log: RpcLog): bigint {
  const topic = log.topics[1];
  if (topic === undefined) {
    throw new ChainUnexpectedError(
      `Cannot decode Market event in transaction "${log.transactionHash}": no orderId topic`,
    );
  }
  return BigInt(topic);
}

/**
 * Decodes an `OrderPlaced` log into the order as placed (active, no deal).
 *
 * @example
 * ```ts ignore
 * const order = decodeOrderPlaced(log); // log.topics[0] === ORDER_PLACED_TOPIC
 * ```
 */
export function decodeOrderPlaced(log: RpcLog): OrderState {
  const w = new Words(log);
  // packed: orderType | identityLevel << 8 | netflags.length << 16 | duration << 64 | bits << 128
  const packed = w.raw(0, "packed");
  const orderType = parseInt(packed.slice(62, 64), 16);
  if (orderType !== 1 && orderType !== 2) {
    w.fail("packed.orderType", `is out of range: ${orderType}`);
  }
  const nf = parseInt(packed.slice(58, 60), 16);
  if (nf > 64) w.fail("packed.netflags", `has more than 64 entries: ${nf}`);
  const bits = BigInt(`0x${packed.slice(16, 32)}`);
  const netflags: boolean[] = new Array(nf);
  for (let i = 0; i < nf; i++) netflags[i] = ((bits >> BigInt(i)) & 1n) === 1n;
  const benchAt = w.offset(6, 0, "benchmarks");
  if (benchAt < 7) w.fail("benchmarks", "offset points into the head");
  const bytes = w.small(benchAt, "benchmarks.length", MAX_ARRAY * 8);
  if (bytes % 8 !== 0) w.fail("benchmarks.length", `is not a multiple of 8: ${bytes}`);
  const nb = bytes / 8;
  const words = Math.ceil(bytes / 32);
  if (benchAt + words >= w.count) w.fail("benchmarks", "is beyond the data");
  const hex = words === 0 ? "" : w.raw(benchAt + 1, "benchmarks") +
    (words > 1 ? w.slice(benchAt + 2, benchAt + 1 + words) : "");
  const benchmarks: bigint[] = new Array(nb);
  for (let i = 0; i < nb; i++) benchmarks[i] = BigInt(`0x${hex.slice(16 * i, 16 * i + 16)}`);
  return {
    id: idOf(log),
    type: orderType === 1 ? "BID" : "ASK",
    active: true,
    author: topicAddress(log),
    counterparty: w.address(1, "counterparty"),
    duration: BigInt(`0x${packed.slice(32, 48)}`),
    price: w.big(2, "price"),
    netflags,
    identityLevel: parseInt(packed.slice(60, 62), 16) as IdentityLevel,
    blacklist: w.address(3, "blacklist"),
    tag: `0x${w.raw(4, "tag")}` as Bytes32,
    benchmarks,
    frozenSum: w.big(5, "frozenSum"),
    dealId: 0n,
  };
}

/** The author in topic 2. */
function topicAddress(log: RpcLog): `0x${string}` {
  const topic = log.topics[2];
  if (topic === undefined || topic.length !== 66 || topic.slice(2, 26) !== ZERO_WORD.slice(0, 24)) {
    throw new ChainUnexpectedError(
      `Cannot decode Market event in transaction "${log.transactionHash}": no author topic`,
    );
  }
  return getAddress(`0x${topic.slice(26)}`);
}

/**
 * Decodes an `OrderUpdated` log.
 *
 * @example
 * ```ts ignore
 * const { orderId, status } = decodeOrderUpdated(log);
 * ```
 */
export function decodeOrderUpdated(log: RpcLog): OrderUpdate {
  const w = new Words(log);
  return {
    orderId: idOf(log),
    status: w.small(0, "status", 255),
    frozenSum: w.big(1, "frozenSum"),
    dealId: w.big(2, "dealId"),
  };
}
