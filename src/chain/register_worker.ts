import type { TransactionReceipt } from "viem";
import type { WriteMarketClient } from "./create_market_client.ts";
import type {
  ChainErrorType,
  ChainRevertErrorType,
  ChainRpcErrorType,
  ChainTxTimeoutErrorType,
} from "./errors.ts";
import { writeMarket } from "./_market.ts";

/** Parameters of {@linkcode registerWorker}. */
export type RegisterWorkerParameters = {
  /** The master the caller asks to work for. */
  master: `0x${string}`;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode registerWorker} returns. */
export type RegisterWorkerReturnType = { receipt: TransactionReceipt };

/** Errors of {@linkcode registerWorker}. */
export type RegisterWorkerErrorType =
  | ChainRevertErrorType
  | ChainRpcErrorType
  | ChainTxTimeoutErrorType
  | ChainErrorType;

/**
 * The caller (a worker) asks to join `master`; the master confirms with confirmWorker.
 *
 * @throws {ChainRevertError} when the contract refuses (decoded custom error, with the ids)
 *
 * @example
 * ```ts ignore
 * await registerWorker(market, { master: "0x..." });
 * ```
 */
export async function registerWorker(
  client: WriteMarketClient,
  params: RegisterWorkerParameters,
): Promise<RegisterWorkerReturnType> {
  const receipt = await writeMarket(client, "registerWorker", [params.master], {
    refs: {},
    signal: params.signal,
  });
  return { receipt };
}
