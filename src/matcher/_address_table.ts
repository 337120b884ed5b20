/**
 * Interned addresses and the views over them, as arrays indexed by address
 * id: `master[id]` (the id of the confirmed master, or id itself),
 * `level[id]`, and the blacklists as owner -> listed and listed -> owners
 * sets. Queries look these up at match time, so a view change is seen by the
 * next query without touching any order.
 *
 * @module
 */
import { ZERO_ADDRESS } from "./types.ts";
import type { Address, IdentityLevel } from "./types.ts";

/** The interned addresses and views of an order book. */
export class AddressTable {
  #ids = new Map<string, number>();
  #addresses: Address[] = [];
  #lists = new Map<number, Set<number>>();
  #listedBy = new Map<number, Set<number>>();
  #listCount = 0;
  /** Master id by address id. */
  master: Int32Array = new Int32Array(1024);
  /** Identity level by address id. */
  level: Uint8Array = new Uint8Array(1024);
  /** Per-query marks (stamped with {@linkcode AddressTable.gen}). */
  marks1: Uint32Array = new Uint32Array(1024);
  marks2: Uint32Array = new Uint32Array(1024);
  gen = 0;

  constructor() {
    this.intern(ZERO_ADDRESS);
  }

  get size(): number {
    return this.#addresses.length;
  }

  /** Number of blacklist entries. */
  get listCount(): number {
    return this.#listCount;
  }

  /** Id of a lower-case address, interning it when new. */
  intern(address: string): number {
    const key = address.toLowerCase();
    const known = this.#ids.get(key);
    if (known !== undefined) return known;
    const id = this.#addresses.length;
    if (id === this.master.length) this.#grow();
    this.#ids.set(key, id);
    this.#addresses.push(key as Address);
    this.master[id] = id;
    return id;
  }

  addressOf(id: number): Address {
    return this.#addresses[id] ?? ZERO_ADDRESS;
  }

  #grow(): void {
    const cap = this.master.length * 2;
    const master = new Int32Array(cap);
    master.set(this.master);
    this.master = master;
    const level = new Uint8Array(cap);
    level.set(this.level);
    this.level = level;
    this.marks1 = new Uint32Array(cap);
    this.marks2 = new Uint32Array(cap);
    this.gen = 0;
  }

  setMaster(worker: string, master: string): void {
    const w = this.intern(worker);
    const m = this.intern(master);
    this.master[w] = m === 0 ? w : m;
  }

  setLevel(address: string, level: IdentityLevel): void {
    this.level[this.intern(address)] = level;
  }

  setListed(owner: string, who: string, listed: boolean): void {
    const o = this.intern(owner);
    const w = this.intern(who);
    if (listed) {
      let list = this.#lists.get(o);
      if (list === undefined) this.#lists.set(o, list = new Set());
      if (list.has(w)) return;
      list.add(w);
      let by = this.#listedBy.get(w);
      if (by === undefined) this.#listedBy.set(w, by = new Set());
      by.add(o);
      this.#listCount++;
    } else {
      const list = this.#lists.get(o);
      if (list === undefined || !list.delete(w)) return;
      if (list.size === 0) this.#lists.delete(o);
      const by = this.#listedBy.get(w);
      by?.delete(o);
      if (by !== undefined && by.size === 0) this.#listedBy.delete(w);
      this.#listCount--;
    }
  }

  isListed(owner: number, who: number): boolean {
    return this.#lists.get(owner)?.has(who) ?? false;
  }

  /** Forgets every view (masters, levels, blacklists); keeps the interned addresses. */
  clearViews(): void {
    for (let i = 0; i < this.#addresses.length; i++) this.master[i] = i;
    this.level.fill(0);
    this.#lists.clear();
    this.#listedBy.clear();
    this.#listCount = 0;
  }

  /** Starts a query: returns a fresh stamp for marks1/marks2. */
  nextGen(): number {
    if (this.gen >= 0xfffffff0) {
      this.marks1.fill(0);
      this.marks2.fill(0);
      this.gen = 0;
    }
    return ++this.gen;
  }

  /** Stamps marks1[who] for everyone `owner` lists; returns whether any. */
  markListedBy(owner: number, gen: number): boolean {
    const list = this.#lists.get(owner);
    if (list === undefined) return false;
    for (const w of list) this.marks1[w] = gen;
    return list.size > 0;
  }

  /** Stamps marks2[owner] for every owner that lists `who`; returns whether any. */
  markOwnersListing(who: number, gen: number): boolean {
    const by = this.#listedBy.get(who);
    if (by === undefined) return false;
    for (const o of by) this.marks2[o] = gen;
    return by.size > 0;
  }

  /** Bytes held by the typed arrays. */
  get arrayBytes(): number {
    return this.master.byteLength + this.level.byteLength + this.marks1.byteLength +
      this.marks2.byteLength;
  }
}
