import type { Address, IdentityLevel, MarketOrder, MarketViewData } from "./types.ts";
import { ZERO_ADDRESS } from "./types.ts";
import { DEFAULT_ORDER_LIMITS } from "./limits.ts";

/** Options of {@linkcode generateMarket}. */
export type GenerateMarketOptions = {
  /** Seed of the pseudo-random generator: the same seed gives the same market. */
  seed: number;
  /** Number of BIDs. */
  bids: number;
  /** Number of ASKs. */
  asks: number;
  /**
   * `realistic`: a spread of prices, durations, flags and 13 benchmarks, tuned
   * so that a typical ASK fits about 1% of the BIDs (the benchmark's book).
   * `edge`: 200 addresses, values at 0, 2^32, 2^53 + 1, 2^63 - 1, equal
   * prices; ASK j is made to fit BID j (mod the BID count) and then, half of
   * the time, one rule is broken, so every rule fails sometimes and about
   * half of the pairs (bid j, ask j) match (the property and agreement tests).
   */
  profile: "realistic" | "edge";
  /** Number of distinct addresses (default: 50,000 realistic, 12 edge). */
  addresses?: number | undefined;
  /** First order id (default 1); ids are consecutive, BIDs first. */
  firstId?: number | undefined;
  /** Addresses to draw authors from, instead of generated ones. */
  addressPool?: readonly Address[] | undefined;
  /**
   * Views to start from instead of generated ones (another market's `views`,
   * so that several markets share one world); the `edge` profile may still
   * add blacklist entries to break rule 3.
   */
  views?: Required<MarketViewData> | undefined;
};

/** A generated market: orders (BIDs first) and the views. */
export type GeneratedMarket = {
  bids: MarketOrder[];
  asks: MarketOrder[];
  views: Required<MarketViewData>;
  addresses: Address[];
};

/** Benchmark scales of the realistic profile (see src/bench's list: ids 0-12). */
const SCALES: readonly bigint[] = [
  20_000n, // cpu-sysbench-multi
  2_000n, // cpu-sysbench-single
  64n, // cpu-cores
  256n << 30n, // ram-size
  4n << 40n, // storage-size
  10_000_000_000n, // net-download
  10_000_000_000n, // net-upload
  8n, // gpu-count
  80n << 30n, // gpu-mem
  1_000_000_000n, // gpu-eth-hashrate
  100_000_000n, // gpu-cash-hashrate
  10_000n, // gpu-redshift
  100_000n, // cpu-cryptonight
];

const MAX_PRICE = DEFAULT_ORDER_LIMITS.maxPrice;
const MAX_DURATION = DEFAULT_ORDER_LIMITS.maxDuration;

const EDGE_VALUES: readonly bigint[] = [
  0n,
  1n,
  (1n << 32n) - 1n,
  1n << 32n,
  (1n << 32n) + 1n,
  (1n << 53n) + 1n,
  (1n << 63n) - 1n,
  (1n << 63n) - 2n,
];

/** sfc32: a small, fast, seedable generator (pure: state lives in the closure). */
function prng(seed: number): () => number {
  let a = 0x9e3779b9, b = 0x243f6a88, c = 0xb7e15162, d = seed >>> 0;
  const next = (): number => {
    a >>>= 0, b >>>= 0, c >>>= 0, d >>>= 0;
    const t = (a + b | 0) + d | 0;
    d = d + 1 | 0;
    a = b ^ b >>> 9;
    b = c + (c << 3) | 0;
    c = c << 21 | c >>> 11;
    c = c + t | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) next();
  return next;
}

/**
 * Generates a reproducible random market (orders and views) for tests and
 * benchmarks. Pure: the same options give the same market.
 *
 * @param options Seed, sizes and profile.
 * @returns BIDs, ASKs, views and the address pool.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateMarket } from "./_generate_market.ts";
 * const m = generateMarket({ seed: 1, bids: 10, asks: 5, profile: "edge" });
 * assert.ok(m.bids.length === 10 && m.asks[0]?.type === "ASK");
 * ```
 */
