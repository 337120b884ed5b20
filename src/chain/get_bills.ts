import { type AbiEvent, getAbiItem } from "viem";
import { marketAbi } from "./contracts.ts";
import type { MarketClient } from "./create_market_client.ts";
import type { ChainRevertErrorType, ChainRpcErrorType } from "./errors.ts";
import type { BillRecord } from "./types.ts";
import { scanLogs } from "./_scan_logs.ts";

/** Parameters of {@linkcode getBills}. */
export type GetBillsParameters = {
  /** The deals whose bills to read. */
  dealIds: readonly bigint[];
  /** First block to look at: the market's deployment block. @default {0n} */
  fromBlock?: bigint | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode getBills} returns: the payments, in chain order. */
export type GetBillsReturnType = BillRecord[];

/** Errors of {@linkcode getBills}. */
export type GetBillsErrorType = ChainRevertErrorType | ChainRpcErrorType;

const billed = getAbiItem({ abi: marketAbi, name: "Billed" }) as AbiEvent;

/**
 * The payments of some deals (`Billed` logs, filtered on their indexed deal
 * id), in chain order: each bill while a deal runs and the last one when it
 * closes. Their sum is the deal's `totalPayout`.
 *
 * @example
 * ```ts ignore
 * const bills = await getBills(market, { dealIds: [3n] });
 * ```
 */
export async function getBills(
  client: MarketClient,
  params: GetBillsParameters,
): Promise<GetBillsReturnType> {
  const { dealIds, fromBlock = 0n, signal } = params;
  if (dealIds.length === 0) return [];
  const logs = await scanLogs(client.chain, {
    address: client.addresses.market,
    event: billed,
    args: { dealId: [...dealIds] },
    fromBlock,
    action: "read the bills",
    signal,
  });
  return logs.map((l) => {
    const args = l.args as { dealId: bigint; paidAmount: bigint };
    return {
      blockNumber: l.blockNumber,
      logIndex: l.logIndex,
      txHash: l.transactionHash,
      dealId: args.dealId,
      paidAmount: args.paidAmount,
    };
  }).sort((a, b) =>
    a.blockNumber === b.blockNumber
      ? a.logIndex - b.logIndex
      : a.blockNumber < b.blockNumber
      ? -1
      : 1
  );
}
