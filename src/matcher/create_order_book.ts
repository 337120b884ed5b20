import { AddressTable } from "./_address_table.ts";
import { type Query, scanAsks, scanBids } from "./_scan.ts";
import { DEAD, Side } from "./_side.ts";
import { IdIndex } from "./_id_index.ts";
import { summarize, SUMMARY_WORDS } from "./_quantize.ts";
import { InvalidOrderError } from "./errors.ts";
import { explainMatch, type MatchExplanation } from "./explain_match.ts";
import { BENCHMARK_LIMIT, DEFAULT_ORDER_LIMITS, type OrderLimits, PRICE_LIMIT } from "./limits.ts";
import type {
  Address,
  Bytes32,
  IdentityLevel,
  MarketOrder,
  MarketViewData,
  MarketViews,
} from "./types.ts";

/** Options of {@linkcode createOrderBook}. */
export type CreateOrderBookOptions = {
  /** Bounds that override the defaults (the Market contract's). */
  limits?: Partial<OrderLimits> | undefined;
  /** Initial views (worker bindings, levels, blacklists). */
  views?: MarketViewData | undefined;
};

/** Options of {@linkcode OrderBook.matchAsk} and {@linkcode OrderBook.matchBid}. */
export type MatchOptions = {
  /** Most matches to return (the best ones); all when absent. */
  limit?: number | undefined;
};

/** Counts and sizes of an order book. */
export type OrderBookStats = {
  bids: number;
  asks: number;
  addresses: number;
  blacklistEntries: number;
  /** Bytes held by the typed-array columns (not the id map). */
  columnBytes: number;
};

/**
 * The open orders of the market in a columnar layout, with the views the
 * rules need. Adding, updating and removing an order by id is O(1)
 * amortized; the sorted part is merged lazily on the next query.
 */
export interface OrderBook {
  /** Adds an order, or replaces the order with the same id; an inactive order is removed. */
  add(order: MarketOrder): void;
  /**
   * Adds many orders, with the result of `add` on each in turn (the last
   * state of an id wins), but sorted once and written in place: the way to
   * load a market (a million orders in about a second).
   */
  addAll(orders: Iterable<MarketOrder>): void;
  /** Removes an order by id; returns whether it was there. */
  remove(id: bigint): boolean;
  /** Whether an order with this id stands in the book. */
  has(id: bigint): boolean;
  /** The standing order with this id, rebuilt from the columns. */
  get(id: bigint): MarketOrder | undefined;
  /** Every resting BID that `ask` satisfies, best first (highest price, then oldest). */
  matchAsk(ask: MarketOrder, options?: MatchOptions): bigint[];
  /** Every resting ASK that `bid` fits, best first (highest price, then oldest). */
  matchBid(bid: MarketOrder, options?: MatchOptions): bigint[];
  /** Explains a pair of standing orders (the first failing rule and its values). */
  explain(pair: { bid: bigint; ask: bigint }): MatchExplanation;
  /** Binds a worker to its master (the zero address or the worker itself unbinds). */
  setMaster(worker: Address, master: Address): void;
  /** Sets an address's identity level from the profile registry. */
  setLevel(address: Address, level: IdentityLevel): void;
  /** Adds `who` to (or removes it from) `owner`'s blacklist. */
  setListed(owner: Address, who: Address, listed: boolean): void;
  /** Replaces every view at once (masters, levels, blacklists). */
  setViews(views: MarketViewData): void;
  /** The book's current views, as {@linkcode MarketViews}. */
  views(): MarketViews;
  /** Merges pending additions into the sorted columns now (queries do it lazily). */
  compact(): void;
  stats(): OrderBookStats;
}

const BID = 0;
const ASK = 1;

/**
 * Creates an empty order book. Orders are checked against the market's
 * bounds on `add` (an oversized order throws {@linkcode InvalidOrderError};
 * nothing is truncated); validate foreign input with `parseOrder` first.
 *
 * @param options Bounds and initial views.
 * @returns The order book.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createOrderBook, parseOrder } from "./mod.ts";
 * const author = "0x00000000000000000000000000000000000000a1";
 * const book = createOrderBook();
 * book.add(parseOrder({ id: 1, type: "BID", author, duration: 0, price: 20 }));
 * book.add(parseOrder({ id: 2, type: "BID", author, duration: 0, price: 30 }));
 * const ask = parseOrder({ id: 3, type: "ASK", author, duration: 0, price: 25 });
 * assert.equal(book.matchAsk(ask).join(), "2");
 * ```
 */
