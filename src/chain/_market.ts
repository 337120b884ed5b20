/**
 * Shared plumbing of the market actions: reads with retries and decoded
 * reverts, writes through the sender, event lookup in receipts, and the
 * conversion of the contract's structs to our state types. Private.
 */
import {
  type Abi,
  type Address,
  type ContractFunctionReturnType,
  parseEventLogs,
  type TransactionReceipt,
} from "viem";
import { marketAbi, tokenAbi } from "./contracts.ts";
import type { MarketClient, WriteMarketClient } from "./create_market_client.ts";
import { ChainError, ChainUnexpectedError, type MarketRefs } from "./errors.ts";
import { withRetry } from "./_retry.ts";
import { toRevertError } from "./_revert.ts";
import type { ChangeRequestState, ChangeRequestStatus, DealState, OrderState } from "./types.ts";
import type { IdentityLevel } from "../matcher/mod.ts";

/** Market ABI plus the token's errors (a transferFrom inside the market can revert). */
export const marketErrorsAbi = [
  ...marketAbi,
  ...tokenAbi.filter((x) => x.type === "error"),
] as const;

/** Checks that the client can write. */
export function needSender(client: MarketClient, action: string): WriteMarketClient {
  if (client.sender === undefined) {
    throw new ChainError(`Cannot ${action}: the market client has no transaction sender`);
  }
  return client as WriteMarketClient;
}

/** Reads a contract view with retries; a revert becomes a decoded ChainRevertError. */
export async function readContract<T>(
  client: MarketClient,
  a: {
    address: Address;
    abi: Abi;
    functionName: string;
    args?: readonly unknown[];
    blockNumber?: bigint | undefined;
    refs?: MarketRefs | undefined;
    signal?: AbortSignal | undefined;
  },
): Promise<T> {
  try {
    return await withRetry(client.chain, {
      action: `read ${a.functionName}`,
      signal: a.signal,
      fn: () =>
        client.chain.public.readContract({
          address: a.address,
          abi: a.abi,
          functionName: a.functionName,
          args: a.args ?? [],
          ...(a.blockNumber === undefined ? {} : { blockNumber: a.blockNumber }),
        } as never) as Promise<T>,
    });
  } catch (e) {
    throw toRevertError(e, { functionName: a.functionName, refs: a.refs }) ?? e;
  }
}

/** Reads a Market view. */
export function readMarket<T>(
  client: MarketClient,
  functionName: string,
  args: readonly unknown[],
  options: { blockNumber?: bigint | undefined; signal?: AbortSignal | undefined } = {},
): Promise<T> {
  return readContract<T>(client, {
    address: client.addresses.market,
    abi: marketErrorsAbi as unknown as Abi,
    functionName,
    args,
    ...options,
  });
}

/** Sends a Market transaction through the client's sender. */
export function writeMarket(
  client: MarketClient,
  functionName: string,
  args: readonly unknown[],
  options: { refs?: MarketRefs | undefined; signal?: AbortSignal | undefined } = {},
): Promise<TransactionReceipt> {
  const c = needSender(client, functionName);
  return c.sender.writeContract({
    address: client.addresses.market,
    abi: marketErrorsAbi as unknown as Abi,
    functionName,
    args,
    refs: options.refs,
    signal: options.signal,
  });
}

/** The args of the market's `eventName` logs in a receipt. */
export function marketEvents(
  client: MarketClient,
  receipt: TransactionReceipt,
  eventName: string,
): Record<string, unknown>[] {
  const logs = parseEventLogs({ abi: marketAbi, logs: receipt.logs });
  return logs
    .filter((l) =>
      l.eventName === eventName && l.address.toLowerCase() === client.addresses.market.toLowerCase()
    )
    .map((l) => l.args as Record<string, unknown>);
}

/** The one `eventName` log's `field` in a receipt, or a ChainUnexpectedError. */
export function eventField(
  client: MarketClient,
  receipt: TransactionReceipt,
  eventName: string,
  field: string,
): bigint {
  const args = marketEvents(client, receipt, eventName);
  const value = args[args.length - 1]?.[field];
  if (typeof value !== "bigint") {
    throw new ChainUnexpectedError(
      `Cannot read ${eventName}.${field}: transaction "${receipt.transactionHash}" has no such event`,
    );
  }
  return value;
}

/** The contract's Order struct as viem decodes it (derived from the ABI, never copied). */
export type RawOrder = ContractFunctionReturnType<typeof marketAbi, "view", "getOrder">;

/** The order with `id`, undefined when the struct is empty (status 0: no such order). */
export function toOrderState(id: bigint, o: RawOrder): OrderState | undefined {
  if (o.status === 0) return undefined;
  return {
    id,
    type: o.orderType === 1 ? "BID" : "ASK",
    active: o.status === 2,
    author: o.author,
    counterparty: o.counterparty,
    duration: o.duration,
    price: o.price,
    netflags: [...o.netflags],
    identityLevel: o.identityLevel as IdentityLevel,
    blacklist: o.blacklist,
    tag: o.tag,
    benchmarks: [...o.benchmarks],
    frozenSum: o.frozenSum,
    dealId: o.dealId,
  };
}

/** The contract's Deal struct as viem decodes it (derived from the ABI). */
export type RawDeal = ContractFunctionReturnType<typeof marketAbi, "view", "getDeal">;

/** The deal with `id`, undefined when there is none. */
export function toDealState(id: bigint, d: RawDeal): DealState | undefined {
  if (d.status === 0) return undefined;
  return {
    id,
    askId: d.askId,
    bidId: d.bidId,
    supplier: d.supplier,
    consumer: d.consumer,
    master: d.master,
    duration: d.duration,
    price: d.price,
    startTime: d.startTime,
    endTime: d.endTime,
    status: d.status === 1 ? "ACCEPTED" : "CLOSED",
    blockedBalance: d.blockedBalance,
    totalPayout: d.totalPayout,
    lastBillTime: d.lastBillTime,
  };
}

/** The contract's ChangeRequest struct as viem decodes it. */
export type RawChangeRequest = ContractFunctionReturnType<
  typeof marketAbi,
  "view",
  "getChangeRequest"
>;

const CR_STATUS: readonly ChangeRequestStatus[] = ["CREATED", "CANCELED", "REJECTED", "ACCEPTED"];

/** The change request with `id`, undefined when there is none. */
export function toChangeRequestState(
  id: bigint,
  c: RawChangeRequest,
): ChangeRequestState | undefined {
  const status = CR_STATUS[c.status - 1];
  if (status === undefined) return undefined;
  return {
    id,
    dealId: c.dealId,
    side: c.requestType === 1 ? "BID" : "ASK",
    price: c.price,
    duration: c.duration,
    status,
  };
}