export function generateMarket(options: GenerateMarketOptions): GeneratedMarket {
  const rnd = prng(options.seed);
  const edge = options.profile === "edge";
  const int = (n: number): number => Math.floor(rnd() * n);
  const chance = (p: number): boolean => rnd() < p;
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const count = options.addressPool?.length ?? options.addresses ?? (edge ? 200 : 50_000);
  const addresses: Address[] = options.addressPool !== undefined
    ? [...options.addressPool]
    : Array.from(
      { length: count },
      (_, i) => `0x${(0xa0000000 + i).toString(16).padStart(40, "0")}` as Address,
    );
  // Views: a tenth of the addresses are workers of a master (one hop: masters
  // are never workers), levels 0-3, blacklist entries.
  const masters: { worker: Address; master: Address }[] = [];
  const levels: { address: Address; level: IdentityLevel }[] = [];
  const blacklists: { owner: Address; listed: Address }[] = [];
  if (options.views !== undefined) {
    masters.push(...options.views.masters);
    levels.push(...options.views.levels);
    blacklists.push(...options.views.blacklists);
  } else {
    const masterSet = new Set<number>();
    const workerSet = new Set<number>();
    const workerShare = edge ? 0.3 : 0.1;
    for (let i = 0; i < count; i++) {
      if (!chance(workerShare) || masterSet.has(i)) continue;
      const m = int(count);
      if (m === i || workerSet.has(m)) continue;
      workerSet.add(i);
      masterSet.add(m);
      masters.push({ worker: addresses[i] as Address, master: addresses[m] as Address });
    }
    for (const address of addresses) {
      const level = (edge ? int(4) : pick([0, 1, 1, 2, 2, 2, 3, 3])) as IdentityLevel;
      if (level !== 0) levels.push({ address, level });
    }
    const listCount = edge ? Math.max(1, Math.floor(count * 0.05)) : Math.floor(count * 0.4);
    const seen = new Set<string>();
    for (let i = 0; i < listCount; i++) {
      const owner = pick(addresses), listed = pick(addresses);
      if (seen.has(owner + listed)) continue;
      seen.add(owner + listed);
      blacklists.push({ owner, listed });
    }
  }
  const masterOf = new Map(masters.map((x) => [x.worker, x.master]));
  let nextId = options.firstId ?? 1;
  const order = (type: "BID" | "ASK"): MarketOrder => {
    const author = pick(addresses);
    const isBid = type === "BID";
    let counterparty: Address = ZERO_ADDRESS;
    if (chance(edge ? 0.25 : 0.02)) {
      const other = pick(addresses);
      counterparty = chance(0.7) ? (masterOf.get(other) ?? other) : other;
    }
    const blacklist: Address = chance(edge ? 0.3 : 0.05) ? pick(addresses) : ZERO_ADDRESS;
    let price: bigint, duration: bigint;
    const netflags: boolean[] = [];
    const benchmarks: bigint[] = [];
    let identityLevel: IdentityLevel;
    if (edge) {
      price = chance(0.3) ? pick(EDGE_VALUES) : BigInt(int(6)) * 1000n;
      if (chance(0.1)) price = MAX_PRICE;
      duration = chance(0.3) ? 0n : pick([1n, 3600n, 86400n, MAX_DURATION, BigInt(int(4))]);
      const nf = int(4);
      for (let i = 0; i < nf; i++) netflags.push(isBid ? chance(0.3) : chance(0.75));
      const nb = chance(0.1) ? 15 : int(14);
      for (let i = 0; i < nb; i++) {
        benchmarks.push(chance(0.5) ? pick(EDGE_VALUES) : BigInt(int(4)));
      }
      identityLevel = (chance(0.6) ? 0 : int(4)) as IdentityLevel;
    } else {
      // USD 0.05-5/h per the market: price per second in USD x 1e18.
      const usdPerHour = isBid ? 0.05 + rnd() * 4.95 : 0.05 + rnd() * 4.95;
      price = BigInt(Math.round(usdPerHour * 1e6)) * 1_000_000_000_000n / 3600n;
      duration = chance(0.3) ? 0n : BigInt(pick([1, 2, 4, 8, 12, 24, 48, 168, 720])) * 3600n;
      const flagOdds = isBid ? [0.15, 0.3, 0.15] : [0.9, 0.95, 0.6];
      for (const p of flagOdds) netflags.push(chance(p));
      for (const scale of SCALES) {
        // BIDs ask for up to the scale; ASKs offer 60-100% of it (each benchmark of
        // a BID fits a typical ASK 80% of the time, all 13 about 5.5%).
        const f = isBid ? rnd() : 0.6 + rnd() * 0.4;
        benchmarks.push(BigInt(Math.floor(Number(scale) * f)));
      }
      identityLevel = (isBid ? pick([0, 0, 0, 1, 1, 2]) : pick([0, 0, 0, 0, 1])) as IdentityLevel;
    }
    return {
      id: BigInt(nextId++),
      type,
      active: true,
      author,
      counterparty,
      duration,
      price,
      netflags,
      identityLevel,
      blacklist,
      tag: `0x${int(4).toString(16).padStart(64, "0")}`,
      benchmarks,
    };
  };
  const levelOf = new Map(levels.map((x) => [x.address, x.level]));
  const level = (a: Address): number => levelOf.get(a) ?? 0;
  const master = (a: Address): Address => masterOf.get(a) ?? a;
  /** An ASK that satisfies `bid` on every rule the views do not decide. */
  const pairedAsk = (bid: MarketOrder, ask: MarketOrder): MarketOrder => {
    let author = ask.author;
    if (bid.counterparty !== ZERO_ADDRESS) {
      const workers = masters.filter((x) => x.master === bid.counterparty).map((x) => x.worker);
      author = chance(0.5) || workers.length === 0 ? bid.counterparty : pick(workers);
    }
    const price = bid.price === 0n ? 0n : pick([bid.price, bid.price - 1n, 0n, bid.price / 2n]);
    const duration = pick([bid.duration, bid.duration + 1n, MAX_DURATION]);
    const durationOk = duration > MAX_DURATION ? bid.duration : duration;
    const nf = Math.max(bid.netflags.length, int(4));
    const netflags = Array.from(
      { length: nf },
      (_, i) => (bid.netflags[i] ?? false) || chance(0.4),
    );
    const nb = Math.max(bid.benchmarks.length, chance(0.2) ? int(16) : 0);
    const benchmarks = Array.from({ length: nb }, (_, i) => {
      const b = bid.benchmarks[i] ?? 0n;
      return b >= (1n << 63n) - 1n ? b : pick([b, b, b + 1n, (1n << 63n) - 1n]);
    });
    const identityLevel = int(level(bid.author) + 1) as IdentityLevel;
    const counterparty = chance(0.2) ? master(bid.author) : ZERO_ADDRESS;
    return {
      ...ask,
      author,
      counterparty,
      price,
      duration: durationOk,
      netflags,
      benchmarks,
      identityLevel,
    };
  };
  /** Makes one rule fail for the pair (when the pair allows it). */
  const breakOneRule = (bid: MarketOrder, ask: MarketOrder): void => {
    const a = ask as { -readonly [K in keyof MarketOrder]: MarketOrder[K] };
    switch (1 + int(7)) {
      case 1:
        a.active = false;
        break;
      case 2:
        a.counterparty = pick(addresses.filter((x) => x !== master(bid.author)));
        break;
      case 3: {
        const forms: [Address, Address][] = [
          [bid.blacklist, master(ask.author)],
          [bid.blacklist, ask.author],
          [bid.author, master(ask.author)],
          [bid.author, ask.author],
          [ask.blacklist, bid.author],
          [master(ask.author), bid.author],
          [ask.author, bid.author],
        ];
        const [owner, listed] = pick(forms);
        if (owner !== ZERO_ADDRESS) blacklists.push({ owner, listed });
        break;
      }
      case 4:
        if (bid.price < MAX_PRICE && chance(0.5)) a.price = bid.price + 1n;
        else if (bid.duration > 0n) a.duration = bid.duration - 1n;
        else if (bid.price < MAX_PRICE) a.price = bid.price + 1n;
        break;
      case 5:
        if (level(bid.author) < 3) a.identityLevel = (level(bid.author) + 1) as IdentityLevel;
        break;
      case 6: {
        const needed = bid.netflags.flatMap((f, i) => (f ? [i] : []));
        if (needed.length > 0) {
          const flags = [...ask.netflags];
          flags[pick(needed)] = false;
          a.netflags = flags;
        }
        break;
      }
      case 7: {
        const positive = bid.benchmarks.flatMap((v, i) => (v > 0n ? [i] : []));
        if (positive.length > 0) {
          const i = pick(positive);
          const bench = [...ask.benchmarks];
          bench[i] = (bid.benchmarks[i] as bigint) - 1n;
          a.benchmarks = bench;
        }
        break;
      }
    }
  };
  const bids = Array.from({ length: options.bids }, () => order("BID"));
  const asks = Array.from({ length: options.asks }, (_, j) => {
    const base = bids[j % Math.max(1, bids.length)];
    if (!edge || base === undefined) return order("ASK");
    const ask = pairedAsk(base, order("ASK"));
    if (chance(0.5)) breakOneRule(base, ask);
    return ask;
  });
  return { bids, asks, views: { masters, levels, blacklists }, addresses };
}
