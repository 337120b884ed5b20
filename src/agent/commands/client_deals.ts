import type { Address } from "viem";
import {
  closeDeal,
  type DealState,
  formatTokenAmount,
  formatUsdPerHour,
  getBills,
  getDeal,
  getOrdersOf,
  tokenBalance,
} from "../../chain/mod.ts";
import { AgentError } from "../../errors.ts";
import { openClientChain, type OpenClientChainOptions } from "./_client_chain.ts";

/** One of the consumer's deals, with what it paid so far. */
export type ClientDealEntry = {
  dealId: string;
  /** `open` (ACCEPTED on chain) or `closed`. */
  status: "open" | "closed";
  supplier: Address;
  askId: string;
  bidId: string;
  usdPerHour: string;
  /** Seconds; 0 = spot. */
  duration: string;
  /** ISO times; `endedAt` is "" while a deal runs open-ended. */
  startedAt: string;
  endedAt: string;
  /** Tokens paid to the supplier so far: the sum of the bills. */
  paid: string;
  /** How many bills (payments) so far. */
  bills: number;
  /** ISO time the deal was last billed up to. */
  billedUntil: string;
  /** Tokens locked for the next period (refunded when the deal closes). */
  blocked: string;
};

/** Options of {@linkcode runClientDeals}. */
export type RunClientDealsOptions = OpenClientChainOptions & { configPath: string };

/** What {@linkcode runClientDeals} returns: the deals, and the consumer's tokens now. */
export type RunClientDealsReturnType = {
  consumer: Address;
  /** Tokens in the consumer's wallet (what deals lock is not in it). */
  balance: string;
  /** Tokens the market may still take. */
  allowance: string;
  deals: ClientDealEntry[];
};

const iso = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString();

/**
 * `sonm-agent client deals`: the consumer's deals (those that took its BIDs,
 * since `chain.from_block`), each with its bills so far, read from the chain;
 * and the consumer's token balance.
 *
 * @example
 * ```ts ignore
 * const { deals, balance } = await runClientDeals({ configPath: "client.yaml" });
 * ```
 */
export async function runClientDeals(
  options: RunClientDealsOptions,
): Promise<RunClientDealsReturnType> {
  const { signal } = options;
  const session = await openClientChain(options.configPath, options);
  try {
    const { market, address } = session;
    const fromBlock = session.config.chain.fromBlock;
    const bids = (await getOrdersOf(market, { author: address, fromBlock, signal }))
      .filter((o) => o.type === "BID" && o.dealId !== 0n);
    const deals = (await Promise.all(
      bids.map((b) => getDeal(market, { dealId: b.dealId, signal })),
    )).filter((d): d is DealState => d !== undefined);
    const bills = await getBills(market, { dealIds: deals.map((d) => d.id), fromBlock, signal });
    const { balance, allowance } = await tokenBalance(market, { who: address, signal });
    return {
      consumer: address,
      balance: formatTokenAmount(balance),
      allowance: formatTokenAmount(allowance),
      deals: deals.map((d) => ({
        dealId: d.id.toString(),
        status: d.status === "ACCEPTED" ? "open" : "closed",
        supplier: d.supplier,
        askId: d.askId.toString(),
        bidId: d.bidId.toString(),
        usdPerHour: formatUsdPerHour(d.price),
        duration: d.duration.toString(),
        startedAt: iso(d.startTime),
        endedAt: d.endTime === 0n ? "" : iso(d.endTime),
        paid: formatTokenAmount(d.totalPayout),
        bills: bills.filter((b) => b.dealId === d.id && b.paidAmount > 0n).length,
        billedUntil: iso(d.lastBillTime),
        blocked: formatTokenAmount(d.blockedBalance),
      })),
    };
  } finally {
    await session.close();
  }
}

/** Options of {@linkcode runClientClose}. */
export type RunClientCloseOptions = OpenClientChainOptions & {
  configPath: string;
  dealId: bigint;
  /** Also add the supplier to the consumer's blacklist. @default {false} */
  blacklist?: boolean | undefined;
};

/** What {@linkcode runClientClose} did. */
export type RunClientCloseReturnType = {
  dealId: string;
  /** Tokens the deal paid in all, its last bill included. */
  paid: string;
  /** The consumer's token balance after the close (the lock came back), tokens. */
  balance: string;
  txHash: `0x${string}`;
};

/**
 * `sonm-agent client close --deal ID`: closes one of the consumer's open
 * deals: the market bills the time since the last bill and returns what is
 * still locked. A deal that is not the consumer's, or is closed, is refused
 * before anything is sent.
 *
 * @throws {AgentError} (exit 2) naming the deal and why it cannot be closed
 * @example
 * ```ts ignore
 * await runClientClose({ configPath: "client.yaml", dealId: 3n });
 * ```
 */
export async function runClientClose(
  options: RunClientCloseOptions,
): Promise<RunClientCloseReturnType> {
  const { dealId, signal } = options;
  const session = await openClientChain(options.configPath, options);
  try {
    const { market, address } = session;
    const deal = await getDeal(market, { dealId, signal });
    const refuse = (why: string) =>
      new AgentError(`Cannot close deal ${dealId}: ${why}`, {
        badInput: true,
        hints: ["List your deals with: sonm-agent client deals"],
      });
    if (deal === undefined) throw refuse("there is no such deal");
    if (deal.consumer.toLowerCase() !== address.toLowerCase()) {
      throw refuse(`its consumer is ${deal.consumer}, not ${address}`);
    }
    if (deal.status !== "ACCEPTED") throw refuse("it is closed already");
    const { receipt } = await closeDeal(await session.writer(), {
      dealId,
      blacklistOther: options.blacklist ?? false,
      signal,
    });
    const after = await getDeal(market, { dealId, signal });
    const { balance } = await tokenBalance(market, { who: address, signal });
    return {
      dealId: dealId.toString(),
      paid: formatTokenAmount(after?.totalPayout ?? deal.totalPayout),
      balance: formatTokenAmount(balance),
      txHash: receipt.transactionHash,
    };
  } finally {
    await session.close();
  }
}
