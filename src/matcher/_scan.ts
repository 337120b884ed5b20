/**
 * The hot loops of the order book: check rows of one side against a query
 * order with the market rules, cheapest and most selective columns first
 * (price, duration, netflags, levels, counterparty), blacklist marks and
 * benchmarks last. The result is the conjunction of all rules, so the
 * evaluation order does not change which rows match.
 *
 * @module
 */
import type { AddressTable } from "./_address_table.ts";
import type { Side } from "./_side.ts";
import { HIGH_BITS } from "./_quantize.ts";

/** A query order, resolved to interned ids and split integers. */
export type Query = {
  ph: number;
  pl: number;
  dur: number;
  /** The query's netflags bitmask. */
  flags: number;
  /** The query's required level of the other side. */
  req: number;
  /** Level of the query's author. */
  authorLevel: number;
  /** Interned id of the query author. */
  author: number;
  /** Interned id of master(query author). */
  master: number;
  /** Interned id of the query's counterparty (0 = anyone). */
  cp: number;
  /** Benchmarks as interleaved hi/lo, `width` entries. */
  bench: Uint32Array;
  /** Quantized benchmarks, SUMMARY_WORDS words (see _quantize.ts). */
  summary: Uint32Array;
  /** Number of benchmarks to compare. */
  nb: number;
  /** Whether any blacklist mark is set for this query. */
  block: boolean;
  gen: number;
};

/**
 * Resting BIDs [from, to) that the ASK `q` satisfies: pushes rows to `out`
 * until it holds `limit` rows. `checkPrice` for unsorted rows.
 */
