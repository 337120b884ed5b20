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

/** topic0 of `OrderPlaced(uint256 indexed, address indexed, Order)`. */
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

/** Head words of the Order tuple. */
const HEAD = 13;
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
 * Decodes an `OrderPlaced` log into the order as the contract stored it.
 *
 * @example
 * ```ts ignore
 * const order = decodeOrderPlaced(log); // log.topics[0] === ORDER_PLACED_TOPIC
 * ```
 */
export function decodeOrderPlaced(log: RpcLog): OrderState {
  const w = new Words(log);
  const base = w.offset(0, 0, "order") + 0;
  const at = (k: number) => base + k;
  const orderType = w.small(at(0), "order.orderType", 2);
  const status = w.small(at(1), "order.status", 2);
  if (orderType === 0) w.fail("order.orderType", "is 0");
  if (status === 0) w.fail("order.status", "is 0");
  const flagsAt = w.offset(at(6), base, "order.netflags");
  const benchAt = w.offset(at(10), base, "order.benchmarks");
  if (flagsAt < base + HEAD || benchAt < base + HEAD) w.fail("order", "arrays overlap its head");
  const nf = w.small(flagsAt, "order.netflags.length", MAX_ARRAY);
  const netflags: boolean[] = new Array(nf);
  for (let i = 0; i < nf; i++) netflags[i] = w.small(flagsAt + 1 + i, "order.netflags", 1) === 1;
  const nb = w.small(benchAt, "order.benchmarks.length", MAX_ARRAY);
  const benchmarks: bigint[] = new Array(nb);
  for (let i = 0; i < nb; i++) {
    const v = w.raw(benchAt + 1 + i, "order.benchmarks");
    if (v.slice(0, 48) !== ZERO_WORD.slice(0, 48)) w.fail("order.benchmarks", "exceeds uint64");
    benchmarks[i] = BigInt(`0x${v.slice(48)}`);
  }
  return {
    id: idOf(log),
    type: orderType === 1 ? "BID" : "ASK",
    active: status === 2,
    author: w.address(at(2), "order.author"),
    counterparty: w.address(at(3), "order.counterparty"),
    duration: w.big(at(4), "order.duration"),
    price: w.big(at(5), "order.price"),
    netflags,
    identityLevel: w.small(at(7), "order.identityLevel", 255) as IdentityLevel,
    blacklist: w.address(at(8), "order.blacklist"),
    tag: `0x${w.raw(at(9), "order.tag")}` as Bytes32,
    benchmarks,
    frozenSum: w.big(at(11), "order.frozenSum"),
    dealId: w.big(at(12), "order.dealId"),
  };
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