export function createOrderBook(options: CreateOrderBookOptions = {}): OrderBook {
  const limits: OrderLimits = { ...DEFAULT_ORDER_LIMITS };
  for (const [k, v] of Object.entries(options.limits ?? {})) {
    if (v !== undefined) (limits as Record<string, unknown>)[k] = v;
  }
  if (!Number.isInteger(limits.maxBenchmarks) || limits.maxBenchmarks < 0) {
    throw new RangeError(`Cannot create order book: maxBenchmarks must be a non-negative integer`);
  }
  if (!Number.isInteger(limits.maxNetflags) || limits.maxNetflags > 8 || limits.maxNetflags < 0) {
    throw new RangeError(`Cannot create order book: maxNetflags must be an integer from 0 to 8`);
  }
  if (limits.maxPrice >= PRICE_LIMIT) {
    throw new RangeError(`Cannot create order book: maxPrice must be below 2^85`);
  }
  if (limits.maxDuration >= 1n << 32n) {
    throw new RangeError(`Cannot create order book: maxDuration must be below 2^32`);
  }
  const book = new ColumnarBook(limits);
  if (options.views !== undefined) book.setViews(options.views);
  return book;
}

class ColumnarBook implements OrderBook {
  #limits: OrderLimits;
  #table = new AddressTable();
  #sides: [Side, Side];
  /** Order id -> (row << 1) | side. */
  #byId: IdIndex;
  #tags = new Map<string, number>();
  #tagList: Bytes32[] = [];
  #split = new BigUint64Array(1);
  #halves = new Uint32Array(this.#split.buffer);
  #queryBench: Uint32Array;
  #querySummary = new Uint32Array(SUMMARY_WORDS);

  constructor(limits: OrderLimits) {
    this.#limits = limits;
    // Rows start 13 benchmarks wide (the market's list) and widen when an order needs more.
    const width = Math.min(13, limits.maxBenchmarks);
    this.#sides = [new Side(width), new Side(width)];
    const sides = this.#sides;
    this.#byId = new IdIndex((e) => sides[(e & 1) as 0 | 1].oid[e >> 1] as number);
    for (const side of sides) side.onCompact = () => this.#reindex();
    this.#queryBench = new Uint32Array(limits.maxBenchmarks * 2);
    this.#internTag(`0x${"0".repeat(64)}`);
  }

  /** Rows moved (a side was compacted): index every live row again. */
  #reindex(): void {
    const index = this.#byId;
    index.clear();
    index.reserve(this.#sides[0].live + this.#sides[1].live);
    for (const [s, side] of this.#sides.entries()) {
      const req = side.req, oid = side.oid;
      for (let r = 0; r < side.rows; r++) {
        if (((req[r] as number) & DEAD) === 0) index.set(oid[r] as number, (r << 1) | s);
      }
    }
  }

