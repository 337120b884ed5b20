import type { Hex } from "viem";
import type { ChainClient } from "./connect_chain.ts";
import type { ChainRpcError } from "./errors.ts";
import { withRetry } from "./_retry.ts";

/** Parameters of {@linkcode getChainIdentity}. */
export type GetChainIdentityParameters = { signal?: AbortSignal | undefined };

/** What {@linkcode getChainIdentity} returns: what tells one chain from another. */
export type GetChainIdentityReturnType = {
  chainId: number;
  /** Hash of block 0: two devnets with one chain id still differ here. */
  genesisHash: Hex;
};

/** Errors of {@linkcode getChainIdentity}. */
export type GetChainIdentityErrorType = ChainRpcError;

/**
 * Reads the chain id and the genesis block's hash, with retries. A fresh
 * anvil has the same chain id as the last one but a new genesis hash, so the
 * pair tells whether indexed state belongs to this chain.
 *
 * @example
 * ```ts ignore
 * import assert from "node:assert/strict";
 * const id = await getChainIdentity(chain, {});
 * assert.equal(id.chainId, 31337);
 * ```
 */
export async function getChainIdentity(
  client: ChainClient,
  params: GetChainIdentityParameters = {},
): Promise<GetChainIdentityReturnType> {
  const { signal } = params;
  const [chainId, genesis] = await Promise.all([
    withRetry(client, {
      action: "read the chain id",
      signal,
      fn: () => client.public.getChainId(),
    }),
    withRetry(client, {
      action: "read the genesis block",
      signal,
      fn: () => client.public.getBlock({ blockNumber: 0n }),
    }),
  ]);
  return { chainId, genesisHash: genesis.hash as Hex };
}
