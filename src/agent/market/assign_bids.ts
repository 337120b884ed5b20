/** Options of {@linkcode assignBids}: what one rig knows of the BIDs its free ASKs could take. */
export type AssignBidsInput = {
  /** Our address: seeds our own order of the BIDs that no ASK is designated to. */
  me: string;
  /** Our free ASKs, each with the BIDs it satisfies and may try now (any order). */
  own: ReadonlyMap<bigint, readonly bigint[]>;
  /**
   * Every BID of `own`'s lists: its price and its contenders, the standing
   * ASKs of any supplier that fit it (ours among them when free).
   */
  bids: ReadonlyMap<bigint, { price: bigint; contenders: readonly bigint[] }>;
  /** ASKs that left a BID designated to them standing past the grace: designated no more. */
  idle?: ReadonlySet<bigint> | undefined;
  /** BIDs whose designated ASK had its chance and left them: any of ours may take them. */
  open?: ReadonlySet<bigint> | undefined;
  /** How many of the best BIDs are designated; the rest are shared by seeded order. @default {64} */
  window?: number | undefined;
  /** Most BIDs listed per ASK. @default {5} */
  limit?: number | undefined;
};

/** What {@linkcode assignBids} decided. */
export type BidAssignment = {
  /** Our ASK -> the BIDs it tries, in order (its designated BID first). */
  tries: Map<bigint, bigint[]>;
  /** BIDs designated to another supplier's ASK -> that ASK: we leave them to it for a grace. */
  deferred: Map<bigint, bigint>;
};

/**
 * Spreads rigs over equally good BIDs without talking to each other. Every
 * rig that sees the same book computes the same designation, so two rigs
 * rarely send `openDeal` for one BID:
 *
 * 1. The BIDs are ranked best first: highest price, then oldest (lowest id).
 * 2. Down that ranking (the first `window` BIDs), each BID is designated to
 *    one of its contenders not yet designated (nor `idle`): the one with the
 *    highest score of the pair (ASK id, BID id), a hash every rig computes
 *    alike. So the best BIDs are served first and every contender is equally
 *    likely to get each BID.
 * 3. Our ASK tries its designated BID first, then the BIDs no other ASK is
 *    designated to (past the window, or with no contender left) and the
 *    `open` ones, best price first and, within a price, in an order seeded by
 *    our address (so rigs that fall back still spread). A BID designated to
 *    another supplier's ASK is left to it (`deferred`) until it is `open`.
 *
 * Pure: data in, decision out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assignBids } from "./assign_bids.ts";
 * // two rigs (ASK 1 is ours, ASK 2 another rig's), two BIDs at one price
 * const bids = new Map([
 *   [10n, { price: 5n, contenders: [1n, 2n] }],
 *   [11n, { price: 5n, contenders: [1n, 2n] }],
 * ]);
 * const own = new Map([[1n, [10n, 11n]]]);
 * const plan = assignBids({ me: "0xa1", own, bids });
 * const ours = plan.tries.get(1n)!;
 * assert.equal(ours.length, 1); // our designated BID; the other is left to ASK 2
 * assert.deepEqual([...plan.deferred.values()], [2n]);
 * assert.notEqual(ours[0], [...plan.deferred.keys()][0]);
 * ```
 */
export function assignBids(input: AssignBidsInput): BidAssignment {
  const { me, own, bids, window = 64, limit = 5 } = input;
  const idle = input.idle ?? new Set<bigint>();
  const open = input.open ?? new Set<bigint>();
  const ranked = [...bids.entries()].sort(([a, x], [b, y]) =>
    x.price === y.price ? (a < b ? -1 : a > b ? 1 : 0) : x.price > y.price ? -1 : 1
  );
  const claimed = new Set<bigint>();
  const designated = new Map<bigint, bigint>(); // our ASK -> its BID
  const takenByUs = new Set<bigint>(); // BIDs designated to our ASKs
  const deferred = new Map<bigint, bigint>();
  for (const [bidId, bid] of ranked.slice(0, window)) {
    let winner: bigint | undefined;
    let best = -1;
    for (const askId of bid.contenders) {
      if (claimed.has(askId) || idle.has(askId)) continue;
      const score = pairScore(askId, bidId);
      if (score > best || (score === best && winner !== undefined && askId < winner)) {
        best = score;
        winner = askId;
      }
    }
    if (winner === undefined) continue; // every ASK that fits it serves a better BID
    claimed.add(winner);
    if (!own.has(winner)) deferred.set(bidId, winner);
    else {
      takenByUs.add(bidId);
      if (own.get(winner)?.includes(bidId)) designated.set(winner, bidId);
    }
  }
  const seed = addressSeed(me);
  const spread = (bidId: bigint) => pairScore(bidId, BigInt(seed));
  const priceOf = (bidId: bigint) => bids.get(bidId)?.price ?? 0n;
  const tries = new Map<bigint, bigint[]>();
  for (const [askId, candidates] of [...own].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const first = designated.get(askId);
    const rest = candidates
      .filter((b) => bids.has(b) && !takenByUs.has(b) && (!deferred.has(b) || open.has(b)))
      .sort((a, b) => {
        const pa = priceOf(a), pb = priceOf(b);
        return pa === pb ? spread(b) - spread(a) : pa > pb ? -1 : 1;
      });
    const list = first === undefined ? rest : [first, ...rest];
    if (list.length > 0) tries.set(askId, list.slice(0, limit));
  }
  return { tries, deferred };
}

/** A 32-bit finalizer (murmur3's): spreads every input bit over the output. */
function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** The score of a pair of ids, the same on every rig: 32 bits, uniformly spread. */
function pairScore(a: bigint, b: bigint): number {
  const lo = (x: bigint) => Number(BigInt.asUintN(32, x));
  const hi = (x: bigint) => Number(BigInt.asUintN(32, x >> 32n));
  return mix(lo(a) ^ mix(hi(a) ^ mix(lo(b) ^ mix(hi(b) ^ 0x9e3779b9))));
}

/** 32 bits of an address, as the seed of its own order. */
function addressSeed(address: string): number {
  let h = 0x811c9dc5; // FNV-1a over the lower-cased text
  for (const c of address.toLowerCase()) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  return mix(h >>> 0);
}
