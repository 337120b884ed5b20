import type { ChainClient } from "./connect_chain.ts";
import type { TxSender } from "./create_tx_sender.ts";
import type { MarketAddresses } from "./deploy_contracts.ts";

/** What the market actions need: a connected chain, the contract addresses, and (to write) a sender. */
export type MarketClient = {
  chain: ChainClient;
  addresses: MarketAddresses;
  /** Required by the write actions; read actions work without it. */
  sender?: TxSender | undefined;
};

/** A market client that can write. */
export type WriteMarketClient = MarketClient & { sender: TxSender };

/** Options of {@linkcode createMarketClient}. */
export type CreateMarketClientOptions = {
  addresses: MarketAddresses;
  sender?: TxSender | undefined;
};

/**
 * Bundles a connected chain, the market's contract addresses and an
 * optional transaction sender for the market actions. With a sender it is a
 * {@linkcode WriteMarketClient}, the one client type the write actions take.
 *
 * @example
 * ```ts ignore
 * import { connectChain } from "./connect_chain.ts";
 * import { createMarketClient } from "./create_market_client.ts";
 * import { getOrder } from "./get_order.ts";
 * const chain = await connectChain({ url: "http://127.0.0.1:8545" });
 * const market = createMarketClient(chain, { addresses });
 * console.log(await getOrder(market, { orderId: 1n }));
 * ```
 */
export function createMarketClient(
  chain: ChainClient,
  options: CreateMarketClientOptions & { sender: TxSender },
): WriteMarketClient;
export function createMarketClient(
  chain: ChainClient,
  options: CreateMarketClientOptions,
): MarketClient;
export function createMarketClient(
  chain: ChainClient,
  options: CreateMarketClientOptions,
): MarketClient {
  return { chain, addresses: options.addresses, sender: options.sender };
}
