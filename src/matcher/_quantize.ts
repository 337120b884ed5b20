/**
 * A 7-bit, order-preserving summary of an unsigned 64-bit benchmark value,
 * four to a 32-bit word, so that one SWAR step rejects a row whose
 * benchmarks cannot reach the query's. `q` is non-decreasing in the value,
 * so `ask >= bid` implies `q(ask) >= q(bid)`: the summary only rejects rows
 * that the exact hi/lo comparison would reject too.
 *
 * @module
 */

/** Words of summaries per row: 16 benchmarks (more are checked exactly only). */
export const SUMMARY_WORDS = 4;

/** Bit 7 of every byte. */
export const HIGH_BITS: number = 0x80808080 | 0;

/**
 * 0 for 0; else 2 * bitLength - 1 + (the bit below the leading one), at most 126.
 * `hi`, `lo`: the value's 32-bit halves.
 */
export function quantize(hi: number, lo: number): number {
  if (hi !== 0) {
    const length = 64 - Math.clz32(hi);
    const second = length >= 34 ? (hi >>> (length - 34)) & 1 : lo >>> 31;
    return 2 * length - 1 + second;
  }
  if (lo === 0) return 0;
  const length = 32 - Math.clz32(lo);
  const second = length >= 2 ? (lo >>> (length - 2)) & 1 : 0;
  return 2 * length - 1 + second;
}

/** Writes the summaries of `count` hi/lo pairs of `bench` (from `base`) into `out` at `at`. */
export function summarize(
  bench: Uint32Array,
  base: number,
  count: number,
  out: Uint32Array,
  at: number,
): void {
  for (let w = 0; w < SUMMARY_WORDS; w++) {
    let word = 0;
    for (let k = 0; k < 4; k++) {
      const i = w * 4 + k;
      if (i >= count) break;
      const q = quantize(bench[base + 2 * i] as number, bench[base + 2 * i + 1] as number);
      word |= q << (8 * k);
    }
    out[at + w] = word >>> 0;
  }
}
