import type { DealState, MarketChanges, OrderState } from "../../chain/mod.ts";
import {
  createOrderBook,
  InvalidOrderError,
  type OrderBook,
  type OrderColumns,
} from "../../matcher/mod.ts";
import type { PlanOrdersTable, SqliteChainStore } from "../state/mod.ts";
import type { SchedulerEvent } from "../base/mod.ts";

/** What one {@linkcode MarketView.apply} changed, as scheduler events. */
export type ViewDelta = {
  /** `orders`, `own`, `views`, `head`: what the reconciler's steps answer. */
  events: Set<SchedulerEvent>;
  /** Ids of the orders whose state changed (a failed BID waits for one of these). */
  orders: bigint[];
  /** The view was reloaded from the store or rolled back (a reorg): anything may have changed. */
  reloaded: boolean;
};

/** Components of {@linkcode createMarketView}. */
export type MarketViewComponents = {
  /** Where the indexer keeps the chain's state: the view loads from it at start and after a reorg. */
  store: SqliteChainStore;
  /**
   * Which plan each of our ASKs serves (the plans step records every ASK it
   * places and recovers the plan of a deal on an unrecorded one from the chain).
   * @default {none: no deal's plan is known}
   */
  planOrders?: Pick<PlanOrdersTable, "planOf"> | undefined;
};

/** Options of {@linkcode createMarketView}. */
export type CreateMarketViewOptions = {
  /** The agent's address: its ASKs and deals are tracked apart. */
  me: `0x${string}`;
};

/**
 * The market as the agent sees it, in memory for the whole run: every
 * standing order in a matcher book (with masters, levels and blacklists), the
 * agent's own active ASKs and open deals, and the chain's head.
 */
export type MarketView = {
  /** Standing orders and views, for matching. Updated in place, never rebuilt per step. */
  readonly book: OrderBook;
  /** The agent's active ASKs by id. */
  ownAsks(): ReadonlyMap<bigint, OrderState>;
  /** The agent's open deals (as supplier or payee) by id: the one answer to "our open deals". */
  ownDeals(): ReadonlyMap<bigint, DealState>;
  /** Whether a deal is ours (we are its supplier, or its supplier's master). */
  isOwn(deal: Pick<DealState, "supplier" | "master">): boolean;
  /** The plan a deal bought (the plan of its ASK), undefined when no plan explains it. */
  planOf(deal: Pick<DealState, "askId">): string | undefined;
  /** The highest block indexed into the view; undefined before the first. */
  indexedTo(): bigint | undefined;
  /**
   * Applies one sync's changes (and the block it indexed to); a reorg or a
   * range too big to list reloads from the store.
   */
  apply(changes: MarketChanges, indexedTo?: bigint | undefined): ViewDelta;
  /** Rebuilds everything from the store (at start, after a reorg). */
  reload(): void;
  /** Orders the book refused (out of the matcher's bounds), counted since start. */
  refused(): number;
};

