import type { TransactionReceipt } from "viem";
import type { WriteMarketClient } from "./create_market_client.ts";
import type {
  ChainErrorType,
  ChainRevertErrorType,
  ChainRpcErrorType,
  ChainTxTimeoutErrorType,
} from "./errors.ts";
import { writeMarket } from "./_market.ts";

/** Parameters of {@linkcode removeWorker}. */
export type RemoveWorkerParameters = {
  worker: `0x${string}`;
  master: `0x${string}`;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode removeWorker} returns. */
export type RemoveWorkerReturnType = { receipt: TransactionReceipt };

/** Errors of {@linkcode removeWorker}. */
export type RemoveWorkerErrorType =
  | ChainRevertErrorType
  | ChainRpcErrorType
  | ChainTxTimeoutErrorType
  | ChainErrorType;

/**
 * Removes a worker binding (confirmed or pending); either side may call it.
 *
 * @throws {ChainRevertError} when the contract refuses (decoded custom error, with the ids)
 *
 * @example
 * ```ts ignore
 * await removeWorker(market, { worker: "0x...", master: "0x..." });
 * ```
 */
export async function removeWorker(
  client: WriteMarketClient,
  params: RemoveWorkerParameters,
): Promise<RemoveWorkerReturnType> {
  const receipt = await writeMarket(client, "removeWorker", [params.worker, params.master], {
    refs: {},
    signal: params.signal,
  });
  return { receipt };
}
