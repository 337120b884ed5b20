import type { Address } from "viem";
import {
  cancelOrder,
  formatTokenAmount,
  formatUsdPerHour,
  getOrder,
  getOrdersOf,
  type OrderState,
} from "../../chain/mod.ts";
import { AgentError } from "../../errors.ts";
import { openClientChain, type OpenClientChainOptions } from "./_client_chain.ts";

/** One of the consumer's orders as it stands now. */
export type ClientOrderEntry = {
  orderId: string;
  type: "BID" | "ASK";
  /** `active` (standing), `deal` (taken: see `dealId`) or `cancelled`. */
  status: "active" | "deal" | "cancelled";
  usdPerHour: string;
  /** Seconds; 0 = spot. */
  duration: string;
  /** Tokens the order still locks (a standing BID's first period). */
  blocked: string;
  /** The deal that took it; "" when none. */
  dealId: string;
};

/** Options of {@linkcode runClientOrders}. */
export type RunClientOrdersOptions = OpenClientChainOptions & { configPath: string };

/** What {@linkcode runClientOrders} returns. */
export type RunClientOrdersReturnType = { consumer: Address; orders: ClientOrderEntry[] };

/**
 * `sonm-agent client orders`: every order the consumer of `client.yaml` placed
 * on its market (since `chain.from_block`), read from the chain, oldest first.
 *
 * @example
 * ```ts ignore
 * const { orders } = await runClientOrders({ configPath: "client.yaml" });
 * ```
 */
export async function runClientOrders(
  options: RunClientOrdersOptions,
): Promise<RunClientOrdersReturnType> {
  const session = await openClientChain(options.configPath, options);
  try {
    const orders = await getOrdersOf(session.market, {
      author: session.address,
      fromBlock: session.config.chain.fromBlock,
      signal: options.signal,
    });
    return { consumer: session.address, orders: orders.map(orderEntry) };
  } finally {
    await session.close();
  }
}

function orderEntry(o: OrderState): ClientOrderEntry {
  return {
    orderId: o.id.toString(),
    type: o.type,
    status: o.active ? "active" : o.dealId !== 0n ? "deal" : "cancelled",
    usdPerHour: formatUsdPerHour(o.price),
    duration: o.duration.toString(),
    blocked: formatTokenAmount(o.frozenSum),
    dealId: o.dealId === 0n ? "" : o.dealId.toString(),
  };
}

/** Options of {@linkcode runClientCancel}. */
export type RunClientCancelOptions = OpenClientChainOptions & {
  configPath: string;
  orderId: bigint;
};

/** What {@linkcode runClientCancel} did. */
export type RunClientCancelReturnType = {
  orderId: string;
  /** Tokens the cancelled BID had locked, now back with the consumer. */
  refunded: string;
  txHash: `0x${string}`;
};

/**
 * `sonm-agent client cancel --order ID`: cancels one of the consumer's
 * standing orders; a BID's locked tokens come back. An order that is not the
 * consumer's, or no longer stands, is refused before anything is sent.
 *
 * @throws {AgentError} (exit 2) naming the order and why it cannot be cancelled
 * @example
 * ```ts ignore
 * await runClientCancel({ configPath: "client.yaml", orderId: 7n });
 * ```
 */
export async function runClientCancel(
  options: RunClientCancelOptions,
): Promise<RunClientCancelReturnType> {
  const { orderId, signal } = options;
  const session = await openClientChain(options.configPath, options);
  try {
    const order = await getOrder(session.market, { orderId, signal });
    const refuse = (why: string) =>
      new AgentError(`Cannot cancel order ${orderId}: ${why}`, {
        badInput: true,
        hints: ["List your orders with: sonm-agent client orders"],
      });
    if (order === undefined) throw refuse("there is no such order");
    if (order.author.toLowerCase() !== session.address.toLowerCase()) {
      throw refuse(`it was placed by ${order.author}, not by ${session.address}`);
    }
    if (!order.active) {
      throw refuse(
        order.dealId !== 0n
          ? `deal ${order.dealId} took it (close the deal instead: sonm-agent client close --deal ${order.dealId})`
          : "it was cancelled before",
      );
    }
    const { receipt } = await cancelOrder(await session.writer(), { orderId, signal });
    return {
      orderId: orderId.toString(),
      refunded: formatTokenAmount(order.frozenSum),
      txHash: receipt.transactionHash,
    };
  } finally {
    await session.close();
  }
}