export function scanBids(
  side: Side,
  table: AddressTable,
  q: Query,
  range: { from: number; to: number; checkPrice: boolean; limit: number; out: number[] },
): void {
  const { from, to, checkPrice, limit, out } = range;
  if (out.length >= limit) return;
  const ph = side.ph, pl = side.pl, dur = side.dur, flags = side.flags;
  const req = side.req, author = side.author, cp = side.cp, bl = side.bl, bench = side.bench;
  const level = table.level, master = table.master, marks1 = table.marks1, marks2 = table.marks2;
  const stride = side.width * 2;
  const qph = q.ph, qpl = q.pl, qdur = q.dur, notFlags = ~q.flags & 0xff, qreq = q.req;
  const qlevel = q.authorLevel, qmaster = q.master, qcp = q.cp, qbench = q.bench;
  const nb2 = q.nb * 2, block = q.block, gen = q.gen;
  const qsum = side.qsum, qs = q.summary;
  const s0 = qs[0]! | HIGH_BITS, s1 = qs[1]! | HIGH_BITS, s2 = qs[2]! | HIGH_BITS;
  const s3 = qs[3]! | HIGH_BITS, s4 = qs[4]! | HIGH_BITS, s5 = qs[5]! | HIGH_BITS;
  const s6 = qs[6]! | HIGH_BITS;
  for (let r = from; r < to; r++) {
    // Benchmarks first, on their 15-bit summaries (2 per word, one SWAR step per word):
    // the most selective check, and its branch is predictable.
    const w = r * 7;
    if (
      ((s0 - (qsum[w] as number)) & (s1 - (qsum[w + 1] as number)) &
        (s2 - (qsum[w + 2] as number)) & (s3 - (qsum[w + 3] as number)) &
        (s4 - (qsum[w + 4] as number)) & (s5 - (qsum[w + 5] as number)) &
        (s6 - (qsum[w + 6] as number)) & HIGH_BITS) !== HIGH_BITS
    ) continue;
    if (checkPrice) {
      const h = ph[r] as number;
      if (h < qph || (h === qph && (pl[r] as number) < qpl)) continue;
    }
    if ((dur[r] as number) > qdur) continue;
    if (((flags[r] as number) & notFlags) !== 0) continue;
    if ((req[r] as number) > qlevel) continue; // also skips dead rows (DEAD bit set)
    const a = author[r] as number;
    if ((level[a] as number) < qreq) continue;
    const c = cp[r] as number;
    if (c !== 0 && c !== qmaster) continue;
    if (qcp !== 0 && master[a] !== qcp) continue;
    if (
      block &&
      (marks1[a] === gen || marks2[a] === gen || marks2[bl[r] as number] === gen)
    ) continue;
    let ok = true;
    const base = r * stride;
    for (let i = 0; i < nb2; i += 2) {
      const bh = bench[base + i] as number, ah = qbench[i] as number;
      if (bh > ah || (bh === ah && (bench[base + i + 1] as number) > (qbench[i + 1] as number))) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    out.push(r);
    if (out.length >= limit) return;
  }
}

/**
 * Resting ASKs [from, to) that the BID `q` fits: pushes rows to `out` until
 * it holds `limit` rows. `checkPrice` for unsorted rows.
 */
export function scanAsks(
  side: Side,
  table: AddressTable,
  q: Query,
  range: { from: number; to: number; checkPrice: boolean; limit: number; out: number[] },
): void {
  const { from, to, checkPrice, limit, out } = range;
  if (out.length >= limit) return;
  const ph = side.ph, pl = side.pl, dur = side.dur, flags = side.flags;
  const req = side.req, author = side.author, cp = side.cp, bl = side.bl, bench = side.bench;
  const level = table.level, master = table.master, marks1 = table.marks1, marks2 = table.marks2;
  const stride = side.width * 2;
  const qph = q.ph, qpl = q.pl, qdur = q.dur, qflags = q.flags, qreq = q.req;
  const qlevel = q.authorLevel, qmaster = q.master, qcp = q.cp, qbench = q.bench;
  const nb2 = q.nb * 2, block = q.block, gen = q.gen;
  const qsum = side.qsum, qs = q.summary;
  const s0 = qs[0]!, s1 = qs[1]!, s2 = qs[2]!, s3 = qs[3]!, s4 = qs[4]!, s5 = qs[5]!;
  const s6 = qs[6]!;
  for (let r = from; r < to; r++) {
    const w = r * 7;
    if (
      ((((qsum[w] as number) | HIGH_BITS) - s0) & (((qsum[w + 1] as number) | HIGH_BITS) - s1) &
        (((qsum[w + 2] as number) | HIGH_BITS) - s2) &
        (((qsum[w + 3] as number) | HIGH_BITS) - s3) &
        (((qsum[w + 4] as number) | HIGH_BITS) - s4) &
        (((qsum[w + 5] as number) | HIGH_BITS) - s5) &
        (((qsum[w + 6] as number) | HIGH_BITS) - s6) & HIGH_BITS) !== HIGH_BITS
    ) continue;
    if (checkPrice) {
      const h = ph[r] as number;
      if (h > qph || (h === qph && (pl[r] as number) > qpl)) continue;
    }
    if ((dur[r] as number) < qdur) continue;
    if ((qflags & ~(flags[r] as number)) !== 0) continue;
    if ((req[r] as number) > qlevel) continue; // also skips dead rows (DEAD bit set)
    const a = author[r] as number;
    if ((level[a] as number) < qreq) continue;
    const c = cp[r] as number;
    if (c !== 0 && c !== qmaster) continue;
    const m = master[a] as number;
    if (qcp !== 0 && m !== qcp) continue;
    if (
      block &&
      (marks1[a] === gen || marks1[m] === gen || marks2[bl[r] as number] === gen ||
        marks2[m] === gen || marks2[a] === gen)
    ) continue;
    let ok = true;
    const base = r * stride;
    for (let i = 0; i < nb2; i += 2) {
      const ah = bench[base + i] as number, bh = qbench[i] as number;
      if (bh > ah || (bh === ah && (qbench[i + 1] as number) > (bench[base + i + 1] as number))) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    out.push(r);
    if (out.length >= limit) return;
  }
}
