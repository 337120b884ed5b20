import { type Address, BaseError, MethodNotFoundRpcError, MethodNotSupportedRpcError } from "viem";
import type { ChainClient } from "./connect_chain.ts";
import type { MarketAddresses } from "./deploy_contracts.ts";
import { marketAbi, tokenAbi } from "./contracts.ts";
import { ChainNeedsError, ChainRpcError } from "./errors.ts";
import { isTransient, shortText, withRetry } from "./_retry.ts";

/** Parameters of {@linkcode checkChainNeeds}. */
export type CheckChainNeedsParameters = {
  /** The addresses the config gives. */
  addresses: MarketAddresses;
  /** The config's name of the addresses' mapping, for messages. @default {"chain.contracts"} */
  field?: string | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode checkChainNeeds} found: RPC calls made, for start-up figures. */
export type CheckChainNeedsReturnType = { calls: number };

/** Errors of {@linkcode checkChainNeeds}. */
export type CheckChainNeedsErrorType = ChainNeedsError | ChainRpcError;

/**
 * The JSON-RPC methods the agent uses, each with a harmless call that shows
 * the node serves it (eth_sendRawTransaction cannot be tried without
 * sending; a node that refuses it answers at the first transaction).
 */
const METHODS: readonly { method: string; params: (a: Address) => unknown[] }[] = [
  { method: "eth_blockNumber", params: () => [] },
  { method: "eth_getBlockByNumber", params: () => ["latest", false] },
  {
    method: "eth_getLogs",
    params: (a) => [{ address: [a], fromBlock: "latest", toBlock: "latest" }],
  },
  { method: "eth_getTransactionCount", params: (a) => [a, "pending"] },
  { method: "eth_getTransactionByHash", params: () => [`0x${"0".repeat(64)}`] },
  { method: "eth_getTransactionReceipt", params: () => [`0x${"0".repeat(64)}`] },
  { method: "eth_maxPriorityFeePerGas", params: () => [] },
  { method: "eth_estimateGas", params: (a) => [{ from: a, to: a, value: "0x0" }] },
];

/** The market's getters of the other contracts, named as the config names them. */
const LINKS = ["token", "oracle", "blacklist", "profiles"] as const;

/**
 * Checks what the agent needs of the node before it starts: the RPC methods
 * it uses, contract code at every configured address, a market at
 * `contracts.market` (it answers calls that only the Market has), and the
 * token and registries the market itself uses equal to the configured ones.
 * A need the node does not meet is a {@linkcode ChainNeedsError} naming the
 * need or the config field and what was found (a config problem: exit 2).
 * Unreachable nodes fail as {@linkcode ChainRpcError}.
 *
 * @example
 * ```ts ignore
 * await checkChainNeeds(chain, { addresses: config.chain.contracts });
 * ```
 */
export async function checkChainNeeds(
  chain: ChainClient,
  params: CheckChainNeedsParameters,
): Promise<CheckChainNeedsReturnType> {
  const { addresses, field = "chain.contracts", signal } = params;
  const pub = chain.public;
  let calls = 0;
  const rpc = <T>(action: string, fn: () => Promise<T>): Promise<T> => {
    calls++;
    return withRetry(chain, { action, fn, signal });
  };

  for (const m of METHODS) {
    await rpc(
      `check ${m.method}`,
      () =>
        pub.request({ method: m.method as never, params: m.params(addresses.market) as never })
          .catch((e: unknown) => {
            if (isMissingMethod(e)) {
              throw new ChainNeedsError({
                need: `the RPC method ${m.method}`,
                found: `the node at ${chain.url} does not serve it (${shortText(e)})`,
                hints: ["Use a node or provider that serves the standard eth_* methods"],
              });
            }
            if (isTransient(e)) throw e; // retried, then a ChainRpcError
            // other refusals of these harmless calls say nothing about the method's presence
            if (e instanceof BaseError) return undefined;
            throw e;
          }),
    );
  }

  const codeAt = async (name: keyof MarketAddresses) => {
    const code = await rpc(
      `read the code of ${field}.${name}`,
      () => pub.getCode({ address: addresses[name] }),
    );
    if (code === undefined || code === "0x") {
      throw new ChainNeedsError({
        field: `${field}.${name}`,
        need: "a contract",
        found: `no contract code at ${addresses[name]} on chain ${chain.chain.id}`,
        hints: [
          `Check ${field}.${name} in the config (the address printed when the market was deployed)`,
        ],
      });
    }
  };
  for (const name of ["market", ...LINKS] as const) await codeAt(name);

  // a call only the Market answers: its getters of the other contracts
  for (const name of LINKS) {
    let linked: Address;
    try {
      linked = await rpc(
        `read ${field}.market's ${name}()`,
        () => pub.readContract({ address: addresses.market, abi: marketAbi, functionName: name }),
      );
    } catch (e) {
      if (e instanceof ChainRpcError) throw e;
      throw new ChainNeedsError({
        field: `${field}.market`,
        need: "the Market contract",
        found: `${addresses.market} ${await whatIsAt(
          chain,
          addresses.market,
        )}: it does not answer ${name}()`,
        hints: [`Check ${field}.market in the config: it must be the Market's address`],
      });
    }
    if (linked.toLowerCase() !== addresses[name].toLowerCase()) {
      throw new ChainNeedsError({
        field: `${field}.${name}`,
        need: `the ${name} the market uses`,
        found: `${addresses[name]}, while the market at ${addresses.market} uses ${linked}`,
        hints: [`Set ${field}.${name} to ${linked}`],
      });
    }
  }
  return { calls };
}

/** Whether an answer says the node lacks a method (-32601, -32604, or in words). */
function isMissingMethod(error: unknown): boolean {
  if (!(error instanceof BaseError)) return false;
  if (
    error.walk((e) =>
      e instanceof MethodNotFoundRpcError || e instanceof MethodNotSupportedRpcError
    )
  ) return true;
  return /method .*(not found|not supported|not available|not enabled|does not exist)|unsupported method/i
    .test(error.message);
}

/** What stands at `address` when it is not the Market: an ERC-20 token, or some other contract. */
async function whatIsAt(chain: ChainClient, address: Address): Promise<string> {
  try {
    const symbol = await chain.public.readContract({
      address,
      abi: tokenAbi,
      functionName: "symbol",
    });
    return `is a token (${symbol})`;
  } catch {
    return "is a contract but not the Market";
  }
}
