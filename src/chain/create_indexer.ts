import {
  BaseError,
  type Block,
  BlockNotFoundError,
  type Hex,
  numberToHex,
  ResponseBodyTooLargeError,
  type RpcLog,
} from "viem";
import type { MarketClient } from "./create_market_client.ts";
import { ChainChangedError, type ChainErrorType } from "./errors.ts";
import { readMarket, toOrderState } from "./_market.ts";
import { isTransient, sleep, withRetry } from "./_retry.ts";
import { classifyRpcError } from "./rpc_dialects.ts";
import { ChangeCollector } from "./_changes.ts";
import { type BlockPlan, decodeLogs, planBlocks } from "./_block_plans.ts";
import type { BlockUpdate, ChainStore, EventSource, MarketChanges } from "./types.ts";
import type { MarketOrder, MarketViews } from "../matcher/mod.ts";

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
  /**
   * Most entries a sync lists in {@linkcode SyncResult.changes} (default
   * 10,000); beyond it the changes say `rebuild` instead.
   */
  maxChanges?: number | undefined;
  /**
   * Logs per getLogs call to aim at (default 4,000, some 8 MB of JSON with
   * whole orders; viem refuses answers over 10 MB, and the span halves then).
   */
  maxLogs?: number | undefined;
  /** getLogs calls in flight while a batch is applied (default 3). */
  prefetch?: number | undefined;
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
  /** What changed, for a long-lived market view (its `reorg` equals `rolledBackTo`). */
  changes: MarketChanges;
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
export type IndexerErrorType = ChainErrorType;

/** A batch that saw the chain change under it; the next sync re-checks. */
class ReorgDuringBatch extends Error {}

/** The node refused the getLogs range as too large: halve it. */
class BatchTooLarge extends Error {}

/**
 * Whether a getLogs failure asks for a smaller span: a range or size limit in
 * any node's words (the dialect table), an answer too large for viem, or an
 * answer nobody classified (yet another wording; at a span of one block it
 * is thrown as it is).
 */
function isRangeLimit(error: unknown): boolean {
  if (error instanceof ResponseBodyTooLargeError) return true;
  if (error instanceof BaseError && error.walk((e) => e instanceof ResponseBodyTooLargeError)) {
    return true;
  }
  const kind = classifyRpcError(error);
  return kind === "range-too-large" || (kind === undefined && !isTransient(error));
}

