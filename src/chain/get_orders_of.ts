import { type AbiEvent, type Address, getAbiItem } from "viem";
import { marketAbi } from "./contracts.ts";
import type { MarketClient } from "./create_market_client.ts";
import type { ChainRevertErrorType, ChainRpcErrorType } from "./errors.ts";
import type { OrderState } from "./types.ts";
import { readMarket, toOrderState } from "./_market.ts";
import { scanLogs } from "./_scan_logs.ts";

/** Parameters of {@linkcode getOrdersOf}. */
export type GetOrdersOfParameters = {
  /** Whose orders. */
  author: Address;
  /** First block to look at: the market's deployment block. @default {0n} */
  fromBlock?: bigint | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode getOrdersOf} returns: each order as it stands now, by id. */
export type GetOrdersOfReturnType = OrderState[];

/** Errors of {@linkcode getOrdersOf}. */
export type GetOrdersOfErrorType = ChainRevertErrorType | ChainRpcErrorType;

const orderPlaced = getAbiItem({ abi: marketAbi, name: "OrderPlaced" }) as AbiEvent;

/**
 * Every order `author` placed since `fromBlock` (the `OrderPlaced` logs,
 * filtered on their indexed author), each read again for its state now:
 * standing, taken by a deal (`dealId`), or cancelled. For a consumer's own
 * orders; the agent follows the whole book through its indexer.
 *
 * @example
 * ```ts ignore
 * const mine = await getOrdersOf(market, { author: account.address });
 * ```
 */
export async function getOrdersOf(
  client: MarketClient,
  params: GetOrdersOfParameters,
): Promise<GetOrdersOfReturnType> {
  const { author, fromBlock = 0n, signal } = params;
  const logs = await scanLogs(client.chain, {
    address: client.addresses.market,
    event: orderPlaced,
    args: { author },
    fromBlock,
    action: "read the orders placed",
    signal,
  });
  const ids = [...new Set(logs.map((l) => (l.args as { orderId: bigint }).orderId))]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const orders = await Promise.all(
    ids.map(async (id) =>
      toOrderState(
        id,
        await readMarket(client, "getOrder", [id], { refs: { orderId: id }, signal }),
      )
    ),
  );
  return orders.filter((o): o is OrderState => o !== undefined);
}