  #internTag(tag: string): number {
    const fast = this.#tags.get(tag);
    if (fast !== undefined) return fast;
    const key = tag.toLowerCase();
    let id = this.#tags.get(key);
    if (id === undefined) {
      id = this.#tagList.length;
      this.#tags.set(key, id);
      this.#tagList.push(key as Bytes32);
    }
    return id;
  }

  #key(id: bigint): number {
    if (typeof id !== "bigint" || id < 0n || id > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new InvalidOrderError({
        field: "id",
        value: id,
        detail: "must be an integer from 0 to 2^53 - 1",
      });
    }
    return Number(id);
  }

  /**
   * Checks the bounds the columns rely on (throws on the first violation)
   * and returns the interned author, counterparty and blacklist.
   */
  #check(order: MarketOrder): [author: number, counterparty: number, blacklist: number] {
    // Hot path of every add: no strings or closures unless something fails.
    const fail = (field: string, value: unknown, detail: string): never => {
      throw new InvalidOrderError({ what: `order "${order.id}"`, field, value, detail });
    };
    const limits = this.#limits;
    if (order.type !== "BID" && order.type !== "ASK") {
      fail("type", order.type, 'must be "BID" or "ASK"');
    }
    const { price, duration, benchmarks, netflags } = order;
    if (typeof price !== "bigint" || price < 0n || price > limits.maxPrice) {
      fail("price", price, uintDetail(price, `must be at most ${limits.maxPrice}`));
    }
    if (typeof duration !== "bigint" || duration < 0n || duration > limits.maxDuration) {
      fail(
        "duration",
        duration,
        uintDetail(duration, `must be at most ${limits.maxDuration} seconds`),
      );
    }
    if (benchmarks.length > limits.maxBenchmarks) {
      fail("benchmarks", benchmarks, `must have at most ${limits.maxBenchmarks} entries`);
    }
    for (let i = 0; i < benchmarks.length; i++) {
      const v = benchmarks[i] as bigint;
      if (typeof v !== "bigint" || v < 0n || v >= BENCHMARK_LIMIT) {
        fail(
          `benchmarks[${i}]`,
          v,
          uintDetail(
            v,
            "must be below 2^63 (9223372036854775808): the Market contract rejects larger benchmarks",
          ),
        );
      }
    }
    if (netflags.length > limits.maxNetflags) {
      fail("netflags", netflags, `must have at most ${limits.maxNetflags} entries`);
    }
    const level = order.identityLevel as number;
    if (!Number.isInteger(level) || level < 0 || level > 3) {
      fail("identityLevel", level, "must be an identity level from 0 to 3");
    }
    const t = this.#table;
    const author = t.intern(order.author);
    if (author < 0) fail("author", order.author, "must be a 20-byte hex address");
    const cp = t.intern(order.counterparty);
    if (cp < 0) fail("counterparty", order.counterparty, "must be a 20-byte hex address");
    const bl = t.intern(order.blacklist);
    if (bl < 0) fail("blacklist", order.blacklist, "must be a 20-byte hex address");
    return [author, cp, bl];
  }

  add(order: MarketOrder): void {
    const key = this.#key(order.id);
    const ids = this.#check(order);
    if (!order.active) {
      this.remove(order.id);
      return;
    }
    const sideIndex = order.type === "BID" ? BID : ASK;
    const side = this.#sides[sideIndex];
    const existing = this.#byId.get(key);
    let r: number;
    if (existing >= 0 && (existing & 1) === sideIndex) {
      const old = existing >> 1;
      if (side.ph[old] === priceHigh(order.price) && side.pl[old] === priceLow(order.price)) {
        r = old; // same sort key: rewrite in place
      } else {
        side.killRow(old);
        r = side.appendRow(); // may compact (and reindex) first
      }
    } else {
      if (existing >= 0) this.remove(order.id);
      r = side.appendRow();
    }
    this.#write(side, r, order, ids);
    this.#byId.set(key, (r << 1) | sideIndex);
  }

  addAll(orders: Iterable<MarketOrder>): void {
    const list = Array.isArray(orders) ? orders as readonly MarketOrder[] : [...orders];
    const [bids, asks] = this.#sides;
    if (bids.rows + asks.rows > 0 || list.length < 1024) {
      for (const o of list) this.add(o);
      return;
    }
    // every order is checked (and its addresses interned) first: a bad one leaves the book empty
    const n = list.length;
    const refs = new Int32Array(n * 3);
    const keys = new Float64Array(n);
    const last = new IdIndex((i) => keys[i] as number);
    last.reserve(n);
    let nBids = 0;
    for (let i = 0; i < n; i++) {
      const o = list[i] as MarketOrder;
      const key = this.#key(o.id);
      const [author, cp, bl] = this.#check(o);
      keys[i] = key;
      refs[3 * i] = author;
      refs[3 * i + 1] = cp;
      refs[3 * i + 2] = bl;
      if (o.active) last.set(key, i);
      else last.delete(key);
      if (o.type === "BID") nBids++;
    }
    const winners: [Int32Array, Int32Array] = [new Int32Array(nBids), new Int32Array(n - nBids)];
    const counts = [0, 0];
    for (let i = 0; i < n; i++) {
      const o = list[i] as MarketOrder;
      if (o.active && last.get(keys[i] as number) === i) {
        const s = o.type === "BID" ? BID : ASK;
        winners[s][counts[s]!++] = i;
      }
    }
    this.#byId.reserve((counts[0] as number) + (counts[1] as number));
    for (const s of [BID, ASK] as const) {
      this.#loadSide(s, list, winners[s].subarray(0, counts[s]), refs);
    }
  }

  /** Writes `which` orders of `list` to an empty side, sorted: price descending, id ascending. */
  #loadSide(s: 0 | 1, list: readonly MarketOrder[], which: Int32Array, refs: Int32Array): void {
    const n = which.length;
    const ph = new Float64Array(n), pl = new Uint32Array(n), oid = new Float64Array(n);
    let exact = true;
    for (let k = 0; k < n; k++) {
      const o = list[which[k] as number] as MarketOrder;
      const hi = priceHigh(o.price);
      ph[k] = hi;
      pl[k] = priceLow(o.price);
      oid[k] = Number(o.id);
      if (hi >= 2 ** 21) exact = false;
    }
    const perm = new Int32Array(n);
    for (let k = 0; k < n; k++) perm[k] = k;
    if (exact) {
      // prices below 2^53: one float key per order
      const price = ph;
      for (let k = 0; k < n; k++) price[k] = (ph[k] as number) * 4294967296 + (pl[k] as number);
      perm.sort((a, b) => ((price[b] as number) - (price[a] as number)) || (oid[a]! - oid[b]!));
    } else {
      perm.sort((a, b) =>
        ((ph[b] as number) - (ph[a] as number)) || ((pl[b] as number) - (pl[a] as number)) ||
        ((oid[a] as number) - (oid[b] as number))
      );
    }
    // row of the k-th order; the orders are read in list order (their memory order: reading
    // them sorted costs a cache miss per field), the rows written where they belong
    const rowOf = new Int32Array(n);
    for (let r = 0; r < n; r++) rowOf[perm[r] as number] = r;
    const side = this.#sides[s];
    side.reserve(n + Math.max(1024, n >> 6));
    for (let r = 0; r < n; r++) side.appendRow();
    const ids: [number, number, number] = [0, 0, 0];
    for (let k = 0; k < n; k++) {
      const i = which[k] as number;
      const r = rowOf[k] as number;
      ids[0] = refs[3 * i] as number;
      ids[1] = refs[3 * i + 1] as number;
      ids[2] = refs[3 * i + 2] as number;
      this.#write(side, r, list[i] as MarketOrder, ids);
      this.#byId.set(oid[k] as number, (r << 1) | s);
    }
    side.main = side.rows;
  }

  #write(side: Side, r: number, order: MarketOrder, ids: [number, number, number]): void {
    side.oid[r] = Number(order.id);
    side.author[r] = ids[0];
    side.cp[r] = ids[1];
    side.bl[r] = ids[2];
    side.tag[r] = this.#internTag(order.tag);
    side.ph[r] = priceHigh(order.price);
    side.pl[r] = priceLow(order.price);
    side.dur[r] = Number(order.duration);
    side.flags[r] = flagMask(order.netflags);
    side.nflags[r] = order.netflags.length;
    side.req[r] = order.identityLevel;
    const n = order.benchmarks.length;
    if (n > side.width) side.widen(n);
    side.nbench[r] = n;
    if (n > side.usedBench) side.usedBench = n;
    const bench = side.bench;
    const base = r * side.width * 2;
    for (let i = 0; i < side.width; i++) {
      if (i < n) {
        this.#split[0] = order.benchmarks[i] as bigint;
        bench[base + 2 * i] = this.#halves[1] as number;
        bench[base + 2 * i + 1] = this.#halves[0] as number;
      } else {
        bench[base + 2 * i] = 0;
        bench[base + 2 * i + 1] = 0;
      }
    }
    summarize(bench, base, Math.min(n, side.width), side.qsum, r * SUMMARY_WORDS);
  }

  remove(id: bigint): boolean {
    const key = this.#key(id);
    const entry = this.#byId.delete(key);
    if (entry < 0) return false;
    this.#sides[(entry & 1) as 0 | 1].killRow(entry >> 1);
    return true;
  }

  has(id: bigint): boolean {
    return this.#byId.get(this.#key(id)) >= 0;
  }

  get(id: bigint): MarketOrder | undefined {
    const entry = this.#byId.get(this.#key(id));
    if (entry < 0) return undefined;
    const side = this.#sides[(entry & 1) as 0 | 1];
    const r = entry >> 1;
    const t = this.#table;
    const nf = side.nflags[r] as number;
    const flags = side.flags[r] as number;
    const nb = side.nbench[r] as number;
    const base = r * side.width * 2;
    const benchmarks: bigint[] = [];
    for (let i = 0; i < nb; i++) {
      benchmarks.push(
        (BigInt(side.bench[base + 2 * i] as number) << 32n) |
          BigInt(side.bench[base + 2 * i + 1] as number),
      );
    }
    return {
      id,
      type: (entry & 1) === BID ? "BID" : "ASK",
      active: true,
      author: t.addressOf(side.author[r] as number),
      counterparty: t.addressOf(side.cp[r] as number),
      duration: BigInt(side.dur[r] as number),
      price: (BigInt(side.ph[r] as number) << 32n) | BigInt(side.pl[r] as number),
      netflags: Array.from({ length: nf }, (_, i) => ((flags >> i) & 1) === 1),
      identityLevel: side.req[r] as IdentityLevel,
      blacklist: t.addressOf(side.bl[r] as number),
      tag: this.#tagList[side.tag[r] as number] ?? `0x${"0".repeat(64)}`,
      benchmarks,
    };
  }

  /** Resolves a query order; sets the blacklist marks. */
  #query(order: MarketOrder, side: Side): Query {
    const [author, cp, bl] = this.#check(order);
    const t = this.#table;
    const master = t.master[author] as number;
    const gen = t.nextGen();
    let block = false;
    if (order.type === "ASK") {
      // BID authors listed by ask.blacklist, master(ask.author), ask.author;
      // owners (bid.blacklist or bid.author) that list master(ask.author) or ask.author.
      if (bl !== 0) block = t.markListedBy(bl, gen) || block;
      block = t.markListedBy(master, gen) || block;
      block = t.markListedBy(author, gen) || block;
      block = t.markOwnersListing(master, gen) || block;
      block = t.markOwnersListing(author, gen) || block;
    } else {
      // ASK authors (or their masters) listed by bid.blacklist or bid.author;
      // owners (ask.blacklist, master(ask.author), ask.author) that list bid.author.
      if (bl !== 0) block = t.markListedBy(bl, gen) || block;
      block = t.markListedBy(author, gen) || block;
      block = t.markOwnersListing(author, gen) || block;
    }
    const ph = priceHigh(order.price);
    const pl = priceLow(order.price);
    const bench = this.#queryBench;
    bench.fill(0);
    const n = order.benchmarks.length;
    if (n > side.width) side.widen(n);
    for (let i = 0; i < n; i++) {
      this.#split[0] = order.benchmarks[i] as bigint;
      bench[2 * i] = this.#halves[1] as number;
      bench[2 * i + 1] = this.#halves[0] as number;
    }
    summarize(bench, 0, n, this.#querySummary, 0);
    return {
      ph,
      pl,
      summary: this.#querySummary,
      dur: Number(order.duration),
      flags: flagMask(order.netflags),
      req: order.identityLevel,
      authorLevel: t.level[author] as number,
      author,
      master,
      cp,
      bench,
      nb: order.type === "ASK" ? side.usedBench : Math.max(side.usedBench, n),
      block,
      gen,
    };
  }

  #finish(side: Side, rows: number[], limit: number): bigint[] {
    if (rows.length > 1 && rows[rows.length - 1]! >= side.main) {
      rows.sort((a, b) => side.cmp(a, b));
      if (rows.length > limit) rows.length = limit;
    }
    const out = new Array<bigint>(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = BigInt(side.oid[rows[i] as number] as number);
    return out;
  }

  matchAsk(ask: MarketOrder, options: MatchOptions = {}): bigint[] {
    if (ask.type !== "ASK") {
      throw new TypeError(`Cannot match order "${ask.id}" as an ASK: its type is "${ask.type}"`);
    }
    const side = this.#sides[BID];
    const q = this.#query(ask, side);
    if (!ask.active) return [];
    if (side.needsCompaction()) side.compact();
    const limit = options.limit ?? Infinity;
    const rows: number[] = [];
    const end = side.firstBelow(q.ph, q.pl);
    scanBids(side, this.#table, q, { from: 0, to: end, checkPrice: false, limit, out: rows });
    const inMain = rows.length;
    // Delta rows compete with the sorted hits; take them all, then cut to `limit`.
    scanBids(side, this.#table, q, {
      from: side.main,
      to: side.rows,
      checkPrice: true,
      limit: Infinity,
      out: rows,
    });
    return this.#finish(side, rows, rows.length > inMain ? limit : Infinity);
  }

  matchBid(bid: MarketOrder, options: MatchOptions = {}): bigint[] {
    if (bid.type !== "BID") {
      throw new TypeError(`Cannot match order "${bid.id}" as a BID: its type is "${bid.type}"`);
    }
    const side = this.#sides[ASK];
    const q = this.#query(bid, side);
    if (!bid.active) return [];
    if (side.needsCompaction()) side.compact();
    const limit = options.limit ?? Infinity;
    const rows: number[] = [];
    const start = side.firstAtMost(q.ph, q.pl);
    scanAsks(side, this.#table, q, {
      from: start,
      to: side.main,
      checkPrice: false,
      limit,
      out: rows,
    });
    const inMain = rows.length;
    scanAsks(side, this.#table, q, {
      from: side.main,
      to: side.rows,
      checkPrice: true,
      limit: Infinity,
      out: rows,
    });
    return this.#finish(side, rows, rows.length > inMain ? limit : Infinity);
  }

  explain(pair: { bid: bigint; ask: bigint }): MatchExplanation {
    const bid = this.get(pair.bid);
    const ask = this.get(pair.ask);
    if (bid === undefined || ask === undefined) {
      const missing = bid === undefined ? pair.bid : pair.ask;
      throw new InvalidOrderError({
        what: "pair",
        field: bid === undefined ? "bid" : "ask",
        value: missing,
        detail: "is not a standing order of the book",
      });
    }
    return explainMatch({ bid, ask }, this.views());
  }

  setMaster(worker: Address, master: Address): void {
    this.#table.setMaster(worker, master);
  }

  setLevel(address: Address, level: IdentityLevel): void {
    this.#table.setLevel(address, level);
  }

  setListed(owner: Address, who: Address, listed: boolean): void {
    this.#table.setListed(owner, who, listed);
  }

  setViews(views: MarketViewData): void {
    const t = this.#table;
    t.clearViews();
    for (const { worker, master } of views.masters ?? []) t.setMaster(worker, master);
    for (const { address, level } of views.levels ?? []) t.setLevel(address, level);
    for (const { owner, listed } of views.blacklists ?? []) t.setListed(owner, listed, true);
  }

  views(): MarketViews {
    const t = this.#table;
    return {
      masterOf: (who) => {
        const id = t.intern(who); // may grow the arrays: index after
        return id < 0 ? who : t.addressOf(t.master[id] as number);
      },
      levelOf: (who) => {
        const id = t.intern(who);
        return id < 0 ? 0 : t.level[id] as IdentityLevel;
      },
      listed: (owner, who) => t.isListed(t.intern(owner), t.intern(who)),
    };
  }

  compact(): void {
    for (const side of this.#sides) if (side.rows !== side.main || side.dead > 0) side.compact();
  }

  stats(): OrderBookStats {
    const [bids, asks] = this.#sides;
    return {
      bids: bids.live,
      asks: asks.live,
      addresses: this.#table.size,
      blacklistEntries: this.#table.listCount,
      columnBytes: bids.arrayBytes + asks.arrayBytes + this.#table.arrayBytes +
        this.#byId.byteLength,
    };
  }
}

/** The detail for an unsigned integer that failed its bound check. */
function uintDetail(v: unknown, tooLarge: string): string {
  if (typeof v !== "bigint") return "must be a bigint";
  return v < 0n ? "must not be negative" : tooLarge;
}

function priceHigh(price: bigint): number {
  return Number(price >> 32n);
}

function priceLow(price: bigint): number {
  return Number(price & 0xffffffffn);
}

function flagMask(flags: readonly boolean[]): number {
  let m = 0;
  for (let i = 0; i < flags.length; i++) if (flags[i]) m |= 1 << i;
  return m;
}
