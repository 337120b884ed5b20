import type { DatabaseSync } from "node:sqlite";
import type { LocalAccount } from "viem";
import {
  type ChainClient,
  checkChainNeeds,
  createIndexer,
  createMarketClient,
  createTxSender,
  getChainIdentity,
  getMarketParameters,
  type GetMarketParametersReturnType,
  type Indexer,
  type MarketAddresses,
  type WriteMarketClient,
} from "../../chain/mod.ts";
import {
  createChainStore,
  type PlanOrdersTable,
  planOrdersTable,
  readChainIdentity,
  type SqliteChainStore,
} from "../state/mod.ts";
import {
  type ChainIdentityDecision,
  decideChainIdentity,
  ensureChainIdentity,
} from "../setup/mod.ts";
import { type Logger, txKillPoints } from "../base/mod.ts";
import { createMarketView, type MarketView } from "./market_view.ts";

/** The market's components, each built once: what the reconciler's steps take from. */
export type MarketComponents = {
  store: SqliteChainStore;
  /** Chain client, addresses, and the agent's nonce-persisting tx sender. */
  market: WriteMarketClient;
  indexer: Indexer;
  view: MarketView;
  planOrders: PlanOrdersTable;
  /** The Market contract's parameters, read once. */
  parameters: GetMarketParametersReturnType;
  /** What the state's chain identity check decided (`reset`: a new devnet chain, its tables afresh). */
  identity: ChainIdentityDecision;
};

/** Options of {@linkcode createMarketComponents}. */
export type CreateMarketComponentsOptions = {
  addresses: MarketAddresses;
  /** First block to index when the state has none (the market's deployment block). @default {0n} */
  fromBlock?: bigint | undefined;
  /** Pause between indexer polls, ms. @default {1000} */
  pollIntervalMs?: number | undefined;
  /** Receipt timeout of the agent's transactions, ms. @default {120000} */
  receiptTimeoutMs?: number | undefined;
  /** The chain is the embedded devnet: a new chain starts the chain tables afresh. @default {false} */
  devnet?: boolean | undefined;
  /**
   * Check what the agent needs of the node ({@linkcode checkChainNeeds}) after
   * the chain identity: for a node the agent did not start. @default {false}
   */
  checkNeeds?: boolean | undefined;
  /** The state's folder, named in a chain identity error. */
  dataDir?: string | undefined;
  signal?: AbortSignal | undefined;
};

/**
 * Builds the market's components over the agent's state and chain: checks
 * that the state belongs to this chain and market (ensureChainIdentity:
 * records, starts a new devnet afresh, or refuses another chain), the
 * chain store, the tx sender (nonces kept in the store), the market client,
 * the indexer, which catches up with the chain here, and the long-lived
 * market view, loaded once from the caught-up store. `runAgent` calls this once; tests call it to drive a reconciler.
 *
 * @throws {ChainIdentityError} when the RPC serves another chain or market than the state's
 * @throws {ChainNeedsError} with `checkNeeds`, when the node or the configured contracts lack a need
 * @example
 * ```ts ignore
 * const c = await createMarketComponents({ chain, account, db, logger }, { addresses });
 * const reconciler = createMarketReconciler({ ...c, logger }, { planned });
 * ```
 */
export async function createMarketComponents(
  deps: { chain: ChainClient; account: LocalAccount; db: DatabaseSync; logger: Logger },
  options: CreateMarketComponentsOptions,
): Promise<MarketComponents> {
  const { chain, account, db, logger } = deps;
  const { addresses, fromBlock = 0n, pollIntervalMs, receiptTimeoutMs, signal } = options;
  const store = createChainStore(db);
  const { chainId, genesisHash } = await getChainIdentity(chain, { signal });
  const actual = { chainId, genesisHash, market: addresses.market };
  const devnet = options.devnet ?? false;
  if (
    options.checkNeeds === true &&
    decideChainIdentity({ recorded: readChainIdentity(db), actual, devnet }) !== "refuse"
  ) {
    // methods, code, the market and its links, before the identity is recorded (a wrong market
    // must not become the state's): a need unmet is one line naming it and exit 2
    await checkChainNeeds(chain, { addresses, signal });
  }
  const identity = ensureChainIdentity({ db, store, logger }, {
    actual,
    devnet: options.devnet ?? false,
    dataDir: options.dataDir,
  });
  const points = txKillPoints(store); // crash tests: die between a send and its receipt
  const sender = points.wrap(
    createTxSender(chain, { account, nonceStore: points.nonceStore, receiptTimeoutMs }),
  );
  const market = createMarketClient(chain, { addresses, sender }) as WriteMarketClient;
  const indexer = createIndexer(market, { store, fromBlock, pollIntervalMs });
  const parameters = await getMarketParameters(market, { signal });
  const started = performance.now();
  const synced = await indexer.syncOnce({ signal });
  const planOrders = planOrdersTable(db);
  const view = createMarketView({ store, planOrders }, { me: account.address });
  logger.info("indexer synced", {
    block: synced.indexedTo,
    events: synced.events,
    orders: view.book.stats().bids + view.book.stats().asks,
    ms: Math.round(performance.now() - started),
  });
  return { store, market, indexer, view, planOrders, parameters, identity };
}
