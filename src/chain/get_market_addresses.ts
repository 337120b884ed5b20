import type { Address } from "viem";
import type { ChainClient } from "./connect_chain.ts";
import type { MarketAddresses } from "./deploy_contracts.ts";
import type { ChainRevertErrorType, ChainRpcErrorType } from "./errors.ts";
import { readMarket } from "./_market.ts";
import { ZERO_ADDRESS } from "../internal/mod.ts";

/** Parameters of {@linkcode getMarketAddresses}. */
export type GetMarketAddressesParameters = {
  /** The Market contract. */
  market: Address;
  /** Addresses already known (a config may name them): these are not read. */
  known?: { [K in Exclude<keyof MarketAddresses, "market">]?: Address | undefined } | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode getMarketAddresses} returns: every contract of the market. */
export type GetMarketAddressesReturnType = MarketAddresses;

/** Errors of {@linkcode getMarketAddresses}. */
export type GetMarketAddressesErrorType = ChainRevertErrorType | ChainRpcErrorType;

/**
 * Reads the addresses of the token, oracle, blacklist and profile registry
 * from the Market's public getters (fixed at its deployment), so a consumer
 * needs only the market's address. Addresses in `known` are taken as given.
 *
 * @example
 * ```ts ignore
 * const addresses = await getMarketAddresses(chain, { market: "0x..." });
 * ```
 */
export async function getMarketAddresses(
  chain: ChainClient,
  params: GetMarketAddressesParameters,
): Promise<GetMarketAddressesReturnType> {
  const { market, known = {}, signal } = params;
  const client = {
    chain,
    addresses: {
      market,
      token: ZERO_ADDRESS,
      oracle: ZERO_ADDRESS,
      blacklist: ZERO_ADDRESS,
      profiles: ZERO_ADDRESS,
    },
  };
  const read = async (name: "token" | "oracle" | "blacklist" | "profiles") =>
    known[name] ?? await readMarket(client, name, [], { signal }) as Address;
  const [token, oracle, blacklist, profiles] = await Promise.all([
    read("token"),
    read("oracle"),
    read("blacklist"),
    read("profiles"),
  ]);
  return { market, token, oracle, blacklist, profiles };
}
