import { readMarket } from "./_market.ts";
import type { MarketClient } from "./create_market_client.ts";
import { ChainRevertError, type ChainRevertErrorType, type ChainRpcErrorType } from "./errors.ts";

/** Parameters of {@linkcode checkMatch}. */
export type CheckMatchParameters = {
  askId: bigint;
  bidId: bigint;
  /** Read the state at this block (default: latest). */
  blockNumber?: bigint | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode checkMatch} returns. */
export type CheckMatchReturnType = { ok: true } | { ok: false; error: ChainRevertError };

/** Errors of {@linkcode checkMatch}. */
export type CheckMatchErrorType = ChainRevertErrorType | ChainRpcErrorType;

/**
 * Asks the contract whether openDeal would accept the pair now; a refusal names the failing rule's custom error.
 *
 * @example
 * ```ts ignore
 * const r = await checkMatch(market, { askId: 1n, bidId: 2n });
 * ```
 */
export async function checkMatch(
  client: MarketClient,
  params: CheckMatchParameters,
): Promise<CheckMatchReturnType> {
  const { blockNumber, signal } = params;
  try {
    await readMarket(client, "checkMatch", [params.askId, params.bidId], {
      blockNumber,
      signal,
    });
    return { ok: true };
  } catch (e) {
    if (e instanceof ChainRevertError) return { ok: false, error: e };
    throw e;
  }
}
