/**
 * One side of the order book (all BIDs or all ASKs) as columns: one typed
 * array per field, benchmarks as interleaved hi/lo 32-bit halves so that
 * unsigned 64-bit comparisons are exact. Rows [0, main) are sorted by price
 * descending, then id ascending (the supplier's preference); rows
 * [main, rows) are a delta of recent additions in arrival order. Removal
 * sets the {@linkcode DEAD} bit of `req`; {@linkcode Side.compact} merges the delta into the sorted
 * main part and drops dead rows; then rows move, and `onCompact` tells the
 * owner (which indexes orders by row).
 *
 * @module
 */

import { SUMMARY_WORDS } from "./_quantize.ts";

/** Copies `old` into the larger `fresh`. */
function grow<T extends Float64Array | Int32Array | Uint32Array | Uint8Array>(old: T, fresh: T): T {
  fresh.set(old);
  return fresh;
}

/** `fresh[i] = old[perm[i]]`; one copy per array type keeps the loops monomorphic. */
function take<T extends Float64Array | Int32Array | Uint32Array | Uint8Array>(
  perm: Int32Array,
  old: T,
  fresh: T,
): T {
  if (old instanceof Float64Array) takeF64(perm, old, fresh as Float64Array);
  else if (old instanceof Int32Array) takeI32(perm, old, fresh as Int32Array);
  else if (old instanceof Uint32Array) takeU32(perm, old, fresh as Uint32Array);
  else takeU8(perm, old as Uint8Array, fresh as Uint8Array);
  return fresh;
}

function takeF64(perm: Int32Array, old: Float64Array, fresh: Float64Array): void {
  for (let i = 0; i < perm.length; i++) fresh[i] = old[perm[i] as number] as number;
}

function takeI32(perm: Int32Array, old: Int32Array, fresh: Int32Array): void {
  for (let i = 0; i < perm.length; i++) fresh[i] = old[perm[i] as number] as number;
}

function takeU32(perm: Int32Array, old: Uint32Array, fresh: Uint32Array): void {
  for (let i = 0; i < perm.length; i++) fresh[i] = old[perm[i] as number] as number;
}

function takeStrided(
  perm: Int32Array,
  old: Uint32Array,
  fresh: Uint32Array,
  stride: number,
): Uint32Array {
  for (let i = 0; i < perm.length; i++) {
    const from = (perm[i] as number) * stride, to = i * stride;
    for (let k = 0; k < stride; k++) fresh[to + k] = old[from + k] as number;
  }
  return fresh;
}

function takeU8(perm: Int32Array, old: Uint8Array, fresh: Uint8Array): void {
  for (let i = 0; i < perm.length; i++) fresh[i] = old[perm[i] as number] as number;
}

/**
 * Bit of `req` (the required identity level, 0-3) that marks a dead row: the
 * scans' level check (`req > level of the query's author`, at most 3) then
 * skips it with no extra read.
 */
export const DEAD = 0x80;

/** Column layout of a side. */
export class Side {
  /** Benchmarks per row (the stride is twice that: hi, lo); grows on demand. */
  width: number;
  cap: number;
  /** Rows in use (main + delta). */
  rows = 0;
  /** Rows [0, main) are sorted. */
  main = 0;
  /** Dead rows in [0, rows). */
  dead = 0;
  /** Highest benchmark count of any row ever stored (later entries are 0 everywhere). */
  usedBench = 0;

  oid: Float64Array;
  author: Int32Array;
  cp: Int32Array;
  bl: Int32Array;
  tag: Int32Array;
  /** Price >> 32 (exact: prices are below 2^85). */
  ph: Float64Array;
  pl: Uint32Array;
  /** Seconds (durations are below 2^32). */
  dur: Uint32Array;
  flags: Uint8Array;
  nflags: Uint8Array;
  req: Uint8Array;
  nbench: Uint8Array;
  bench: Uint32Array;
  /** Quantized benchmarks, SUMMARY_WORDS words per row (see _quantize.ts). */
  qsum: Uint32Array;
  /** Called after a compaction moved rows. */
  onCompact: () => void = () => {};

