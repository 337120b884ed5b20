/**
 * Orders as columns (typed arrays plus lists of distinct addresses and tags),
 * the form `OrderBook.loadColumns` takes to load a whole market
 * without one object, string or bigint per order. Prices are split in a
 * high part (`price >> 32`) and a low 32-bit part, benchmarks in hi/lo
 * 32-bit halves, so a reader can fill them from decimal text without BigInt
 * when a value fits in 53 bits ({@linkcode OrderColumnsBuilder.setPriceText}).
 *
 * @module
 */
import type { Address, Bytes32, IdentityLevel, MarketOrder } from "./types.ts";

/** Columns of `count` orders; row `i` of every array is order `i`. */
export type OrderColumns = {
  readonly count: number;
  /** Order ids (integers below 2^53). */
  readonly id: Float64Array;
  /** 1 for a BID, 0 for an ASK. */
  readonly isBid: Uint8Array;
  /** Indexes into `addresses`. */
  readonly author: Int32Array;
  readonly counterparty: Int32Array;
  readonly blacklist: Int32Array;
  /** Distinct addresses the rows refer to. */
  readonly addresses: readonly string[];
  /** Indexes into `tags`. */
  readonly tag: Int32Array;
  readonly tags: readonly string[];
  /** `price >> 32` (exact below 2^85) and `price & 0xffffffff`. */
  readonly priceHigh: Float64Array;
  readonly priceLow: Uint32Array;
  /** Seconds. */
  readonly duration: Float64Array;
  /** Bit i = netflags[i]. */
  readonly netflagMask: Uint8Array;
  readonly netflagCount: Uint8Array;
  readonly identityLevel: Uint8Array;
  readonly benchmarkCount: Uint8Array;
  /** Benchmarks per row in `benchmarks` (the stride is twice that: hi, lo). */
  readonly benchmarkWidth: number;
  /** `benchmarks[(row * width + i) * 2]` = hi 32 bits of benchmark i, then its lo 32 bits. */
  readonly benchmarks: Uint32Array;
};

const TWO_32 = 4294967296;

/**
 * Fills {@linkcode OrderColumns} row by row, interning addresses and tags
 * once per distinct value. Grows as needed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createOrderBook, OrderColumnsBuilder } from "./mod.ts";
 * const b = new OrderColumnsBuilder();
 * const author = b.address("0x00000000000000000000000000000000000000a1");
 * const r = b.addRow(7, true, author);
 * b.setPriceText(r, "30");
 * b.setBenchmarkText(r, 0, "9223372036854775807");
 * const book = createOrderBook();
 * book.loadColumns(b.build());
 * assert.equal(book.get(7n)?.benchmarks[0], 2n ** 63n - 1n);
 * ```
 */
export class OrderColumnsBuilder {
  #count = 0;
  #cap: number;
  #width: number;
  #addressIds = new Map<string, number>();
  #addresses: string[] = [];
  #tagIds = new Map<string, number>();
  #tags: string[] = [];
  id: Float64Array;
  isBid: Uint8Array;
  author: Int32Array;
  counterparty: Int32Array;
  blacklist: Int32Array;
  tag: Int32Array;
  priceHigh: Float64Array;
  priceLow: Uint32Array;
  duration: Float64Array;
  netflagMask: Uint8Array;
  netflagCount: Uint8Array;
  identityLevel: Uint8Array;
  benchmarkCount: Uint8Array;
  benchmarks: Uint32Array;

  /** `capacity`: rows to allocate up front; `width`: benchmarks per row (more widens). */
  constructor(capacity = 1024, width = 13) {
    this.#cap = Math.max(1, capacity);
    this.#width = width;
    const c = this.#cap;
    this.id = new Float64Array(c);
    this.isBid = new Uint8Array(c);
    this.author = new Int32Array(c);
    this.counterparty = new Int32Array(c);
    this.blacklist = new Int32Array(c);
    this.tag = new Int32Array(c);
    this.priceHigh = new Float64Array(c);
    this.priceLow = new Uint32Array(c);
    this.duration = new Float64Array(c);
    this.netflagMask = new Uint8Array(c);
    this.netflagCount = new Uint8Array(c);
    this.identityLevel = new Uint8Array(c);
    this.benchmarkCount = new Uint8Array(c);
    this.benchmarks = new Uint32Array(c * width * 2);
    this.address("0x0000000000000000000000000000000000000000");
    this.tagIndex(`0x${"0".repeat(64)}`);
  }

  get count(): number {
    return this.#count;
  }

