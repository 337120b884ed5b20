/**
 * The pure half of a columnar bulk load: bound checks over
 * {@linkcode OrderColumns} (the same bounds `add` enforces, with the same
 * error fields) and the per-side sort (price descending, then id ascending).
 *
 * @module
 */
import { InvalidOrderError } from "./errors.ts";
import type { OrderLimits } from "./limits.ts";
import type { OrderColumns } from "./order_columns.ts";

/** What a checked set of columns needs on the way into the book. */
export type CheckedColumns = {
  /** Whether the ids strictly increase (each id once, in order). */
  increasing: boolean;
  /** Most benchmarks of any row. */
  maxBenchmarks: number;
  bids: number;
};

/**
 * Checks every row against `limits` and the references against the lists;
 * throws {@linkcode InvalidOrderError} on the first bad row.
 */
export function checkColumns(c: OrderColumns, limits: OrderLimits): CheckedColumns {
  const maxPh = Number(limits.maxPrice >> 32n), maxPl = Number(limits.maxPrice & 0xffffffffn);
  const maxDur = Number(limits.maxDuration);
  const nAddr = c.addresses.length, nTags = c.tags.length;
  const stride = c.benchmarkWidth * 2;
  let increasing = true, maxBenchmarks = 0, bids = 0;
  for (let r = 0; r < c.count; r++) {
    const id = c.id[r] as number;
    if (!Number.isSafeInteger(id) || id < 0) {
      fail(id, "id", id, "must be an integer from 0 to 2^53 - 1");
    }
    if (r > 0 && id <= (c.id[r - 1] as number)) increasing = false;
    const ph = c.priceHigh[r] as number, pl = c.priceLow[r] as number;
    if (!Number.isInteger(ph) || ph < 0 || ph > maxPh || (ph === maxPh && pl > maxPl)) {
      fail(id, "price", ph < 0 ? -1 : ph * 4294967296 + pl, `must be at most ${limits.maxPrice}`);
    }
    const dur = c.duration[r] as number;
    if (!Number.isInteger(dur) || dur < 0 || dur > maxDur) {
      fail(id, "duration", dur, `must be at most ${limits.maxDuration} seconds`);
    }
    const nf = c.netflagCount[r] as number;
    if (nf > limits.maxNetflags || (c.netflagMask[r] as number) >> nf !== 0) {
      fail(id, "netflags", nf, `must have at most ${limits.maxNetflags} entries`);
    }
    if ((c.identityLevel[r] as number) > 3) {
      fail(id, "identityLevel", c.identityLevel[r], "must be an identity level from 0 to 3");
    }
    const nb = c.benchmarkCount[r] as number;
    if (nb > limits.maxBenchmarks || nb > c.benchmarkWidth) {
      fail(id, "benchmarks", nb, `must have at most ${limits.maxBenchmarks} entries`);
    }
    for (let i = 0; i < nb; i++) {
      if ((c.benchmarks[r * stride + 2 * i] as number) >= 0x80000000) {
        fail(id, `benchmarks[${i}]`, undefined, "must be below 2^63 (9223372036854775808)");
      }
    }
    if (nb > maxBenchmarks) maxBenchmarks = nb;
    const au = c.author[r] as number,
      cp = c.counterparty[r] as number,
      bl = c.blacklist[r] as number;
    if (!(au >= 0 && au < nAddr)) fail(id, "author", au, ADDRESS_INDEX);
    if (!(cp >= 0 && cp < nAddr)) fail(id, "counterparty", cp, ADDRESS_INDEX);
    if (!(bl >= 0 && bl < nAddr)) fail(id, "blacklist", bl, ADDRESS_INDEX);
    const t = c.tag[r] as number;
    if (!(t >= 0 && t < nTags)) fail(id, "tag", t, "must index the columns' tags");
    bids += c.isBid[r] === 1 ? 1 : 0;
  }
  return { increasing, maxBenchmarks, bids };
}

const ADDRESS_INDEX = "must index the columns' addresses";

function fail(id: number, field: string, value: unknown, detail: string): never {
  throw new InvalidOrderError({ what: `order "${id}"`, field, value, detail });
}

/**
 * Sorts `rows` (ascending row numbers, so ascending ids when the ids
 * increase) by price descending, keeping row order among equal prices.
 */
export function sortRowsByPrice(c: OrderColumns, rows: Int32Array): Int32Array {
  const n = rows.length;
  let exact = true;
  for (let k = 0; k < n; k++) {
    if ((c.priceHigh[rows[k] as number] as number) >= 2 ** 21) exact = false;
  }
  if (!exact) {
    const ph = c.priceHigh, pl = c.priceLow;
    return rows.sort((a, b) =>
      ((ph[b] as number) - (ph[a] as number)) || ((pl[b] as number) - (pl[a] as number)) || a - b
    );
  }
  // prices below 2^53: an LSD radix sort on the complemented 53-bit key, 4 stable passes of 14 bits
  const key = new Float64Array(n);
  const max = 2 ** 53 - 1;
  for (let k = 0; k < n; k++) {
    const r = rows[k] as number;
    key[k] = max - ((c.priceHigh[r] as number) * 4294967296 + (c.priceLow[r] as number));
  }
  let order = new Int32Array(n), next = new Int32Array(n);
  for (let k = 0; k < n; k++) order[k] = k;
  const counts = new Int32Array(1 << 14);
  for (let pass = 0, scale = 1; pass < 4; pass++, scale *= 1 << 14) {
    counts.fill(0);
    for (let k = 0; k < n; k++) counts[Math.floor((key[k] as number) / scale) & 0x3fff]!++;
    let sum = 0;
    for (let d = 0; d < counts.length; d++) {
      const c0 = counts[d] as number;
      counts[d] = sum;
      sum += c0;
    }
    for (let k = 0; k < n; k++) {
      const o = order[k] as number;
      next[counts[Math.floor((key[o] as number) / scale) & 0x3fff]!++] = o;
    }
    [order, next] = [next, order];
  }
  const out = new Int32Array(n);
  for (let k = 0; k < n; k++) out[k] = rows[order[k] as number] as number;
  return out;
}
