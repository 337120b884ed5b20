import type { ChainClient } from "./connect_chain.ts";
import type { ChainRpcErrorType } from "./errors.ts";
import { withRetry } from "./_retry.ts";

/** Parameters of {@linkcode advanceChainTime}. */
export type AdvanceChainTimeParameters = {
  /** How far to move the chain's clock, in seconds. */
  seconds: bigint;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode advanceChainTime} returns: the block mined after the jump. */
export type AdvanceChainTimeReturnType = { blockNumber: bigint; timestamp: bigint };

/** Errors of {@linkcode advanceChainTime}. */
export type AdvanceChainTimeErrorType = ChainRpcErrorType;

/**
 * On a development node only (anvil, Hardhat, Ganache): moves the chain's
 * clock `seconds` ahead (`evm_increaseTime`) and mines a block (`evm_mine`)
 * so the time shows, e.g. to let deals come due for billing. A real node
 * refuses both methods.
 *
 * @example
 * ```ts ignore
 * const { timestamp } = await advanceChainTime(chain, { seconds: 7200n });
 * ```
 */
export async function advanceChainTime(
  chain: ChainClient,
  params: AdvanceChainTimeParameters,
): Promise<AdvanceChainTimeReturnType> {
  const { seconds, signal } = params;
  const request = (method: string, args: unknown[]) =>
    withRetry(chain, {
      action: `call ${method}`,
      signal,
      fn: () => chain.public.request({ method: method as never, params: args as never }),
    });
  await request("evm_increaseTime", [Number(seconds)]);
  await request("evm_mine", []);
  const block = await withRetry(chain, {
    action: "read the new block",
    signal,
    fn: () => chain.public.getBlock({ blockTag: "latest" }),
  });
  return { blockNumber: block.number, timestamp: block.timestamp };
}