  /** Index of an address in the columns' list (0 is the zero address). */
  address(a: string): number {
    let i = this.#addressIds.get(a);
    if (i === undefined) {
      i = this.#addresses.length;
      this.#addressIds.set(a, i);
      this.#addresses.push(a);
    }
    return i;
  }

  /** Index of a tag in the columns' list (0 is the zero tag). */
  tagIndex(t: string): number {
    let i = this.#tagIds.get(t);
    if (i === undefined) {
      i = this.#tags.length;
      this.#tagIds.set(t, i);
      this.#tags.push(t);
    }
    return i;
  }

  /** Appends a row with zero price, duration, flags and benchmarks; returns it. */
  addRow(id: number, isBid: boolean, author: number): number {
    if (this.#count === this.#cap) this.#grow(Math.ceil(this.#cap * 1.5) + 16, this.#width);
    const r = this.#count++;
    this.id[r] = id;
    this.isBid[r] = isBid ? 1 : 0;
    this.author[r] = author;
    return r;
  }

  /** Sets a row's price from its decimal text (no BigInt below 2^53). */
  setPriceText(r: number, text: string): void {
    const v = smallDecimal(text);
    if (v >= 0) {
      this.priceHigh[r] = Math.floor(v / TWO_32);
      this.priceLow[r] = v % TWO_32;
      return;
    }
    this.setPrice(r, parseUint(text, "price"));
  }

  /** Sets a row's price (a negative or huge one is kept for loadColumns to refuse). */
  setPrice(r: number, price: bigint): void {
    this.priceHigh[r] = price < 0n ? -1 : Number(price >> 32n);
    this.priceLow[r] = Number(price & 0xffffffffn);
  }

  /** Sets benchmark `i` of a row from its decimal text (no BigInt below 2^53). */
  setBenchmarkText(r: number, i: number, text: string): void {
    const v = smallDecimal(text);
    if (v >= 0) {
      this.setBenchmarkHalves(r, i, Math.floor(v / TWO_32), v % TWO_32);
      return;
    }
    this.setBenchmark(r, i, parseUint(text, `benchmarks[${i}]`));
  }

  /** Sets benchmark `i` of a row (one at 2^64 or above is kept as out of bounds). */
  setBenchmark(r: number, i: number, value: bigint): void {
    const out = value < 0n || value >= 1n << 64n;
    this.setBenchmarkHalves(
      r,
      i,
      out ? 0xffffffff : Number(value >> 32n),
      out ? 0xffffffff : Number(value & 0xffffffffn),
    );
  }

  /** Sets benchmark `i` of a row from its 32-bit halves. */
  setBenchmarkHalves(r: number, i: number, hi: number, lo: number): void {
    if (i >= this.#width) this.#grow(this.#cap, i + 1);
    const at = (r * this.#width + i) * 2;
    this.benchmarks[at] = hi;
    this.benchmarks[at + 1] = lo;
    if (i + 1 > (this.benchmarkCount[r] as number)) this.benchmarkCount[r] = i + 1;
  }

  /** Appends an order object (validation happens in loadColumns). */
  addOrder(o: MarketOrder): number {
    const r = this.addRow(Number(o.id), o.type === "BID", this.address(o.author));
    this.counterparty[r] = this.address(o.counterparty);
    this.blacklist[r] = this.address(o.blacklist);
    this.tag[r] = this.tagIndex(o.tag);
    this.setPrice(r, o.price);
    this.duration[r] = Number(o.duration);
    let mask = 0;
    for (let i = 0; i < o.netflags.length; i++) if (o.netflags[i]) mask |= 1 << i;
    this.netflagMask[r] = mask;
    this.netflagCount[r] = o.netflags.length;
    this.identityLevel[r] = o.identityLevel;
    for (let i = 0; i < o.benchmarks.length; i++) this.setBenchmark(r, i, o.benchmarks[i]!);
    this.benchmarkCount[r] = o.benchmarks.length;
    return r;
  }

  #grow(cap: number, width: number): void {
    const n = this.#count;
    const f64 = (a: Float64Array) => copy(a, new Float64Array(cap), n);
    const u8 = (a: Uint8Array) => copy(a, new Uint8Array(cap), n);
    const i32 = (a: Int32Array) => copy(a, new Int32Array(cap), n);
    this.id = f64(this.id);
    this.isBid = u8(this.isBid);
    this.author = i32(this.author);
    this.counterparty = i32(this.counterparty);
    this.blacklist = i32(this.blacklist);
    this.tag = i32(this.tag);
    this.priceHigh = f64(this.priceHigh);
    this.priceLow = copy(this.priceLow, new Uint32Array(cap), n);
    this.duration = f64(this.duration);
    this.netflagMask = u8(this.netflagMask);
    this.netflagCount = u8(this.netflagCount);
    this.identityLevel = u8(this.identityLevel);
    this.benchmarkCount = u8(this.benchmarkCount);
    const bench = new Uint32Array(cap * width * 2);
    const oldStride = this.#width * 2;
    for (let r = 0; r < n; r++) {
      bench.set(this.benchmarks.subarray(r * oldStride, (r + 1) * oldStride), r * width * 2);
    }
    this.benchmarks = bench;
    this.#cap = cap;
    this.#width = width;
  }

  /** The columns so far (views of the builder's arrays, trimmed to `count`). */
  build(): OrderColumns {
    const n = this.#count;
    return {
      count: n,
      id: this.id.subarray(0, n),
      isBid: this.isBid.subarray(0, n),
      author: this.author.subarray(0, n),
      counterparty: this.counterparty.subarray(0, n),
      blacklist: this.blacklist.subarray(0, n),
      addresses: this.#addresses,
      tag: this.tag.subarray(0, n),
      tags: this.#tags,
      priceHigh: this.priceHigh.subarray(0, n),
      priceLow: this.priceLow.subarray(0, n),
      duration: this.duration.subarray(0, n),
      netflagMask: this.netflagMask.subarray(0, n),
      netflagCount: this.netflagCount.subarray(0, n),
      identityLevel: this.identityLevel.subarray(0, n),
      benchmarkCount: this.benchmarkCount.subarray(0, n),
      benchmarkWidth: this.#width,
      benchmarks: this.benchmarks.subarray(0, n * this.#width * 2),
    };
  }
}

/**
 * Orders as {@linkcode OrderColumns} (inactive ones are skipped: columns hold
 * standing orders).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { orderColumnsOf, parseOrder } from "./mod.ts";
 * const author = "0x00000000000000000000000000000000000000a1";
 * const cols = orderColumnsOf([parseOrder({ id: 1, type: "BID", author, duration: 0, price: 5 })]);
 * assert.equal(cols.count, 1);
 * ```
 */
export function orderColumnsOf(orders: readonly MarketOrder[]): OrderColumns {
  const b = new OrderColumnsBuilder(orders.length);
  for (const o of orders) if (o.active) b.addOrder(o);
  return b.build();
}

/** Row `r` of `c` as an order object. */
export function orderOfRow(c: OrderColumns, r: number): MarketOrder {
  const nb = c.benchmarkCount[r] as number;
  const base = r * c.benchmarkWidth * 2;
  const benchmarks: bigint[] = new Array(nb);
  for (let i = 0; i < nb; i++) {
    benchmarks[i] = (BigInt(c.benchmarks[base + 2 * i] as number) << 32n) |
      BigInt(c.benchmarks[base + 2 * i + 1] as number);
  }
  const nf = c.netflagCount[r] as number;
  const mask = c.netflagMask[r] as number;
  const ph = c.priceHigh[r] as number;
  return {
    id: BigInt(c.id[r] as number),
    type: c.isBid[r] === 1 ? "BID" : "ASK",
    active: true,
    author: c.addresses[c.author[r] as number] as Address,
    counterparty: c.addresses[c.counterparty[r] as number] as Address,
    duration: BigInt(c.duration[r] as number),
    price: ph < 0 ? -1n : (BigInt(ph) << 32n) | BigInt(c.priceLow[r] as number),
    netflags: Array.from({ length: nf }, (_, i) => ((mask >> i) & 1) === 1),
    identityLevel: c.identityLevel[r] as IdentityLevel,
    blacklist: c.addresses[c.blacklist[r] as number] as Address,
    tag: c.tags[c.tag[r] as number] as Bytes32,
    benchmarks,
  };
}

function copy<T extends Float64Array | Uint8Array | Int32Array | Uint32Array>(
  from: T,
  to: T,
  n: number,
): T {
  to.set(from.subarray(0, n) as never);
  return to;
}

/** The value of 1 to 15 decimal digits (exact: below 2^53), or -1 for anything else. */
function smallDecimal(text: string): number {
  const n = text.length;
  if (n === 0 || n > 15) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

function parseUint(text: string, field: string): bigint {
  if (!/^\d+$/.test(text)) {
    throw new RangeError(
      `Cannot read order columns: ${field} must be a decimal integer: "${text}"`,
    );
  }
  return BigInt(text);
}
