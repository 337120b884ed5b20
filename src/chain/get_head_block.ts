import type { Hex } from "viem";
import type { ChainClient } from "./connect_chain.ts";
import type { ChainRpcError } from "./errors.ts";
import { withRetry } from "./_retry.ts";

/** Parameters of {@linkcode getHeadBlock}. */
export type GetHeadBlockParameters = {
  /** A block number to read instead of the head. @default {the latest block} */
  blockNumber?: bigint | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode getHeadBlock} returns: a block's number, hash and time. */
export type GetHeadBlockReturnType = {
  number: bigint;
  hash: Hex;
  /** Unix seconds (the chain's clock). */
  timestamp: bigint;
};

/** Errors of {@linkcode getHeadBlock}. */
export type GetHeadBlockErrorType = ChainRpcError;

/**
 * Reads the chain's head block (or block `blockNumber`) with retries:
 * its number, hash and timestamp. The chain's time for billing decisions.
 *
 * @example
 * ```ts ignore
 * import assert from "node:assert/strict";
 * const head = await getHeadBlock(chain, {});
 * assert.ok(head.timestamp > 0n);
 * ```
 */
export async function getHeadBlock(
  client: ChainClient,
  params: GetHeadBlockParameters = {},
): Promise<GetHeadBlockReturnType> {
  const { blockNumber, signal } = params;
  const block = await withRetry(client, {
    action: blockNumber === undefined ? "read the head block" : `read block ${blockNumber}`,
    signal,
    fn: () =>
      blockNumber === undefined
        ? client.public.getBlock({ blockTag: "latest" })
        : client.public.getBlock({ blockNumber }),
  });
  return { number: block.number as bigint, hash: block.hash as Hex, timestamp: block.timestamp };
}
