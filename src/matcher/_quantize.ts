/**
 * A 15-bit, order-preserving summary of an unsigned 64-bit benchmark value,
 * two to a 32-bit word, so that one SWAR step per word rejects a row whose
 * benchmarks cannot reach the query's. `q` is non-decreasing in the value,
 * so `ask >= bid` implies `q(ask) >= q(bid)`: the summary only rejects rows
 * that the exact hi/lo comparison would reject too.
 *
 * @module
 */

/** Words of summaries per row: 14 benchmarks (later ones are checked exactly only). */
export const SUMMARY_WORDS = 7;

/** Bit 15 of both 16-bit lanes. */
export const HIGH_BITS: number = 0x80008000 | 0;

/**
 * 0 for 0; else (bit length << 8) | the 8 bits below the leading one; at most
 * 16383. `hi`, `lo`: the value's 32-bit halves.
 */
export function quantize(hi: number, lo: number): number {
  if (hi === 0) {
    if (lo === 0) return 0;
    const length = 32 - Math.clz32(lo);
    const mantissa = length >= 9 ? (lo >>> (length - 9)) & 0xff : (lo << (9 - length)) & 0xff;
    return (length << 8) | mantissa;
  }
  const length = 64 - Math.clz32(hi);
  const shift = length - 9; // 24..54
  const mantissa = shift >= 32
    ? (hi >>> (shift - 32)) & 0xff
    : ((hi << (32 - shift)) | (lo >>> shift)) & 0xff;
  return (length << 8) | mantissa;
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
    const i = 2 * w;
    const low = i < count
      ? quantize(bench[base + 2 * i] as number, bench[base + 2 * i + 1] as number)
      : 0;
    const high = i + 1 < count
      ? quantize(bench[base + 2 * i + 2] as number, bench[base + 2 * i + 3] as number)
      : 0;
    out[at + w] = (low | (high << 16)) >>> 0;
  }
}