  constructor(width: number, cap = 1024) {
    this.width = width;
    this.cap = cap;
    this.oid = new Float64Array(cap);
    this.author = new Int32Array(cap);
    this.cp = new Int32Array(cap);
    this.bl = new Int32Array(cap);
    this.tag = new Int32Array(cap);
    this.ph = new Float64Array(cap);
    this.pl = new Uint32Array(cap);
    this.dur = new Uint32Array(cap);
    this.flags = new Uint8Array(cap);
    this.nflags = new Uint8Array(cap);
    this.req = new Uint8Array(cap);
    this.nbench = new Uint8Array(cap);
    this.bench = new Uint32Array(cap * width * 2);
    this.qsum = new Uint32Array(cap * SUMMARY_WORDS);
  }

  get live(): number {
    return this.rows - this.dead;
  }

  /** Appends a row (the caller fills its columns); returns the row. */
  appendRow(): number {
    if (this.rows === this.cap) {
      if (this.dead * 4 >= this.rows) this.compact();
      if (this.rows === this.cap) this.#resize(Math.ceil(this.cap * 1.5));
    }
    const r = this.rows++;
    this.req[r] = 0;
    return r;
  }

  /** Makes room for `rows` rows in all, so that appending them moves nothing. */
  reserve(rows: number): void {
    if (rows > this.cap) this.#resize(rows);
  }

  /** Marks a row dead. */
  killRow(r: number): void {
    if ((this.req[r] as number) & DEAD) return;
    this.req[r] = (this.req[r] as number) | DEAD;
    this.dead++;
  }

  /** Whether a query should merge first: a large delta or many dead rows. */
  needsCompaction(): boolean {
    const delta = this.rows - this.main;
    return delta > Math.max(1024, this.main >> 6) || this.dead > Math.max(1024, this.rows >> 2);
  }

  /** Row order: price descending, then id ascending. Negative when row a comes first. */
  cmp(a: number, b: number): number {
    const ph = this.ph, pl = this.pl;
    if (ph[a] !== ph[b]) return (ph[b] as number) - (ph[a] as number);
    if (pl[a] !== pl[b]) return (pl[b] as number) - (pl[a] as number);
    return (this.oid[a] as number) - (this.oid[b] as number);
  }

  /** Merges the delta into the sorted main part and drops dead rows. */
  compact(): void {
    const req = this.req;
    const mainRows: number[] = [];
    for (let r = 0; r < this.main; r++) if (((req[r] as number) & DEAD) === 0) mainRows.push(r);
    const deltaRows = new Int32Array(this.rows - this.main);
    let d = 0;
    for (let r = this.main; r < this.rows; r++) {
      if (((req[r] as number) & DEAD) === 0) deltaRows[d++] = r;
    }
    const ph = this.ph, pl = this.pl, oid = this.oid;
    const delta = deltaRows.subarray(0, d).sort((a, b) =>
      ((ph[b] as number) - (ph[a] as number)) || ((pl[b] as number) - (pl[a] as number)) ||
      ((oid[a] as number) - (oid[b] as number))
    );
    const total = mainRows.length + d;
    const perm = new Int32Array(total);
    let i = 0, j = 0, k = 0;
    while (i < mainRows.length && j < d) {
      const a = mainRows[i] as number, b = delta[j] as number;
      if (this.cmp(a, b) <= 0) {
        perm[k++] = a;
        i++;
      } else {
        perm[k++] = b;
        j++;
      }
    }
    while (i < mainRows.length) perm[k++] = mainRows[i++] as number;
    while (j < d) perm[k++] = delta[j++] as number;
    // Room for the delta that the next queries let grow before they compact again
    // (see needsCompaction), not a power of two: memory per order is a goal.
    const cap = total + Math.max(1024, total >> 6);
    this.#permute(perm, cap);
    this.rows = total;
    this.main = total;
    this.dead = 0;
    this.onCompact();
  }

