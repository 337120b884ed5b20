import { privateKeyToAccount } from "viem/accounts";
import {
  type ChainClient,
  createMarketClient,
  createTxSender,
  parseUsdPerHour,
  placeOrder,
  type WriteMarketClient,
} from "../../chain/mod.ts";
import type { PlanConfig } from "../config/mod.ts";
import type { Devnet } from "./devnet.ts";
import type { Logger } from "../base/mod.ts";

/** Options of {@linkcode placeDemoBid}. */
export type PlaceDemoBidOptions = {
  devnet: Devnet;
  /** The plan the demo BID is made to fit. */
  plan: PlanConfig;
  logger: Logger;
  signal?: AbortSignal | undefined;
};

/** The demo BID's price for a plan priced `auto`, USD per hour. */
const DEMO_AUTO_USD_PER_HOUR = "0.50";

/**
 * On the devnet only: the demo consumer places one BID that `plan`'s ASK
 * satisfies (its price, no benchmark or flag demands, one hour or spot), so
 * a newcomer watches the agent match it, open a deal and bill it.
 *
 * @returns the BID's order id
 * @example
 * ```ts ignore
 * const bidId = await placeDemoBid(chain, { devnet, plan: config.plans[0]!, logger });
 * ```
 */
export async function placeDemoBid(
  chain: ChainClient,
  options: PlaceDemoBidOptions,
): Promise<bigint> {
  const { devnet, plan, logger, signal } = options;
  const consumer = createMarketClient(chain, {
    addresses: devnet.contracts,
    sender: createTxSender(chain, { account: privateKeyToAccount(devnet.consumer.privateKey) }),
  }) as WriteMarketClient;
  // A spot BID fits a spot ASK and a forward one alike (the deal is then spot);
  // an auto-priced plan takes its price from BIDs like this one
  const usdPerHour = plan.priceUsdPerHour === "auto"
    ? DEMO_AUTO_USD_PER_HOUR
    : plan.priceUsdPerHour;
  const { orderId } = await placeOrder(consumer, {
    type: "BID",
    duration: 0n,
    price: parseUsdPerHour(usdPerHour),
    signal,
  });
  logger.info("demo consumer placed a BID for the first plan", {
    plan: plan.name,
    bidId: orderId,
    usdPerHour,
    consumer: devnet.consumer.address,
  });
  return orderId;
}
