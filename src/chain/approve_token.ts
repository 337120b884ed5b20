import { type Address, maxUint256, type TransactionReceipt } from "viem";
import type { WriteMarketClient } from "./create_market_client.ts";
import { tokenAbi } from "./contracts.ts";
import type {
  ChainErrorType,
  ChainRevertErrorType,
  ChainRpcErrorType,
  ChainTxTimeoutErrorType,
} from "./errors.ts";

/** Parameters of {@linkcode approveToken}. */
export type ApproveTokenParameters = {
  /** Token wei the spender may pull (default: unlimited). */
  amount?: bigint | undefined;
  /** Default: the market. */
  spender?: Address | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode approveToken} returns. */
export type ApproveTokenReturnType = { receipt: TransactionReceipt };

/** Errors of {@linkcode approveToken}. */
export type ApproveTokenErrorType =
  | ChainRevertErrorType
  | ChainRpcErrorType
  | ChainTxTimeoutErrorType
  | ChainErrorType;

/**
 * Lets the market (or `spender`) pull the caller's tokens: BIDs and billing need it.
 *
 * @example
 * ```ts ignore
 * await approveToken(market, { amount: parseTokenAmount("100") });
 * ```
 */
export async function approveToken(
  client: WriteMarketClient,
  params: ApproveTokenParameters = {},
): Promise<ApproveTokenReturnType> {
  const receipt = await client.sender.writeContract({
    address: client.addresses.token,
    abi: tokenAbi,
    functionName: "approve",
    args: [params.spender ?? client.addresses.market, params.amount ?? maxUint256],
    signal: params.signal,
  });
  return { receipt };
}
