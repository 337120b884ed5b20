import {
  type Chain,
  createPublicClient,
  defineChain,
  http,
  type PublicClient,
  type Transport,
  webSocket,
} from "viem";
import {
  ChainIdMismatchError,
  type ChainIdMismatchErrorType,
  ChainInputError,
  type ChainInputErrorType,
} from "./errors.ts";
import { withRetry } from "./_retry.ts";

/** anvil's default chain id. */
export const DEVNET_CHAIN_ID = 31337;

/** How the chain layer retries transient RPC failures (network errors, timeouts, 5xx, rate limits). */
export type RetryPolicy = {
  /** Total attempts per RPC step (default 4). */
  attempts: number;
  /** First backoff in ms, doubled after each failure (default 200). */
  backoffMs: number;
};

/** A connected chain: a viem public client whose chain id was checked. */
export type ChainClient = {
  public: PublicClient<Transport, Chain>;
  chain: Chain;
  /** The RPC url (for error messages). */
  url: string;
  retry: RetryPolicy;
  /** Closes a websocket connection (a no-op over http). */
  close(): Promise<void>;
};

/** Options of {@linkcode connectChain}. */
export type ConnectChainOptions = {
  /** `http(s)://` or `ws(s)://` RPC url. */
  url: string;
  /** The chain id the config expects (default {@linkcode DEVNET_CHAIN_ID}). */
  chainId?: number | undefined;
  /** Per-request timeout in ms (default 10000). */
  timeoutMs?: number | undefined;
  /** Polling interval of receipt waits and log polling, ms (default 1000; 100 on the devnet). */
  pollingIntervalMs?: number | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  /**
   * Largest HTTP answer accepted, bytes (default viem's 10 MiB). The indexer
   * splits its log ranges to fit, down to one block: raise it only for a node
   * whose single blocks carry more logs than that (a bulk-seeded test market).
   */
  maxResponseBytes?: number | undefined;
  /** Aborts the chain id check of the connect. */
  signal?: AbortSignal | undefined;
  /**
   * The client's lifetime: when it aborts, every request in flight ends at
   * once (a hanging RPC never holds up the agent's stop) and later ones fail.
   * @default {none}
   */
  lifetime?: AbortSignal | undefined;
};

/** Errors of {@linkcode connectChain}. */
export type ConnectChainErrorType = ChainIdMismatchErrorType | ChainInputErrorType;

/**
 * Creates a viem public client for the configured RPC (http or websocket by
 * the url's scheme) and checks that the node serves the expected chain.
 *
 * @throws {ChainIdMismatchError} when the node reports another chain id
 * @throws {ChainRpcError} when the node does not answer after the retries
 *
 * @example
 * ```ts ignore
 * import { connectChain } from "./connect_chain.ts";
 * const client = await connectChain({ url: "http://127.0.0.1:8545", chainId: 31337 });
 * console.log(await client.public.getBlockNumber());
 * ```
 */
export async function connectChain(options: ConnectChainOptions): Promise<ChainClient> {
  const { url, chainId = DEVNET_CHAIN_ID, timeoutMs = 10_000 } = options;
  const retry: RetryPolicy = { attempts: 4, backoffMs: 200, ...options.retry };
  let transport: Transport;
  if (/^https?:\/\//.test(url)) {
    transport = http(url, {
      retryCount: 0,
      timeout: timeoutMs,
      ...(options.lifetime === undefined ? {} : { fetchOptions: { signal: options.lifetime } }),
      ...(options.maxResponseBytes === undefined
        ? {}
        : { maxResponseBodySize: options.maxResponseBytes }),
    });
  } else if (/^wss?:\/\//.test(url)) {
    transport = webSocket(url, { retryCount: 0, timeout: timeoutMs });
  } else {
    throw new ChainInputError({
      action: "connect to the chain",
      field: "url",
      value: url,
      detail: "must start with http://, https://, ws:// or wss://",
    });
  }
  const chain = defineChain({
    id: chainId,
    name: chainId === DEVNET_CHAIN_ID ? "devnet" : `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
  const client = createPublicClient({
    chain,
    transport,
    pollingInterval: options.pollingIntervalMs ?? (chainId === DEVNET_CHAIN_ID ? 100 : 1000),
  });
  const cc: ChainClient = {
    public: client as PublicClient<Transport, Chain>,
    chain,
    url,
    retry,
    close: async () => {
      const t = client.transport as { getRpcClient?: () => Promise<{ close(): void }> };
      if (t.getRpcClient !== undefined) (await t.getRpcClient()).close();
    },
  };
  const actual = await withRetry(cc, {
    action: "read the chain id",
    signal: options.signal,
    fn: () => client.getChainId(),
  });
  if (actual !== chainId) {
    await cc.close();
    throw new ChainIdMismatchError({ expected: chainId, actual, url });
  }
  return cc;
}
