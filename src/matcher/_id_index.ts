/**
 * Order id -> entry, an open-addressing hash table in one Int32Array. An
 * entry is `(row << 1) | side`; the keys are not stored: `keyOf(entry)` reads
 * the id from the row's column, so the table costs 4 bytes per slot (8 per
 * order at most 50% full). Rows move when a side is compacted: rebuild then.
 *
 * @module
 */

const EMPTY = -1;
const GONE = -2;

/** Reads the order id of an entry from the columns. */
export type KeyOf = (entry: number) => number;

/** The id -> (row, side) index of an order book. */
export class IdIndex {
  #slots: Int32Array = new Int32Array(1024).fill(EMPTY);
  #mask = 1023;
  /** Live entries. */
  size = 0;
  /** Live entries and tombstones. */
  #used = 0;
  readonly #keyOf: KeyOf;

  constructor(keyOf: KeyOf) {
    this.#keyOf = keyOf;
  }

  #home(id: number): number {
    const lo = id >>> 0, hi = (id / 4294967296) >>> 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    h = Math.imul(h, 0xc2b2ae35);
    return (h ^ (h >>> 13)) & this.#mask;
  }

  /** The entry of `id`, or -1. */
  get(id: number): number {
    const slots = this.#slots;
    for (let i = this.#home(id);; i = (i + 1) & this.#mask) {
      const e = slots[i] as number;
      if (e === EMPTY) return -1;
      if (e !== GONE && this.#keyOf(e) === id) return e;
    }
  }

  /** Sets the entry of `id` (new or replaced). */
  set(id: number, entry: number): void {
    const slots = this.#slots;
    let free = -1;
    for (let i = this.#home(id);; i = (i + 1) & this.#mask) {
      const e = slots[i] as number;
      if (e === EMPTY) {
        if (free < 0) {
          free = i;
          this.#used++;
        }
        break;
      }
      if (e === GONE) {
        if (free < 0) free = i;
        continue;
      }
      if (this.#keyOf(e) === id) {
        slots[i] = entry;
        return;
      }
    }
    slots[free] = entry;
    this.size++;
    if (this.#used * 2 > slots.length) this.#rehash(this.size * 4 > slots.length);
  }

  /** Removes `id`; returns its entry, or -1. */
  delete(id: number): number {
    const slots = this.#slots;
    for (let i = this.#home(id);; i = (i + 1) & this.#mask) {
      const e = slots[i] as number;
      if (e === EMPTY) return -1;
      if (e !== GONE && this.#keyOf(e) === id) {
        slots[i] = GONE;
        this.size--;
        return e;
      }
    }
  }

  /** Forgets every entry (keeps the capacity). */
  clear(): void {
    this.#slots.fill(EMPTY);
    this.size = 0;
    this.#used = 0;
  }

  /** Rebuilds the table (after tombstones piled up, or to grow). */
  #rehash(grow: boolean): void {
    const old = this.#slots;
    const cap = grow ? old.length * 2 : old.length;
    this.#slots = new Int32Array(cap).fill(EMPTY);
    this.#mask = cap - 1;
    this.size = 0;
    this.#used = 0;
    for (const e of old) if (e >= 0) this.set(this.#keyOf(e), e);
  }

  /** Sizes the table for `n` entries (before a bulk rebuild). */
  reserve(n: number): void {
    let cap = this.#slots.length;
    while (n * 2 > cap) cap *= 2;
    if (cap !== this.#slots.length) {
      this.#slots = new Int32Array(cap).fill(EMPTY);
      this.#mask = cap - 1;
      this.size = 0;
      this.#used = 0;
    }
  }

  get byteLength(): number {
    return this.#slots.byteLength;
  }
}
