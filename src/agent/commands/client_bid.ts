import {
  approveToken,
  formatTokenAmount,
  formatUsdPerHour,
  getMarketParameters,
  getRate,
  paymentFor,
  placeOrder,
  tokenBalance,
} from "../../chain/mod.ts";
import { AgentError } from "../../errors.ts";
import { loadBidSpec } from "../config/mod.ts";
import { bidOrder } from "../market/mod.ts";
import { openClientChain, type OpenClientChainOptions } from "./_client_chain.ts";

/** Seconds a BID locks at placing, and a deal at each bill: the market's periods. */
const SPOT_PERIOD = 3600n;
const MAX_PERIOD = 86_400n;

/** Hours of bills a spot BID's approval covers by default. */
const SPOT_COVER_SECONDS = 24n * 3600n;

/** Options of {@linkcode runClientBid}. */
export type RunClientBidOptions = OpenClientChainOptions & {
  /** `--config`: the client's config. */
  configPath: string;
  /** The BID file. */
  bidPath: string;
  /**
   * Seconds of bills the market may take at most (the token approval): the
   * whole duration of a forward BID, a day of a spot one by default.
   */
  coverSeconds?: bigint | undefined;
};

/** What {@linkcode runClientBid} did. */
export type RunClientBidReturnType = {
  orderId: string;
  consumer: `0x${string}`;
  /** The most the BID pays, USD per hour. */
  usdPerHour: string;
  /** Seconds; 0 = spot. */
  duration: string;
  /** Tokens the BID locked now: its first period at its price (a deal refunds the excess). */
  blocked: string;
  /** Tokens the market may take after this command; `approved` says whether it raised it. */
  allowance: string;
  approved: boolean;
  /** Seconds of bills the allowance was sized for. */
  coverSeconds: string;
  /** The consumer's tokens after placing. */
  balance: string;
  txHash: `0x${string}`;
};

/**
 * `sonm-agent client bid FILE`: places the BID a file describes (see
 * {@linkcode bidOrder}), as the consumer of `client.yaml`. Before sending it
 * checks the balance covers what the BID locks (its first period: an hour
 * for spot, up to a day for a forward BID), and raises the market's token
 * allowance when it does not cover `coverSeconds` of bills, so billing does
 * not stop the deal for want of an approval.
 *
 * @throws {ConfigError} for a bad file (exit 2); {@linkcode AgentError} when the balance is short
 * @example
 * ```ts ignore
 * const placed = await runClientBid({ configPath: "client.yaml", bidPath: "bid.yaml" });
 * ```
 */
export async function runClientBid(options: RunClientBidOptions): Promise<RunClientBidReturnType> {
  const { configPath, bidPath, signal } = options;
  const spec = await loadBidSpec(bidPath);
  const session = await openClientChain(configPath, options);
  try {
    const { market, address } = session;
    const { benchmarksQuantity } = await getMarketParameters(market, { signal });
    const params = bidOrder(spec, { benchmarksQuantity });
    const rate = await getRate(market, { signal });
    const firstPeriod = params.duration === 0n
      ? SPOT_PERIOD
      : params.duration < MAX_PERIOD
      ? params.duration
      : MAX_PERIOD;
    const blocked = paymentFor({ price: params.price, seconds: firstPeriod, rate });
    const cover = options.coverSeconds ??
      (params.duration === 0n ? SPOT_COVER_SECONDS : params.duration);
    const needed = paymentFor({ price: params.price, seconds: cover, rate });
    const before = await tokenBalance(market, { who: address, signal });
    if (before.balance < blocked) {
      throw new AgentError(
        `Cannot place the BID of "${bidPath}": it locks ${
          formatTokenAmount(blocked)
        } tokens and ${address} has ${formatTokenAmount(before.balance)}`,
        {
          hints: session.config.chain.devnet === undefined
            ? ["Get tokens into this address, or lower price_usd_per_hour"]
            : ["On the devnet, get test tokens with: sonm-agent devnet fund"],
        },
      );
    }
    const writer = await session.writer();
    let allowance = before.allowance;
    const approved = allowance < needed + blocked;
    if (approved) {
      allowance += needed + blocked;
      await approveToken(writer, { amount: allowance, signal });
    }
    const { orderId, receipt } = await placeOrder(writer, { type: "BID", ...params, signal });
    const after = await tokenBalance(market, { who: address, signal });
    return {
      orderId: orderId.toString(),
      consumer: address,
      usdPerHour: formatUsdPerHour(params.price),
      duration: params.duration.toString(),
      blocked: formatTokenAmount(blocked),
      allowance: formatTokenAmount(after.allowance),
      approved,
      coverSeconds: cover.toString(),
      balance: formatTokenAmount(after.balance),
      txHash: receipt.transactionHash,
    };
  } finally {
    await session.close();
  }
}