/**
 * Creates the event indexer: it follows the Market's, the Blacklist's and
 * the ProfileRegistry's events in batches of getLogs from the store's last
 * indexed block (or `fromBlock`), takes the state of every changed order,
 * deal, change request, worker, level and blacklist entry from the events
 * (no read at an old block: any full node will do, no archive), and applies
 * each block to the store atomically. Before each
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
    maxChanges = 10_000,
    maxLogs = 4_000,
    prefetch = 3,
  } = options;
  const pub = client.chain.public;
  const a = client.addresses;
  /**
   * Blocks per getLogs now: grows from a few blocks to batchSize while
   * batches stay under maxLogs logs, shrinks when one exceeds it (a seeded
   * market has thousands of orders per block), halves while the node
   * refuses the range.
   */
  let span = 1n;
  /**
   * The most blocks the node is asked for: half of a span it refused, doubled
   * again (up to batchSize) after `GROW_AFTER` batches in a row it served, so
   * a node's limit is found by halving and probed now and then, not hit on
   * every batch.
   */
  let ceiling = batchSize;
  let served = 0;
  const GROW_AFTER = 16;
  const nextSpan = (current: bigint, used: bigint, logs: number): bigint => {
    if (++served >= GROW_AFTER && ceiling < batchSize) {
      served = 0;
      ceiling = ceiling * 2n < batchSize ? ceiling * 2n : batchSize;
    }
    if (logs > maxLogs) {
      const fit = (used * BigInt(maxLogs)) / BigInt(logs);
      return fit > 0n ? fit : 1n;
    }
    if (logs * 2 <= maxLogs && used === current) {
      return current * 2n < ceiling ? current * 2n : ceiling;
    }
    return current;
  };
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

  /** Set while the node's chain is not the indexed one: the next checks cost one call. */
  let changed: ChainChangedError | undefined;
  /** The hash of block 0 when this indexer first synced: a reset node has another. */
  let genesis: Hex | undefined;

  /** Rolls back to the common ancestor when the last indexed block left the chain. */
  async function checkReorg(
    changes: ChangeCollector,
    signal?: AbortSignal,
  ): Promise<bigint | undefined> {
    const last = store.lastIndexed();
    if (last === undefined) return undefined;
    if ((await blockAt(last.number, signal))?.hash === last.hash) {
      changed = undefined; // the indexed chain is back (a node restarted with its old state)
      return undefined;
    }
    if (changed !== undefined && changed.block === last.number) throw changed;
    const recent = store.recentBlocks({ below: last.number - 1n, limit: reorgDepth });
    for (const b of recent) {
      if ((await blockAt(b.number, signal))?.hash === b.hash) {
        changes.rollback(store, b.number);
        return b.number;
      }
    }
    const sameGenesis = genesis === undefined || (await blockAt(0n, signal))?.hash === genesis;
    if (recent.length < reorgDepth && sameGenesis) {
      // every block we kept is gone in a reorg on the same chain: start over from the beginning
      changes.rollback(store, fromBlock - 1n);
      return fromBlock - 1n;
    }
    changed = new ChainChangedError({ block: last.number, hash: last.hash, depth: recent.length });
    throw changed;
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

  /**
   * Completes a block plan with its header. Nothing is read at the block
   * (the events carry every state), so a node without old state serves it;
   * an order known only by its `OrderUpdated` is read at `latest` for its
   * fixed fields, with the event's fields laid over them.
   */
  async function buildUpdate(
    header: Block,
    plan: BlockPlan | undefined,
    signal?: AbortSignal,
  ): Promise<BlockUpdate> {
    const blockNumber = header.number as bigint;
    const read = await pool(
      [...plan?.orderReads ?? []],
      async ([id, update]) => {
        const now = toOrderState(
          id,
          await readMarket(client, "getOrder", [id], { signal }),
        );
        if (now === undefined) return undefined;
        return {
          ...now,
          active: update.status === 2,
          frozenSum: update.frozenSum,
          dealId: update.dealId,
        };
      },
    );
    const orders = [...plan?.orders.values() ?? []];
    for (const o of read) if (o !== undefined) orders.push(o);
    return {
      number: blockNumber,
      hash: header.hash as Hex,
      parentHash: header.parentHash,
      timestamp: header.timestamp,
      events: plan?.events ?? [],
      orders,
      deals: [...plan?.deals.values() ?? []],
      changeRequests: [...plan?.changeRequests.values() ?? []],
      bills: plan?.bills ?? [],
      workers: [...plan?.workers.values() ?? []],
      levels: [...plan?.levels.values() ?? []],
      listed: [...plan?.listed.values() ?? []],
    };
  }

  async function fetchLogs(from: bigint, to: bigint, signal?: AbortSignal): Promise<RpcLog[]> {
    return await rpc(
      `read logs of blocks ${from}-${to}`,
      () =>
        pub.request({
          method: "eth_getLogs",
          params: [{
            address: [a.market, a.blacklist, a.profiles],
            fromBlock: numberToHex(from),
            toBlock: numberToHex(to),
          }],
        }).catch((e) => {
          if (from < to && (isRangeLimit(e) || e instanceof ResponseBodyTooLargeError)) {
            throw new BatchTooLarge();
          }
          throw e;
        }),
      signal,
    );
  }

  type Fetched = { from: bigint; to: bigint; end: Block; raw: RpcLog[] };

  /** The logs of blocks from-to, with the header of `to` read before them. */
  async function fetchBatch(from: bigint, to: bigint, signal?: AbortSignal): Promise<Fetched> {
    const end = await blockAt(to, signal);
    if (end === undefined) throw new ReorgDuringBatch();
    return { from, to, end, raw: await fetchLogs(from, to, signal) };
  }

  /** Builds the blocks of a fetched batch and applies them to the store in one transaction. */
  async function applyBatch(
    { to, end, raw }: Fetched,
    changes: ChangeCollector,
    signal?: AbortSignal,
  ): Promise<{ blocks: number; events: number }> {
    const plans = planBlocks(decodeLogs(raw, sourceOf), (id) => store.getOrder(id));
    // blocks are read in parallel and applied in order
    const updates: BlockUpdate[] = await pool(plans, async (plan) => {
      const header = plan.number === to ? end : await blockAt(plan.number, signal);
      if (header === undefined || header.hash !== plan.blockHash) throw new ReorgDuringBatch();
      return await buildUpdate(header, plan, signal);
    });
    if (plans.at(-1)?.number !== to) updates.push(await buildUpdate(end, undefined, signal));
    // the batch's last block is unchanged, so is every block below it that we read
    if ((await blockAt(to, signal))?.hash !== end.hash) throw new ReorgDuringBatch();
    store.applyBlocks(updates);
    let events = 0;
    for (const u of updates) {
      changes.addBlock(u);
      events += u.events.length;
    }
    return { blocks: updates.length, events };
  }

  /**
   * Indexes blocks start-target: up to `prefetch` getLogs calls in flight
   * (the node serves the next ranges while this one is decoded and stored),
   * applied in order.
   */
  async function indexRange(
    first: bigint,
    target: bigint,
    changes: ChangeCollector,
    signal?: AbortSignal,
  ): Promise<{ blocks: number; events: number }> {
    let blocks = 0;
    let events = 0;
    let start = first;
    const queue: { from: bigint; to: bigint; fetched: Promise<Fetched> }[] = [];
    let next = start;
    const fill = () => {
      while (queue.length < prefetch && next <= target) {
        const end = next + span - 1n < target ? next + span - 1n : target;
        const fetched = fetchBatch(next, end, signal);
        fetched.catch(() => {}); // awaited in order below; a dropped one must not go unhandled
        queue.push({ from: next, to: end, fetched });
        next = end + 1n;
      }
    };
    while (start <= target) {
      signal?.throwIfAborted();
      fill();
      const head = queue.shift() as (typeof queue)[number];
      let fetched: Fetched;
      try {
        fetched = await head.fetched;
      } catch (e) {
        if (!(e instanceof BatchTooLarge)) throw e;
        // drop what was fetched ahead and go on from `start` with half the range
        const half = (head.to - head.from + 1n) / 2n;
        span = half > 0n ? half : 1n;
        ceiling = span;
        served = 0;
        queue.length = 0;
        next = start;
        continue;
      }
      const done = await applyBatch(fetched, changes, signal);
      blocks += done.blocks;
      events += done.events;
      span = nextSpan(span, fetched.to - fetched.from + 1n, fetched.raw.length);
      start = fetched.to + 1n;
    }
    return { blocks, events };
  }

  async function syncOnce(
    opts: { toBlock?: bigint | undefined; signal?: AbortSignal | undefined } = {},
  ): Promise<SyncResult> {
    const { signal } = opts;
    let rolledBackTo: bigint | undefined;
    let blocksApplied = 0;
    let events = 0;
    const changes = new ChangeCollector(maxChanges);
    genesis ??= (await blockAt(0n, signal))?.hash ?? undefined;
    for (let round = 0; round < 5; round++) {
      const r = await checkReorg(changes, signal);
      if (r !== undefined) rolledBackTo = r;
      const head = await rpc("read the block number", () =>
        pub.getBlockNumber({ cacheTime: 0 }), signal) -
        confirmations;
      const target = opts.toBlock !== undefined && opts.toBlock < head ? opts.toBlock : head;
      const start = (store.lastIndexed()?.number ?? fromBlock - 1n) + 1n;
      try {
        const done = await indexRange(start, target, changes, signal);
        blocksApplied += done.blocks;
        events += done.events;
        break;
      } catch (e) {
        if (!(e instanceof ReorgDuringBatch)) throw e;
      }
    }
    const indexedTo = store.lastIndexed()?.number;
    if (blocksApplied > 0 && indexedTo !== undefined) store.prune(indexedTo - BigInt(reorgDepth));
    return { indexedTo, blocksApplied, events, rolledBackTo, changes: changes.result() };
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
