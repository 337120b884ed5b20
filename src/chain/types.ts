/**
 * The chain layer's data types: the indexed state of market objects and the
 * {@linkcode ChainStore} interface the indexer writes to (implemented over
 * sqlite in src/agent/chain_store.ts).
 *
 * @module
 */
import type { Address, Hex } from "viem";
import type { IdentityLevel, MarketOrder, MarketViewData, MarketViews } from "../matcher/mod.ts";

/** A block the indexer has applied. */
export type IndexedBlock = { number: bigint; hash: Hex };

/** The contracts whose events the indexer follows. */
export type EventSource = "market" | "blacklist" | "profiles";

/** A decoded event, kept for audit and for the dashboard's history. */
export type ChainEvent = {
  blockNumber: bigint;
  logIndex: number;
  txHash: Hex;
  contract: EventSource;
  name: string;
  /** Decoded arguments by name (bigints kept as bigint). */
  args: Readonly<Record<string, unknown>>;
};

/** An order as indexed: the matcher's view plus the contract's bookkeeping. */
export type OrderState = MarketOrder & {
  /** Tokens locked by a BID for its first period. */
  frozenSum: bigint;
  /** The deal that took the order, 0 when none. */
  dealId: bigint;
};

/** Deal status names (`Deal.status` 1 and 2). */
export type DealStatus = "ACCEPTED" | "CLOSED";

/** A deal as the contract stores it. */
export type DealState = {
  id: bigint;
  askId: bigint;
  bidId: bigint;
  supplier: Address;
  consumer: Address;
  /** The payee: master of the supplier when the deal opened. */
  master: Address;
  /** Seconds; 0 = spot. */
  duration: bigint;
  /** USD x 1e18 per second. */
  price: bigint;
  startTime: bigint;
  endTime: bigint;
  status: DealStatus;
  blockedBalance: bigint;
  totalPayout: bigint;
  lastBillTime: bigint;
};

/** Change request status names (1-4 on chain). */
export type ChangeRequestStatus = "CREATED" | "CANCELED" | "REJECTED" | "ACCEPTED";

/** A change request as the contract stores it. */
export type ChangeRequestState = {
  id: bigint;
  dealId: bigint;
  /** Which side asked: BID = consumer, ASK = supplier. */
  side: "BID" | "ASK";
  price: bigint;
  duration: bigint;
  status: ChangeRequestStatus;
};

/** A payment of a deal (event `Billed`). */
export type BillRecord = {
  blockNumber: bigint;
  logIndex: number;
  txHash: Hex;
  dealId: bigint;
  paidAmount: bigint;
};

/** A worker's binding as read at a block. */
export type WorkerState = {
  worker: Address;
  /** Confirmed master, zero address when none. */
  master: Address;
  /** Requested, not yet confirmed master, zero address when none. */
  pendingMaster: Address;
};

/** An address's identity level as read at a block. */
export type LevelState = { who: Address; level: IdentityLevel };

/** One entry of an owner's blacklist as read at a block. */
export type ListedState = { owner: Address; who: Address; listed: boolean };

/** Everything that changed in one block, with states read at that block. */
export type BlockUpdate = {
  number: bigint;
  hash: Hex;
  parentHash: Hex;
  /** Unix seconds. */
  timestamp: bigint;
  events: readonly ChainEvent[];
  orders: readonly OrderState[];
  deals: readonly DealState[];
  changeRequests: readonly ChangeRequestState[];
  bills: readonly BillRecord[];
  workers: readonly WorkerState[];
  levels: readonly LevelState[];
  listed: readonly ListedState[];
};

/**
 * What one sync changed, for a long-lived market view to apply
 * incrementally: the state after the sync of everything that changed in
 * the synced range (last state wins). After a reorg the lists also hold
 * the state, as of the common ancestor, of everything the dropped blocks
 * had changed: an order that existed only on the dropped branch comes as
 * its last known state with `active: false`; a worker binding, level or
 * blacklist entry that existed only there comes as unbound, 0 or unlisted.
 * So applying the lists alone always yields the right view.
 */
export type MarketChanges = {
  /** Set when a reorg was undone: the block the store rolled back to. */
  reorg?: bigint | undefined;
  /**
   * True when the range held more changes than the indexer's `maxChanges`
   * (a first sync of a big market): the lists are then empty and the view
   * must be rebuilt from the store.
   */
  rebuild: boolean;
  /** The new state of every order whose state changed, active or not. */
  orders: readonly OrderState[];
  /** The new state of every deal opened, billed, changed or closed (a reorg's undone deal: closed). */
  deals: readonly DealState[];
  /** Changed worker -> master bindings (master is the zero address when unbound). */
  workers: readonly WorkerState[];
  /** Changed identity levels. */
  levels: readonly LevelState[];
  /** Changed blacklist entries. */
  listed: readonly ListedState[];
};

/** The keys of what applied blocks above some number changed (see `ChainStore.touchedAbove`). */
export type TouchedKeys = {
  orders: bigint[];
  deals: bigint[];
  workers: Address[];
  levels: Address[];
  listed: { owner: Address; who: Address }[];
};

/**
 * Where the indexer keeps the chain's state. Every method is synchronous
 * (sqlite's DatabaseSync); `applyBlock` and `rollbackTo` are atomic.
 */
export interface ChainStore {
  /** The highest applied block, undefined before the first. */
  lastIndexed(): IndexedBlock | undefined;
  /** Applied blocks at or below `below`, highest first, at most `limit`. */
  recentBlocks(options: { below: bigint; limit: number }): IndexedBlock[];
  /** Applies one block's changes; blocks come in increasing order. */
  applyBlock(update: BlockUpdate): void;
  /** Applies consecutive blocks in one transaction (all or none). */
  applyBlocks(updates: readonly BlockUpdate[]): void;
  /** Forgets every block above `number` and what it changed. */
  rollbackTo(number: bigint): void;
  /**
   * Drops what no rollback can need any more: versions superseded by a newer
   * one at or below `number`, and block hashes below it. Events and bills stay.
   */
  prune(number: bigint): void;
  /** What the blocks above `number` changed (read before a rollback to `number`). */
  touchedAbove(number: bigint): TouchedKeys;
  /** The current binding of a worker, undefined when it never had one. */
  getWorker(worker: Address): WorkerState | undefined;
  /** The current state of an order / deal / change request. */
  getOrder(id: bigint): OrderState | undefined;
  getDeal(id: bigint): DealState | undefined;
  getChangeRequest(id: bigint): ChangeRequestState | undefined;
  /** Every order that stands now. */
  activeOrders(): OrderState[];
  /** Deals where `who` is supplier, consumer or payee; all deals when omitted. */
  deals(options?: { party?: Address | undefined; status?: DealStatus | undefined }): DealState[];
  bills(dealId: bigint): BillRecord[];
  /** Events in block order, from `fromBlock` on. */
  events(options?: { fromBlock?: bigint | undefined; limit?: number | undefined }): ChainEvent[];
  /** Masters, levels and blacklists as the matcher needs them. */
  marketViews(): MarketViews;
  /**
   * The same views as data (every confirmed binding, non-zero level and
   * listed entry), to load into an order book (`setViews`).
   */
  marketViewData(): MarketViewData;
}
