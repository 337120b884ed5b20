import {
  type Abi,
  type Address,
  type Block,
  BlockNotFoundError,
  type Hex,
  type Log,
  parseEventLogs,
  zeroAddress,
} from "viem";
import { blacklistAbi, marketAbi, profileRegistryAbi } from "./contracts.ts";
import type { MarketClient } from "./create_market_client.ts";
import { ChainError } from "./errors.ts";
import {
  type RawChangeRequest,
  type RawDeal,
  type RawOrder,
  readContract,
  readMarket,
  toChangeRequestState,
  toDealState,
  toOrderState,
} from "./_market.ts";
import { sleep, withRetry } from "./_retry.ts";
import type {
  BillRecord,
  BlockUpdate,
  ChainEvent,
  ChainStore,
  ChangeRequestState,
  DealState,
  EventSource,
  LevelState,
  ListedState,
  OrderState,
  WorkerState,
} from "./types.ts";
import type { IdentityLevel, MarketOrder, MarketViews } from "../matcher/mod.ts";

/** Options of {@linkcode createIndexer}. */
export type CreateIndexerOptions = {
  store: ChainStore;
  /** First block to index when the store is empty (the market's deployment block). */
  fromBlock?: bigint | undefined;
  /** Blocks per getLogs call (default 500); halved while the node refuses a range as too large. */
  batchSize?: bigint | undefined;
  /** Stay this many blocks behind the head (default 0). */
  confirmations?: bigint | undefined;
  /** How many indexed blocks a reorg may undo (default 64). */
  reorgDepth?: number | undefined;
  /** Pause between polls of {@linkcode Indexer.run}, ms (default 1000). */
  pollIntervalMs?: number | undefined;
  /** Parallel state reads per block (default 8). */
  concurrency?: number | undefined;
};

/** What one {@linkcode Indexer.syncOnce} did. */
export type SyncResult = {
  /** The highest block indexed after the call. */
  indexedTo: bigint | undefined;
  /** Blocks applied to the store (blocks with events, plus batch ends). */
  blocksApplied: number;
  events: number;
  /** Set when a reorg was detected: the common ancestor the store rolled back to. */
  rolledBackTo?: bigint | undefined;
  /** What the applied blocks changed, in block order (a long-lived view applies these). */
  changes: SyncChanges;
};

/** The states a sync applied, in block order; a reorg means: rebuild from the store. */
export type SyncChanges = {
  orders: OrderState[];
  deals: DealState[];
  workers: WorkerState[];
  levels: LevelState[];
  listed: ListedState[];
  /** The highest block applied by this sync, with its time; undefined when none. */
  head: { number: bigint; timestamp: bigint } | undefined;
  /** The store rolled back (a reorg): states applied before are no longer all true. */
  reorg: boolean;
};

/** Follows the market's events into a {@linkcode ChainStore}. */
export type Indexer = {
  /** Indexes from the store's last block up to the head (or `toBlock`), reorgs included. */
  syncOnce(options?: { toBlock?: bigint | undefined; signal?: AbortSignal | undefined }): Promise<
    SyncResult
  >;
  /** Polls until `signal` aborts; `onError` sees failed polls (they are retried). */
  run(options: {
    signal: AbortSignal;
    onSync?: ((result: SyncResult) => void) | undefined;
    onError?: ((error: unknown) => void) | undefined;
  }): Promise<void>;
  /** The standing orders, for the matcher. */
  activeOrders(): MarketOrder[];
  /** Masters, levels and blacklists, for the matcher. */
  marketViews(): MarketViews;
};

/** Errors of {@linkcode Indexer.syncOnce}. */
export type IndexerErrorType = ChainError;

const eventsAbi = [
  ...marketAbi.filter((x) => x.type === "event"),
  ...blacklistAbi.filter((x) => x.type === "event"),
  ...profileRegistryAbi.filter((x) => x.type === "event"),
] as const;

/** A batch that saw the chain change under it; the next sync re-checks. */
class ReorgDuringBatch extends Error {}

/** The node refused the getLogs range as too large: halve it. */
class BatchTooLarge extends Error {}

const RANGE_LIMIT =
  /block range|range (is )?too (large|wide|big)|too many (blocks|results|logs)|more than \d+ (results|logs|blocks)|query returned more than|response size|exceed.*(range|results)/i;

