/**
 * Shared plumbing of the market actions: reads with retries and decoded
 * reverts, writes through the sender, event lookup in receipts, and the
 * conversion of the contract's structs to our state types. Private.
 */
import {
  type Abi,
  type ContractEventArgsFromTopics,
  type ContractEventName,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type ContractFunctionReturnType,
  parseEventLogs,
  type ReadContractParameters,
  type TransactionReceipt,
} from "viem";
import { marketAbi, tokenAbi } from "./contracts.ts";
import type { MarketClient, WriteMarketClient } from "./create_market_client.ts";
import {
  type ChainRevertErrorType,
  type ChainRpcErrorType,
  ChainUnexpectedError,
  type MarketRefs,
} from "./errors.ts";
import { asWorldFailure, withRetry } from "./_retry.ts";
import { toRevertError } from "./_revert.ts";
import type { ChangeRequestState, ChangeRequestStatus, DealState, OrderState } from "./types.ts";
import type { IdentityLevel } from "../matcher/mod.ts";

/** Market ABI plus the token's errors (a transferFrom inside the market can revert). */
export const marketErrorsAbi = [
  ...marketAbi,
  ...tokenAbi.filter((x) => x.type === "error"),
] as const;

type MarketAbi = typeof marketErrorsAbi;

/** A Market view's name. */
export type MarketReadName = ContractFunctionName<MarketAbi, "pure" | "view">;
/** A Market transaction's name. */
export type MarketWriteName = ContractFunctionName<MarketAbi, "nonpayable" | "payable">;

/** Options of a read: the block, the ids the call is about, cancellation. */
export type ReadOptions = {
  blockNumber?: bigint | undefined;
  refs?: MarketRefs | undefined;
  signal?: AbortSignal | undefined;
};

/** Errors of a read. */
export type ReadErrorType = ChainRevertErrorType | ChainRpcErrorType;

/** What {@linkcode readContract} reads: viem's call, and the ids it is about. */
export type ReadContractOptions<
  abi extends Abi,
  functionName extends ContractFunctionName<abi, "pure" | "view">,
  args extends ContractFunctionArgs<abi, "pure" | "view", functionName>,
> = {
  call: ReadContractParameters<abi, functionName, args>;
  refs?: MarketRefs | undefined;
  signal?: AbortSignal | undefined;
};

/**
 * Reads a contract view with retries; a revert becomes a decoded
 * ChainRevertError. Generic over the const ABI: the function name, its
 * args and the return type are viem's.
 *
 * @example
 * ```ts ignore
 * const rate: bigint = await readContract(client, {
 *   call: { address: client.addresses.oracle, abi: oracleAbi, functionName: "rate" },
 * });
 * ```
 */
export async function readContract<
  const abi extends Abi,
  functionName extends ContractFunctionName<abi, "pure" | "view">,
  const args extends ContractFunctionArgs<abi, "pure" | "view", functionName>,
>(
  client: MarketClient,
  { call, refs, signal }: ReadContractOptions<abi, functionName, args>,
): Promise<ContractFunctionReturnType<abi, "pure" | "view", functionName, args>> {
  const functionName = String(call.functionName);
  try {
    return await withRetry(client.chain, {
      action: `read ${functionName}`,
      signal,
      fn: () => client.chain.public.readContract<abi, functionName, args>(call),
    });
  } catch (e) {
    throw toRevertError(e, { functionName, refs }) ?? asWorldFailure(e, `read ${functionName}`);
  }
}

/**
 * Reads a Market view: its name, args and return type come from the Market ABI.
 *
 * @example
 * ```ts ignore
 * const master: Address = await readMarket(client, "masterOf", [who]);
 * ```
 */
export function readMarket<
  functionName extends MarketReadName,
  const args extends ContractFunctionArgs<MarketAbi, "pure" | "view", functionName>,
>(
  client: MarketClient,
  functionName: functionName,
  args: args,
  options: ReadOptions = {},
): Promise<ContractFunctionReturnType<MarketAbi, "pure" | "view", functionName, args>> {
  const { blockNumber, refs, signal } = options;
  const call: ReadContractParameters<MarketAbi, functionName, args> = {
    address: client.addresses.market,
    abi: marketErrorsAbi,
    functionName,
    args,
    ...(blockNumber === undefined ? {} : { blockNumber }),
  };
  return readContract<MarketAbi, functionName, args>(client, { call, refs, signal });
}

/**
 * Sends a Market transaction through the client's sender (a WriteMarketClient
 * has one, by type).
 *
 * @example
 * ```ts ignore
 * const receipt = await writeMarket(client, "cancelOrder", [orderId], { refs: { orderId } });
 * ```
 */
export function writeMarket<
  functionName extends MarketWriteName,
  const args extends ContractFunctionArgs<MarketAbi, "nonpayable" | "payable", functionName>,
>(
  client: WriteMarketClient,
  functionName: functionName,
  args: args,
  options: { refs?: MarketRefs | undefined; signal?: AbortSignal | undefined } = {},
): Promise<TransactionReceipt> {
  return client.sender.writeContract({
    address: client.addresses.market,
    abi: marketErrorsAbi,
    functionName,
    args,
    refs: options.refs,
    signal: options.signal,
  });
}

/** A Market event's name. */
export type MarketEventName = ContractEventName<typeof marketAbi>;

/** The decoded args of a Market event. */
export type MarketEventArgs<eventName extends MarketEventName> = ContractEventArgsFromTopics<
  typeof marketAbi,
  eventName,
  true
>;

/**
 * The args of the market's `eventName` logs in a receipt, through viem's parseEventLogs.
 *
 * @example
 * ```ts ignore
 * const closed = marketEvents(client, receipt, "DealUpdated").some((a) => a.dealId === dealId);
 * ```
 */
export function marketEvents<eventName extends MarketEventName>(
  client: MarketClient,
  receipt: TransactionReceipt,
  eventName: eventName,
): MarketEventArgs<eventName>[] {
  const market = client.addresses.market.toLowerCase();
  return parseEventLogs({ abi: marketAbi, logs: receipt.logs, eventName })
    .filter((l) => l.address.toLowerCase() === market)
    .map((l) => l.args as MarketEventArgs<eventName>);
}

/**
 * The last `eventName` log's `field` in a receipt, or a ChainUnexpectedError.
 *
 * @example
 * ```ts ignore
 * const orderId: bigint = eventField(client, receipt, "OrderPlaced", "orderId");
 * ```
 */
export function eventField<
  eventName extends MarketEventName,
  field extends keyof MarketEventArgs<eventName>,
>(
  client: MarketClient,
  receipt: TransactionReceipt,
  eventName: eventName,
  field: field,
): MarketEventArgs<eventName>[field] {
  const args = marketEvents(client, receipt, eventName);
  const last = args[args.length - 1];
  if (last === undefined || last === null) {
    throw new ChainUnexpectedError(
      `Cannot read ${eventName}.${
        String(field)
      }: transaction "${receipt.transactionHash}" has no such event`,
    );
  }
  return last[field];
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
