import type { MarketClient } from "./create_market_client.ts";
import type { ChainRevertErrorType, ChainRpcErrorType } from "./errors.ts";
import type { OrderState } from "./types.ts";
import { readMarket, toOrderState } from "./_market.ts";

/** Parameters of {@linkcode getActiveOrders}. */
export type GetActiveOrdersParameters = {
  /** Orders per call (default 200). */
  pageSize?: number | undefined;
  /** Read the state at this block (default: the latest block when the call starts). */
  blockNumber?: bigint | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode getActiveOrders} returns: the standing orders, by id. */
export type GetActiveOrdersReturnType = OrderState[];

/** Errors of {@linkcode getActiveOrders}. */
export type GetActiveOrdersErrorType = ChainRevertErrorType | ChainRpcErrorType;

/**
 * Reads the whole active order book from the contract, page by page, all
 * pages at one block (so the swap-and-pop order of the contract's list
 * cannot skip or repeat an order). For a bootstrap or a check of the
 * indexer; the agent follows the book through the indexer.
 *
 * @example
 * ```ts ignore
 * const book = await getActiveOrders(market, {});
 * ```
 */
export async function getActiveOrders(
  client: MarketClient,
  params: GetActiveOrdersParameters = {},
): Promise<GetActiveOrdersReturnType> {
  const { pageSize = 200, signal } = params;
  const blockNumber = params.blockNumber ??
    await client.chain.public.getBlockNumber({ cacheTime: 0 });
  const at = { blockNumber, signal };
  const total = await readMarket(client, "activeOrdersAmount", [], at);
  const out: OrderState[] = [];
  for (let offset = 0n; offset < total; offset += BigInt(pageSize)) {
    const [ids, orders] = await readMarket(
      client,
      "getActiveOrders",
      [offset, BigInt(pageSize)],
      at,
    );
    ids.forEach((id, i) => {
      const o = orders[i] === undefined ? undefined : toOrderState(id, orders[i]);
      if (o !== undefined) out.push(o);
    });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
