import type { TransactionReceipt } from "viem";
import type { WriteMarketClient } from "./create_market_client.ts";
import type {
  ChainErrorType,
  ChainRevertErrorType,
  ChainRpcErrorType,
  ChainTxTimeoutErrorType,
} from "./errors.ts";
import { writeMarket } from "./_market.ts";

/** Parameters of {@linkcode confirmWorker}. */
export type ConfirmWorkerParameters = {
  worker: `0x${string}`;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode confirmWorker} returns. */
export type ConfirmWorkerReturnType = { receipt: TransactionReceipt };

/** Errors of {@linkcode confirmWorker}. */
export type ConfirmWorkerErrorType =
  | ChainRevertErrorType
  | ChainRpcErrorType
  | ChainTxTimeoutErrorType
  | ChainErrorType;

/**
 * The caller (a master) confirms a worker that asked to join it.
 *
 * @throws {ChainRevertError} when the contract refuses (decoded custom error, with the ids)
 *
 * @example
 * ```ts ignore
 * await confirmWorker(market, { worker: "0x..." });
 * ```
 */
export async function confirmWorker(
  client: WriteMarketClient,
  params: ConfirmWorkerParameters,
): Promise<ConfirmWorkerReturnType> {
  const receipt = await writeMarket(client, "confirmWorker", [params.worker], {
    refs: {},
    signal: params.signal,
  });
  return { receipt };
}