  #resize(cap: number): void {
    this.oid = grow(this.oid, new Float64Array(cap));
    this.author = grow(this.author, new Int32Array(cap));
    this.cp = grow(this.cp, new Int32Array(cap));
    this.bl = grow(this.bl, new Int32Array(cap));
    this.tag = grow(this.tag, new Int32Array(cap));
    this.ph = grow(this.ph, new Float64Array(cap));
    this.pl = grow(this.pl, new Uint32Array(cap));
    this.dur = grow(this.dur, new Uint32Array(cap));
    this.flags = grow(this.flags, new Uint8Array(cap));
    this.nflags = grow(this.nflags, new Uint8Array(cap));
    this.req = grow(this.req, new Uint8Array(cap));
    this.nbench = grow(this.nbench, new Uint8Array(cap));
    this.bench = grow(this.bench, new Uint32Array(cap * this.width * 2));
    this.qsum = grow(this.qsum, new Uint32Array(cap * SUMMARY_WORDS));
    this.cap = cap;
  }

  /** Widens every row to `width` benchmarks (new entries are 0). */
  widen(width: number): void {
    if (width <= this.width) return;
    const bench = new Uint32Array(this.cap * width * 2);
    const oldStride = this.width * 2, stride = width * 2;
    for (let r = 0; r < this.rows; r++) {
      bench.set(this.bench.subarray(r * oldStride, (r + 1) * oldStride), r * stride);
    }
    this.bench = bench;
    this.width = width;
  }

  /** Rebuilds every column as `new[i] = old[perm[i]]` with capacity `cap`. */
  #permute(perm: Int32Array, cap: number): void {
    this.oid = take(perm, this.oid, new Float64Array(cap));
    this.author = take(perm, this.author, new Int32Array(cap));
    this.cp = take(perm, this.cp, new Int32Array(cap));
    this.bl = take(perm, this.bl, new Int32Array(cap));
    this.tag = take(perm, this.tag, new Int32Array(cap));
    this.ph = take(perm, this.ph, new Float64Array(cap));
    this.pl = take(perm, this.pl, new Uint32Array(cap));
    this.dur = take(perm, this.dur, new Uint32Array(cap));
    this.flags = take(perm, this.flags, new Uint8Array(cap));
    this.nflags = take(perm, this.nflags, new Uint8Array(cap));
    this.req = take(perm, this.req, new Uint8Array(cap));
    this.nbench = take(perm, this.nbench, new Uint8Array(cap));
    this.bench = takeStrided(
      perm,
      this.bench,
      new Uint32Array(cap * this.width * 2),
      this.width * 2,
    );
    this.qsum = takeStrided(perm, this.qsum, new Uint32Array(cap * SUMMARY_WORDS), SUMMARY_WORDS);
    this.cap = cap;
  }

  /** First row in [0, main) whose price is below (hi, lo); main is sorted descending. */
  firstBelow(hi: number, lo: number): number {
    let a = 0, b = this.main;
    const ph = this.ph, pl = this.pl;
    while (a < b) {
      const mid = (a + b) >>> 1;
      const h = ph[mid] as number;
      if (h > hi || (h === hi && (pl[mid] as number) >= lo)) a = mid + 1;
      else b = mid;
    }
    return a;
  }

  /** First row in [0, main) whose price is at most (hi, lo). */
  firstAtMost(hi: number, lo: number): number {
    let a = 0, b = this.main;
    const ph = this.ph, pl = this.pl;
    while (a < b) {
      const mid = (a + b) >>> 1;
      const h = ph[mid] as number;
      if (h > hi || (h === hi && (pl[mid] as number) > lo)) a = mid + 1;
      else b = mid;
    }
    return a;
  }

  /** Bytes held by the columns. */
  get arrayBytes(): number {
    return this.oid.byteLength + this.author.byteLength + this.cp.byteLength +
      this.bl.byteLength + this.tag.byteLength + this.ph.byteLength + this.pl.byteLength +
      this.dur.byteLength + this.flags.byteLength + this.nflags.byteLength +
      this.req.byteLength + this.nbench.byteLength +
      this.bench.byteLength + this.qsum.byteLength;
  }
}
