import { formatUsdPerHour } from "../../chain/mod.ts";
import { AgentError } from "../../errors.ts";
import { readInputFile } from "./_read_input_file.ts";
import {
  createMarketViews,
  createOrderBook,
  explainMatch,
  type MarketOrder,
  type MatchExplanation,
  parseMarketFile,
} from "../../matcher/mod.ts";

/** A market file of a million orders is ~400 MB; refuse what cannot be one. */
const MAX_MARKET_FILE_BYTES = 1024 ** 3;

/** Options of {@linkcode runMatchCommand}. */
export type RunMatchCommandOptions = {
  /** `--orders FILE`: the market file (JSON lines of orders and views). */
  ordersPath: string;
  /** `--ask ID`: the BIDs this ASK satisfies. */
  ask?: string | undefined;
  /** `--bid ID`: the ASKs this BID fits. */
  bid?: string | undefined;
  /** `--explain`: every pair's verdict, with the first failing rule and its values. */
  explain?: boolean | undefined;
  /** `--limit N`: at most N matches per order (the best ones). */
  limit?: number | undefined;
  signal?: AbortSignal | undefined;
};

/** One pair's verdict, for `--explain`. */
export type PairVerdict =
  & { bid: string; ask: string }
  & (
    | { matched: true }
    | {
      matched: false;
      rule: number;
      name: string;
      contractError: string;
      condition: string;
      values: Readonly<Record<string, string>>;
    }
  );

/** A match as shown to people and in JSON. */
export type MatchEntry = { id: string; author: string; price: string; usdPerHour: string };

/** Return type of {@linkcode runMatchCommand}. */
export type RunMatchCommandReturnType = {
  /** The file's counts. */
  file: { path: string; bids: number; asks: number };
  /** For each queried order (the one given, or every ASK), its matches, best first. */
  results: { order: string; type: "BID" | "ASK"; matches: MatchEntry[] }[];
  /** With `--explain` (or both `--ask` and `--bid`): every pair's verdict. */
  verdicts?: PairVerdict[];
};

/**
 * `sonm-agent match --orders FILE [--ask ID | --bid ID] [--explain] [--json]`:
 * runs the embedded matcher over a market file and shows which orders match,
 * best first (highest price, then oldest), or with `--explain` why each pair
 * does not (the first failing market rule, as the contract would revert).
 * With both `--ask` and `--bid`, it explains that one pair.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runMatchCommand } from "./match_command.ts";
 * const a = "0x00000000000000000000000000000000000000a1";
 * const order = (id: number, type: string, price: string) =>
 *   JSON.stringify({ kind: "order", id: `${id}`, type, author: a, duration: "0", price });
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * await Deno.writeTextFile(path, [order(1, "BID", "10"), order(7, "ASK", "5")].join("\n"));
 * const { results } = await runMatchCommand({ ordersPath: path, ask: "7" });
 * assert.deepEqual(results[0]?.matches.map((m) => m.id), ["1"]);
 * await Deno.remove(path);
 * ```
 */
export async function runMatchCommand(
  options: RunMatchCommandOptions,
): Promise<RunMatchCommandReturnType> {
  const { ordersPath, explain = false, limit, signal } = options;
  const text = await readInputFile(ordersPath, {
    what: "orders file",
    maxBytes: MAX_MARKET_FILE_BYTES,
    hints: ["Give a JSON-lines market file with --orders (see README, `match`)"],
    signal,
  });
  const { orders, views: data } = parseMarketFile(text);
  const byId = new Map(orders.map((o) => [o.id.toString(), o]));
  const find = (id: string, type: "BID" | "ASK"): MarketOrder => {
    const order = byId.get(normalizeId(id, type));
    if (order === undefined) {
      throw new AgentError(
        `Cannot match ${type} "${id}": no order with that id in "${ordersPath}"`,
        { badInput: true },
      );
    }
    if (order.type !== type) {
      throw new AgentError(`Cannot match ${type} "${id}": order "${id}" is a ${order.type}`, {
        badInput: true,
      });
    }
    return order;
  };
  const bids = orders.filter((o) => o.type === "BID");
  const asks = orders.filter((o) => o.type === "ASK");
  const book = createOrderBook({ views: data });
  for (const o of orders) book.add(o);
  const views = createMarketViews(data);

  const entry = (o: MarketOrder): MatchEntry => ({
    id: o.id.toString(),
    author: o.author,
    price: o.price.toString(),
    usdPerHour: formatUsdPerHour(o.price),
  });
  const matchOptions = { limit };
  const results: RunMatchCommandReturnType["results"] = [];
  const verdicts: PairVerdict[] = [];
  const verdict = (bid: MarketOrder, ask: MarketOrder): PairVerdict => {
    const why: MatchExplanation = explainMatch({ bid, ask }, views);
    const pair = { bid: bid.id.toString(), ask: ask.id.toString() };
    return why.matched ? { ...pair, matched: true } : {
      ...pair,
      matched: false,
      rule: why.rule,
      name: why.name,
      contractError: why.contractError,
      condition: why.condition,
      values: why.values,
    };
  };

  if (options.ask !== undefined && options.bid !== undefined) {
    verdicts.push(verdict(find(options.bid, "BID"), find(options.ask, "ASK")));
  } else if (options.ask !== undefined) {
    const ask = find(options.ask, "ASK");
    const ids = book.matchAsk(ask, matchOptions);
    results.push({
      order: ask.id.toString(),
      type: "ASK",
      matches: ids.map((id) => entry(get(id))),
    });
    if (explain) { for (const bid of bids) verdicts.push(verdict(bid, ask)); }
  } else if (options.bid !== undefined) {
    const bid = find(options.bid, "BID");
    const ids = book.matchBid(bid, matchOptions);
    results.push({
      order: bid.id.toString(),
      type: "BID",
      matches: ids.map((id) => entry(get(id))),
    });
    if (explain) { for (const ask of asks) verdicts.push(verdict(bid, ask)); }
  } else {
    for (const ask of asks) {
      const ids = ask.active ? book.matchAsk(ask, matchOptions) : [];
      results.push({
        order: ask.id.toString(),
        type: "ASK",
        matches: ids.map((id) => entry(get(id))),
      });
      if (explain) { for (const bid of bids) verdicts.push(verdict(bid, ask)); }
    }
  }
  function get(id: bigint): MarketOrder {
    return byId.get(id.toString()) as MarketOrder;
  }

  return {
    file: { path: ordersPath, bids: bids.length, asks: asks.length },
    results,
    ...(verdicts.length > 0 || explain ? { verdicts } : {}),
  };
}

function normalizeId(id: string, type: string): string {
  if (!/^(0|[1-9][0-9]*)$/.test(id)) {
    throw new AgentError(`Cannot match ${type} "${id}": the id must be a decimal integer`, {
      badInput: true,
    });
  }
  return id;
}
