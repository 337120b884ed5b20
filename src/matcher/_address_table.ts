/**
 * Interned addresses and the views over them, as arrays indexed by address
 * id: `master[id]` (the id of the confirmed master, or id itself),
 * `level[id]`, and the blacklists as owner -> listed and listed -> owners
 * sets. Queries look these up at match time, so a view change is seen by the
 * next query without touching any order.
 *
 * @module
 */
import { InvalidOrderError } from "./errors.ts";
import { ZERO_ADDRESS } from "./types.ts";
import type { Address, IdentityLevel } from "./types.ts";

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

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

  /** Id of an address, interning it when new; -1 when it is not a 20-byte hex address. */
  intern(address: string): number {
    const fast = this.#ids.get(address);
    if (fast !== undefined) return fast;
    if (typeof address !== "string" || !ADDRESS.test(address)) return -1;
    const key = address.toLowerCase();
    const known = this.#ids.get(key);
    if (known !== undefined) {
      // chain data spells addresses checksummed: remember that spelling too
      this.#ids.set(address, known);
      return known;
    }
    const id = this.#addresses.length;
    if (id === this.master.length) this.#grow();
    this.#ids.set(key, id);
    if (key !== address) this.#ids.set(address, id);
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

  #internView(address: string, field: string): number {
    const id = this.intern(address);
    if (id < 0) {
      throw new InvalidOrderError({
        what: "view",
        field,
        value: address,
        detail: "must be a 20-byte hex address",
      });
    }
    return id;
  }

  setMaster(worker: string, master: string): void {
    const w = this.#internView(worker, "worker");
    const m = this.#internView(master, "master");
    this.master[w] = m === 0 ? w : m;
  }

  setLevel(address: string, level: IdentityLevel): void {
    const id = this.#internView(address, "address"); // may grow the arrays: index after
    if (!Number.isInteger(level) || level < 0 || level > 3) {
      throw new InvalidOrderError({
        what: "view",
        field: "level",
        value: level,
        detail: "must be an identity level from 0 to 3",
      });
    }
    this.level[id] = level;
  }

  setListed(owner: string, who: string, listed: boolean): void {
    const o = this.#internView(owner, "owner");
    const w = this.#internView(who, "listed");
    // Owner 0 means "no extra blacklist": the contract skips it, so it lists nobody.
    if (o === 0) return;
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
