import type { AbiEvent, Address, Log } from "viem";
import type { ChainClient } from "./connect_chain.ts";
import { withRetry } from "./_retry.ts";

/** Blocks per getLogs call of a scan (public nodes cap ranges near 10,000). */
const SCAN_BLOCKS = 10_000n;

/**
 * The logs of one event of one contract, filtered by indexed arguments, over
 * `fromBlock`..latest in windows that public nodes accept. Private: the
 * actions that read a consumer's orders and bills use it.
 */
export async function scanLogs<const event extends AbiEvent>(
  chain: ChainClient,
  options: {
    address: Address;
    event: event;
    args: Record<string, unknown>;
    fromBlock: bigint;
    action: string;
    signal?: AbortSignal | undefined;
  },
): Promise<Log<bigint, number, false, event, true>[]> {
  const { address, event, args, fromBlock, action, signal } = options;
  const head = await withRetry(chain, {
    action,
    signal,
    fn: () => chain.public.getBlockNumber({ cacheTime: 0 }),
  });
  const out: Log<bigint, number, false, event, true>[] = [];
  for (let from = fromBlock; from <= head; from += SCAN_BLOCKS) {
    const to = from + SCAN_BLOCKS - 1n < head ? from + SCAN_BLOCKS - 1n : head;
    const logs = await withRetry(chain, {
      action,
      signal,
      fn: () =>
        chain.public.getLogs({
          address,
          event,
          args: args as never,
          fromBlock: from,
          toBlock: to,
          strict: true,
        }),
    });
    out.push(...(logs as unknown as Log<bigint, number, false, event, true>[]));
  }
  return out;
}
