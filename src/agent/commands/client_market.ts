import type { Address } from "viem";
import {
  formatUsdPerHour,
  getActiveOrders,
  getMarketParameters,
  levelOf,
  listed,
  type MarketClient,
  masterOf,
  type OrderState,
} from "../../chain/mod.ts";
import { ZERO_ADDRESS } from "../../internal/mod.ts";
import {
  createMarketViews,
  createOrderBook,
  explainMatch,
  type MarketOrder,
  type MarketViewData,
} from "../../matcher/mod.ts";
import { loadBidSpec } from "../config/mod.ts";
import { bidOrder } from "../market/mod.ts";
import { openClientChain, type OpenClientChainOptions } from "./_client_chain.ts";

/** Options of {@linkcode runClientMarket}. */
export type RunClientMarketOptions = OpenClientChainOptions & {
  /** `--config`: the client's config. */
  configPath: string;
  /** The BID file. */
  bidPath: string;
  /** At most this many near misses (the ones that came closest). @default {5} */
  nearMisses?: number | undefined;
};

/** An ASK as the consumer sees it. */
export type MarketAsk = {
  askId: string;
  supplier: Address;
  usdPerHour: string;
  /** Seconds; 0 = spot. */
  duration: string;
  /** overlay, outbound, incoming. */
  netflags: boolean[];
  /** The tag as text (trailing zero bytes dropped). */
  tag: string;
};

/** An ASK the BID does not fit, with the first market rule it fails. */
export type NearMiss = MarketAsk & {
  rule: number;
  name: string;
  contractError: string;
  condition: string;
  values: Readonly<Record<string, string>>;
};

/** What {@linkcode runClientMarket} found. */
export type RunClientMarketReturnType = {
  consumer: Address;
  /** Standing ASKs on the market now. */
  asks: number;
  /** The ASKs the BID would match, best first (cheapest, then oldest). */
  matches: MarketAsk[];
  /** The closest misses: the latest failing rule first, then the cheapest. */
  nearMisses: NearMiss[];
};

/**
 * `sonm-agent client market FILE`: which standing ASKs the BID in FILE
 * would match if the consumer placed it now, cheapest first, and for the
 * ASKs it would not match, the first market rule that fails (the embedded
 * matcher and its explain, used from the buyer's side over the chain's
 * order book and the views of the ASKs' authors: masters, identity levels,
 * blacklists). Nothing is sent.
 *
 * @example
 * ```ts ignore
 * const { matches, nearMisses } = await runClientMarket({ configPath: "client.yaml", bidPath: "bid.yaml" });
 * ```
 */
export async function runClientMarket(
  options: RunClientMarketOptions,
): Promise<RunClientMarketReturnType> {
  const { configPath, bidPath, signal, nearMisses: missLimit = 5 } = options;
  const spec = await loadBidSpec(bidPath);
  const session = await openClientChain(configPath, options);
  try {
    const { market, address } = session;
    const { benchmarksQuantity } = await getMarketParameters(market, { signal });
    const bid: MarketOrder = {
      id: 0n, // not on chain: the BID as it would be placed
      type: "BID",
      active: true,
      author: address,
      ...bidOrder(spec, { benchmarksQuantity }),
    };
    const asks = (await getActiveOrders(market, { signal })).filter((o) => o.type === "ASK");
    const views = await readViews(market, bid, asks, signal);
    const book = createOrderBook({ views });
    for (const ask of asks) book.add(ask);
    const byId = new Map(asks.map((a) => [a.id, a]));
    const matched = book.matchBid(bid).map((id) => byId.get(id)!)
      .sort((a, b) => a.price === b.price ? cmp(a.id, b.id) : cmp(a.price, b.price));
    const matchedIds = new Set(matched.map((a) => a.id));
    const explained = createMarketViews(views);
    const misses = asks.filter((a) => !matchedIds.has(a.id)).flatMap((ask) => {
      const why = explainMatch({ bid, ask }, explained);
      return why.matched ? [] : [{
        ...shown(ask),
        rule: why.rule,
        name: why.name,
        contractError: why.contractError,
        condition: why.condition,
        values: why.values,
        price: ask.price,
      }];
    }).sort((a, b) => b.rule - a.rule || cmp(a.price, b.price));
    return {
      consumer: address,
      asks: asks.length,
      matches: matched.map(shown),
      nearMisses: misses.slice(0, missLimit).map(({ price: _price, ...miss }) => miss),
    };
  } finally {
    await session.close();
  }
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function shown(ask: OrderState): MarketAsk {
  const tagBytes = (ask.tag.slice(2).match(/../g) ?? []).map((h) => parseInt(h, 16));
  while (tagBytes.length > 0 && tagBytes[tagBytes.length - 1] === 0) tagBytes.pop();
  return {
    askId: ask.id.toString(),
    supplier: ask.author,
    usdPerHour: formatUsdPerHour(ask.price),
    duration: ask.duration.toString(),
    netflags: [...ask.netflags],
    tag: new TextDecoder().decode(new Uint8Array(tagBytes)),
  };
}

/**
 * The views the rules read for this BID against these ASKs, from the chain:
 * the masters and identity levels of the consumer and the ASKs' authors, and
 * every blacklist entry rule 3 looks up.
 */
async function readViews(
  market: MarketClient,
  bid: MarketOrder,
  asks: readonly OrderState[],
  signal: AbortSignal | undefined,
): Promise<MarketViewData> {
  const lower = (a: Address) => a.toLowerCase() as Address;
  const people = [...new Set([bid.author, ...asks.map((a) => a.author)].map(lower))];
  const masters = new Map<Address, Address>();
  const levels: { address: Address; level: 0 | 1 | 2 | 3 }[] = [];
  await Promise.all(people.map(async (who) => {
    const [master, level] = await Promise.all([
      masterOf(market, { who, signal }),
      levelOf(market, { who, signal }),
    ]);
    masters.set(who, lower(master));
    levels.push({ address: who, level });
  }));
  const me = lower(bid.author);
  const pairs = new Map<string, { owner: Address; who: Address }>();
  const pair = (owner: Address, who: Address) => {
    if (owner === ZERO_ADDRESS) return;
    pairs.set(`${lower(owner)}/${lower(who)}`, { owner: lower(owner), who: lower(who) });
  };
  for (const ask of asks) {
    const author = lower(ask.author);
    const master = masters.get(author) ?? author;
    for (const owner of [bid.blacklist, me]) {
      pair(owner, master);
      pair(owner, author);
    }
    for (const owner of [ask.blacklist, master, author]) pair(owner, me);
  }
  const blacklists: { owner: Address; listed: Address }[] = [];
  await Promise.all([...pairs.values()].map(async ({ owner, who }) => {
    if (await listed(market, { owner, who, signal })) blacklists.push({ owner, listed: who });
  }));
  return {
    masters: [...masters].filter(([w, m]) => w !== m).map(([worker, master]) => ({
      worker,
      master,
    })),
    levels: levels.filter((l) => l.level !== 0),
    blacklists,
  };
}