function isRangeLimit(error: unknown): boolean {
  let current: unknown = error;
  for (let i = 0; i < 8 && current instanceof Error; i++) {
    if (RANGE_LIMIT.test(current.message)) return true;
    current = current.cause;
  }
  return false;
}

/**
 * Creates the event indexer: it follows the Market's, the Blacklist's and
 * the ProfileRegistry's events in batches of getLogs from the store's last
 * indexed block (or `fromBlock`), reads the state of every changed order,
 * deal, change request, worker, level and blacklist entry at the block of
 * the change, and applies each block to the store atomically. Before each
 * sync it checks that the last indexed block is still canonical; if not, it
 * walks back through the recent block hashes to the common ancestor, rolls
 * the store back to it and indexes the new branch.
 *
 * @example
 * ```ts ignore
 * import { createIndexer } from "./create_indexer.ts";
 * const indexer = createIndexer(market, { store, fromBlock: deployBlock });
 * await indexer.syncOnce();
 * const book = indexer.activeOrders();
 * ```
 */
export function createIndexer(client: MarketClient, options: CreateIndexerOptions): Indexer {
  const {
    store,
    fromBlock = 0n,
    batchSize = 500n,
    confirmations = 0n,
    reorgDepth = 64,
    pollIntervalMs = 1000,
    concurrency = 8,
  } = options;
  const pub = client.chain.public;
  const a = client.addresses;
  /** Blocks per getLogs now: batchSize, halved while the node refuses the range. */
  let span = batchSize;
  const sourceOf = new Map<string, EventSource>([
    [a.market.toLowerCase(), "market"],
    [a.blacklist.toLowerCase(), "blacklist"],
    [a.profiles.toLowerCase(), "profiles"],
  ]);

  const rpc = <T>(action: string, fn: () => Promise<T>, signal?: AbortSignal) =>
    withRetry(client.chain, { action, fn, signal });

  async function blockAt(number: bigint, signal?: AbortSignal): Promise<Block | undefined> {
    try {
      return await rpc(`read block ${number}`, () => pub.getBlock({ blockNumber: number }), signal);
    } catch (e) {
      if (e instanceof BlockNotFoundError) return undefined;
      throw e;
    }
  }

  /** Rolls back to the common ancestor when the last indexed block left the chain. */
  async function checkReorg(signal?: AbortSignal): Promise<bigint | undefined> {
    const last = store.lastIndexed();
    if (last === undefined) return undefined;
    if ((await blockAt(last.number, signal))?.hash === last.hash) return undefined;
    const recent = store.recentBlocks({ below: last.number - 1n, limit: reorgDepth });
    for (const b of recent) {
      if ((await blockAt(b.number, signal))?.hash === b.hash) {
        store.rollbackTo(b.number);
        return b.number;
      }
    }
    if (recent.length < reorgDepth) {
      // every block we kept is gone: start over from the beginning
      store.rollbackTo(fromBlock - 1n);
      return fromBlock - 1n;
    }
    throw new ChainError(
      `Cannot follow the chain: reorg deeper than ${reorgDepth} indexed blocks below block ${last.number}`,
      { hints: ["Raise the indexer's reorgDepth, or wipe the chain tables to re-index"] },
    );
  }

  async function pool<T, R>(items: readonly T[], fn: (x: T) => Promise<R>): Promise<R[]> {
    const out: R[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
    return out;
  }

  async function buildUpdate(
    header: Block,
    logs: readonly DecodedLog[],
    signal?: AbortSignal,
  ): Promise<BlockUpdate> {
    const blockNumber = header.number as bigint;
    const at = { blockNumber, signal };
    const orderIds = new Set<bigint>();
    const dealIds = new Set<bigint>();
    const crIds = new Set<bigint>();
    const workers = new Set<Address>();
    const levels = new Set<Address>();
    const listed = new Map<string, [Address, Address]>();
    const events: ChainEvent[] = [];
    const bills: BillRecord[] = [];
    for (const l of logs) {
      const args = l.args as Record<string, unknown>;
      events.push({
        blockNumber,
        logIndex: l.logIndex,
        txHash: l.transactionHash,
        contract: l.source,
        name: l.eventName,
        args,
      });
      if (l.source === "market") {
        switch (l.eventName) {
          case "OrderPlaced":
          case "OrderUpdated":
            orderIds.add(args.orderId as bigint);
            break;
          case "DealOpened":
          case "DealUpdated":
            dealIds.add(args.dealId as bigint);
            break;
          case "Billed":
            dealIds.add(args.dealId as bigint);
            bills.push({
              blockNumber,
              logIndex: l.logIndex,
              txHash: l.transactionHash,
              dealId: args.dealId as bigint,
              paidAmount: args.paidAmount as bigint,
            });
            break;
          case "DealChangeRequestSet":
          case "DealChangeRequestUpdated":
            crIds.add(args.changeRequestId as bigint);
            break;
          case "WorkerAnnounced":
          case "WorkerConfirmed":
          case "WorkerRemoved":
            workers.add(args.worker as Address);
            break;
        }
      } else if (l.source === "profiles" && l.eventName === "LevelSet") {
        levels.add(args.who as Address);
      } else if (
        l.source === "blacklist" && (l.eventName === "Added" || l.eventName === "Removed")
      ) {
        const owner = args.owner as Address;
        const who = args.who as Address;
        listed.set(`${owner}:${who}`.toLowerCase(), [owner, who]);
      }
    }
    const [orders, deals, changeRequests, workerStates, levelStates, listedStates] = await Promise
      .all([
        pool(
          [...orderIds],
          async (id) => toOrderState(id, await readMarket<RawOrder>(client, "getOrder", [id], at)),
        ),
        pool(
          [...dealIds],
          async (id) => toDealState(id, await readMarket<RawDeal>(client, "getDeal", [id], at)),
        ),
        pool([...crIds], async (id) =>
          toChangeRequestState(
            id,
            await readMarket<RawChangeRequest>(client, "getChangeRequest", [id], at),
          )),
        pool([...workers], async (worker): Promise<WorkerState> => {
          const [m, p] = await Promise.all([
            readMarket<Address>(client, "masterOf", [worker], at),
            readMarket<Address>(client, "pendingMasterOf", [worker], at),
          ]);
          return {
            worker,
            master: m.toLowerCase() === worker.toLowerCase() ? zeroAddress : m,
            pendingMaster: p,
          };
        }),
        pool([...levels], async (who): Promise<LevelState> => ({
          who,
          level: await readContract<number>(client, {
            address: a.profiles,
            abi: profileRegistryAbi as unknown as Abi,
            functionName: "levelOf",
            args: [who],
            ...at,
          }) as IdentityLevel,
        })),
        pool([...listed.values()], async ([owner, who]): Promise<ListedState> => ({
          owner,
          who,
          listed: await readContract<boolean>(client, {
            address: a.blacklist,
            abi: blacklistAbi as unknown as Abi,
            functionName: "listed",
            args: [owner, who],
            ...at,
          }),
        })),
      ]);
    return {
      number: blockNumber,
      hash: header.hash as Hex,
      parentHash: header.parentHash,
      timestamp: header.timestamp,
      events,
      orders: orders.filter((x): x is OrderState => x !== undefined),
      deals: deals.filter((x): x is DealState => x !== undefined),
      changeRequests: changeRequests.filter((x): x is ChangeRequestState => x !== undefined),
      bills,
      workers: workerStates,
      levels: levelStates,
      listed: listedStates,
    };
  }

  type DecodedLog = {
    source: EventSource;
    eventName: string;
    args: unknown;
    logIndex: number;
    transactionHash: Hex;
    blockNumber: bigint;
    blockHash: Hex;
  };

  async function indexBatch(
    from: bigint,
    to: bigint,
    signal: AbortSignal | undefined,
    changes: SyncChanges,
  ): Promise<{ blocks: number; events: number }> {
    const end = await blockAt(to, signal);
    if (end === undefined) throw new ReorgDuringBatch();
    const raw = await rpc(
      `read logs of blocks ${from}-${to}`,
      () =>
        pub.getLogs({
          address: [a.market, a.blacklist, a.profiles],
          fromBlock: from,
          toBlock: to,
        }).catch((e) => {
          if (from < to && isRangeLimit(e)) throw new BatchTooLarge();
          throw e;
        }),
      signal,
    );
    const decoded: DecodedLog[] = parseEventLogs({ abi: eventsAbi, logs: raw as Log[] })
      .filter((l) => !l.removed && sourceOf.has(l.address.toLowerCase()))
      .map((l) => ({
        source: sourceOf.get(l.address.toLowerCase()) as EventSource,
        eventName: l.eventName,
        args: l.args,
        logIndex: l.logIndex as number,
        transactionHash: l.transactionHash as Hex,
        blockNumber: l.blockNumber as bigint,
        blockHash: l.blockHash as Hex,
      }))
      .sort((x, y) =>
        x.blockNumber === y.blockNumber
          ? x.logIndex - y.logIndex
          : (x.blockNumber < y.blockNumber ? -1 : 1)
      );
    const byBlock = new Map<bigint, DecodedLog[]>();
    for (const l of decoded) {
      const list = byBlock.get(l.blockNumber) ?? [];
      list.push(l);
      byBlock.set(l.blockNumber, list);
    }
    // blocks are read in parallel and applied in order
    const updates: BlockUpdate[] = await pool([...byBlock], async ([number, logs]) => {
      const header = number === to ? end : await blockAt(number, signal);
      if (header === undefined || logs.some((l) => l.blockHash !== header.hash)) {
        throw new ReorgDuringBatch();
      }
      return await buildUpdate(header, logs, signal);
    });
    if (!byBlock.has(to)) updates.push(await buildUpdate(end, [], signal));
    // the batch's last block is unchanged, so is every block below it that we read
    if ((await blockAt(to, signal))?.hash !== end.hash) throw new ReorgDuringBatch();
    let events = 0;
    for (const u of updates) {
      store.applyBlock(u);
      events += u.events.length;
      changes.orders.push(...u.orders);
      changes.deals.push(...u.deals);
      changes.workers.push(...u.workers);
      changes.levels.push(...u.levels);
      changes.listed.push(...u.listed);
      changes.head = { number: u.number, timestamp: u.timestamp };
    }
    return { blocks: updates.length, events };
  }

  async function syncOnce(
    opts: { toBlock?: bigint | undefined; signal?: AbortSignal | undefined } = {},
  ): Promise<SyncResult> {
    const { signal } = opts;
    let rolledBackTo: bigint | undefined;
    let blocksApplied = 0;
    let events = 0;
    const changes: SyncChanges = {
      orders: [],
      deals: [],
      workers: [],
      levels: [],
      listed: [],
      head: undefined,
      reorg: false,
    };
    for (let round = 0; round < 5; round++) {
      const r = await checkReorg(signal);
      if (r !== undefined) {
        rolledBackTo = r;
        changes.reorg = true;
      }
      const head = await rpc("read the block number", () =>
        pub.getBlockNumber({ cacheTime: 0 }), signal) -
        confirmations;
      const target = opts.toBlock !== undefined && opts.toBlock < head ? opts.toBlock : head;
      let start = (store.lastIndexed()?.number ?? fromBlock - 1n) + 1n;
      try {
        while (start <= target) {
          signal?.throwIfAborted();
          const end = start + span - 1n < target ? start + span - 1n : target;
          let done;
          try {
            done = await indexBatch(start, end, signal, changes);
          } catch (e) {
            if (!(e instanceof BatchTooLarge)) throw e;
            span = (end - start + 1n) / 2n > 0n ? (end - start + 1n) / 2n : 1n;
            continue;
          }
          blocksApplied += done.blocks;
          events += done.events;
          start = end + 1n;
        }
        break;
      } catch (e) {
        if (!(e instanceof ReorgDuringBatch)) throw e;
      }
    }
    const indexedTo = store.lastIndexed()?.number;
    if (blocksApplied > 0 && indexedTo !== undefined) store.prune(indexedTo - BigInt(reorgDepth));
    return { indexedTo, blocksApplied, events, rolledBackTo, changes };
  }

  return {
    syncOnce,
    async run({ signal, onSync, onError }) {
      while (!signal.aborted) {
        try {
          const r = await syncOnce({ signal });
          onSync?.(r);
        } catch (e) {
          if (signal.aborted) break;
          onError?.(e);
        }
        await sleep(pollIntervalMs, signal).catch(() => {});
      }
    },
    activeOrders: () => store.activeOrders(),
    marketViews: () => store.marketViews(),
  };
}