const ZERO = "0x0000000000000000000000000000000000000000";
/** What a reload or a reorg may have changed: everything the view reports. */
const ALL_MARKET_EVENTS = ["orders", "own", "views", "head"] as const satisfies SchedulerEvent[];
const MAX_BOOK_ID = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Creates the long-lived market view and loads it from the store: one scan
 * of the active orders and the views at start, then O(1) work per changed
 * order or deal from each sync's {@linkcode MarketChanges}. A reorg, or a sync too big to list its
 * changes, reloads it from the store, the one source of truth.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openState } from "../state/state.ts";
 * import { createChainStore } from "../state/mod.ts";
 * import { createMarketView } from "./market_view.ts";
 * const state = openState({ path: ":memory:" });
 * const me = "0x00000000000000000000000000000000000000a1";
 * const view = createMarketView({ store: createChainStore(state.db) }, { me });
 * assert.equal(view.book.stats().bids, 0);
 * state.close();
 * ```
 */
export function createMarketView(
  components: MarketViewComponents,
  options: CreateMarketViewOptions,
): MarketView {
  const { store } = components;
  const me = options.me.toLowerCase();
  let book = createOrderBook();
  let ownAsks = new Map<bigint, OrderState>();
  let ownDeals = new Map<bigint, DealState>();
  let indexedTo = store.lastIndexed()?.number;
  let refused = 0;

  const isMine = (a: string) => a.toLowerCase() === me;
  const isOwnDeal = (d: Pick<DealState, "supplier" | "master">) => isDealOf(d, me);

  /** Puts an order's new state in the book; true when it is one of our ASKs. */
  function putOrder(o: OrderState): boolean {
    try {
      book.add(o);
    } catch (error) {
      // the contract bounds orders at placeOrder; one outside the matcher's bounds cannot match ours
      if (!(error instanceof InvalidOrderError)) throw error;
      refused++;
      // an id the book cannot hold (past 2^53) was never in it
      if (o.id >= 0n && o.id <= MAX_BOOK_ID) book.remove(o.id);
    }
    if (o.type !== "ASK" || !isMine(o.author)) return false;
    if (o.active) ownAsks.set(o.id, o);
    else ownAsks.delete(o.id);
    return true;
  }

  function putDeal(d: DealState): boolean {
    if (!isOwnDeal(d)) return false;
    if (d.status === "ACCEPTED") ownDeals.set(d.id, d);
    else ownDeals.delete(d.id);
    return true;
  }

  function reload(): void {
    const views = store.marketViewData();
    book = createOrderBook({ views });
    ownAsks = new Map();
    ownDeals = new Map();
    try {
      // columns straight from sqlite: no object, string or bigint per order
      const columns = store.activeOrderColumns();
      book.loadColumns(columns);
      for (const id of ownAskIds(columns, me)) {
        const o = store.getOrder(id);
        if (o !== undefined && o.active) ownAsks.set(o.id, o);
      }
    } catch (error) {
      if (!(error instanceof InvalidOrderError)) throw error;
      // one order out of the matcher's bounds: add them one by one, skipping it
      book = createOrderBook({ views });
      for (const o of store.activeOrders()) putOrder(o);
    }
    for (const d of store.deals({ status: "ACCEPTED" })) putDeal(d);
  }

  reload();
  return {
    get book() {
      return book;
    },
    ownAsks: () => ownAsks,
    ownDeals: () => ownDeals,
    isOwn: isOwnDeal,
    planOf: (deal) => components.planOrders?.planOf(deal.askId),
    indexedTo: () => indexedTo,
    apply(changes, to) {
      const events = new Set<SchedulerEvent>();
      const orders: bigint[] = [];
      if (to !== undefined && (indexedTo === undefined || to > indexedTo)) {
        indexedTo = to;
        events.add("head");
      }
      if (changes.rebuild) {
        // too many changes to list (a long catch-up): the store has the truth
        indexedTo = store.lastIndexed()?.number;
        reload();
        for (const e of ALL_MARKET_EVENTS) events.add(e);
        return { events, orders, reloaded: true };
      }
      // a reorg lists the states the rollback returned to: applied like any change
      if (changes.reorg !== undefined) {
        indexedTo = store.lastIndexed()?.number;
        for (const e of ALL_MARKET_EVENTS) events.add(e);
      }
      for (const o of changes.orders) {
        orders.push(o.id);
        events.add("orders");
        if (putOrder(o)) events.add("own");
      }
      for (const d of changes.deals) if (putDeal(d)) events.add("own");
      for (const w of changes.workers) {
        book.setMaster(w.worker, w.master === ZERO ? w.worker : w.master);
        events.add("views");
      }
      for (const l of changes.levels) {
        book.setLevel(l.who, l.level);
        events.add("views");
      }
      for (const b of changes.listed) {
        book.setListed(b.owner, b.who, b.listed);
        events.add("views");
      }
      return { events, orders, reloaded: changes.reorg !== undefined };
    },
    reload,
    refused: () => refused,
  };
}

/**
 * Whether `me` is the deal's supplier or its supplier's master (the payee):
 * the one test of "is this deal ours", for the view and for readers of the
 * state in other processes (`sonm-agent status`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isDealOf } from "./market_view.ts";
 * const deal = {
 *   supplier: "0x00000000000000000000000000000000000000A1",
 *   master: "0x00000000000000000000000000000000000000b2",
 * } as const;
 * assert.equal(isDealOf(deal, "0x00000000000000000000000000000000000000a1"), true);
 * assert.equal(isDealOf(deal, "0x00000000000000000000000000000000000000c3"), false);
 * ```
 */
export function isDealOf(
  deal: Pick<DealState, "supplier" | "master">,
  me: string,
): boolean {
  const who = me.toLowerCase();
  return deal.supplier.toLowerCase() === who || deal.master.toLowerCase() === who;
}

/** Ids of the ASKs authored by `me` (lower case) among the columns' rows. */
function ownAskIds(columns: OrderColumns, me: string): bigint[] {
  const mine = new Set<number>();
  columns.addresses.forEach((a, i) => {
    if (a.toLowerCase() === me) mine.add(i);
  });
  const ids: bigint[] = [];
  if (mine.size === 0) return ids;
  for (let r = 0; r < columns.count; r++) {
    if (columns.isBid[r] === 0 && mine.has(columns.author[r] as number)) {
      ids.push(BigInt(columns.id[r] as number));
    }
  }
  return ids;
}
