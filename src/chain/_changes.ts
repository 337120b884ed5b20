/**
 * Collects what a sync changed ({@linkcode MarketChanges}) from the blocks it
 * applies and the rollbacks it makes. Private to the indexer.
 *
 * @module
 */
import { zeroAddress } from "viem";
import type {
  BlockUpdate,
  ChainStore,
  DealState,
  LevelState,
  ListedState,
  MarketChanges,
  OrderState,
  WorkerState,
} from "./types.ts";

const key = (a: string) => a.toLowerCase();

/** The running set of changes of one sync; the last state of each key wins. */
export class ChangeCollector {
  #max: number;
  #orders = new Map<bigint, OrderState>();
  #deals = new Map<bigint, DealState>();
  #workers = new Map<string, WorkerState>();
  #levels = new Map<string, LevelState>();
  #listed = new Map<string, ListedState>();
  #rebuild = false;
  #reorg: bigint | undefined;

  /** `max`: most entries listed before the collector gives up and asks for a rebuild. */
  constructor(max: number) {
    this.#max = max;
  }

  get #size(): number {
    return this.#orders.size + this.#deals.size + this.#workers.size + this.#levels.size +
      this.#listed.size;
  }

  #overflow(): void {
    this.#rebuild = true;
    this.#orders.clear();
    this.#deals.clear();
    this.#workers.clear();
    this.#levels.clear();
    this.#listed.clear();
  }

  /** Records a block the store applied. */
  addBlock(u: BlockUpdate): void {
    if (this.#rebuild) return;
    for (const o of u.orders) this.#orders.set(o.id, o);
    for (const d of u.deals) this.#deals.set(d.id, d);
    for (const w of u.workers) this.#workers.set(key(w.worker), w);
    for (const l of u.levels) this.#levels.set(key(l.who), l);
    for (const b of u.listed) this.#listed.set(`${key(b.owner)}:${key(b.who)}`, b);
    if (this.#size > this.#max) this.#overflow();
  }

  /** Rolls `store` back to `number` and records the state it returned to. */
  rollback(store: ChainStore, number: bigint): void {
    this.#reorg = this.#reorg === undefined || number < this.#reorg ? number : this.#reorg;
    const touched = this.#rebuild ? undefined : store.touchedAbove(number);
    const count = touched === undefined ? Infinity : touched.orders.length + touched.deals.length +
      touched.workers.length + touched.levels.length + touched.listed.length;
    if (touched === undefined || this.#size + count > this.#max) {
      store.rollbackTo(number);
      this.#overflow();
      return;
    }
    const before = new Map<bigint, OrderState | undefined>(
      touched.orders.map((id) => [id, store.getOrder(id)]),
    );
    const dealsBefore = new Map<bigint, DealState | undefined>(
      touched.deals.map((id) => [id, store.getDeal(id)]),
    );
    store.rollbackTo(number);
    for (const [id, old] of before) {
      const now = store.getOrder(id) ?? (old === undefined ? undefined : { ...old, active: false });
      if (now !== undefined) this.#orders.set(id, now);
    }
    // a deal the rollback unmade is listed closed: a view drops it from the open ones
    for (const [id, old] of dealsBefore) {
      const now = store.getDeal(id) ??
        (old === undefined ? undefined : { ...old, status: "CLOSED" as const });
      if (now !== undefined) this.#deals.set(id, now);
    }
    const views = store.marketViews();
    for (const worker of touched.workers) {
      this.#workers.set(
        key(worker),
        store.getWorker(worker) ??
          { worker, master: zeroAddress, pendingMaster: zeroAddress },
      );
    }
    for (const who of touched.levels) {
      this.#levels.set(key(who), { who, level: views.levelOf(who) });
    }
    for (const { owner, who } of touched.listed) {
      this.#listed.set(`${key(owner)}:${key(who)}`, {
        owner,
        who,
        listed: views.listed(owner, who),
      });
    }
  }

  /** The changes collected so far. */
  result(): MarketChanges {
    return {
      reorg: this.#reorg,
      rebuild: this.#rebuild,
      orders: [...this.#orders.values()],
      deals: [...this.#deals.values()],
      workers: [...this.#workers.values()],
      levels: [...this.#levels.values()],
      listed: [...this.#listed.values()],
    };
  }
}
