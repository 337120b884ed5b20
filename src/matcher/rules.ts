/**
 * The market rules as a table of named checks, in the order of DESIGN.md
 * ("The market rules") and of the Market contract's openDeal, which reverts
 * with one custom error per rule. Each rule has a straightforward `holds`
 * over plain orders (the reference the columnar book is tested against) and
 * an `explain` that names the failing condition and its values.
 *
 * @module
 */
import type { MarketOrder, MarketViews } from "./types.ts";
import { ZERO_ADDRESS } from "./types.ts";

/** Why a rule fails for a pair: the condition and the values involved (as strings). */
export type RuleViolation = {
  /** The Market contract's custom error for this condition, like `PriceTooHigh`. */
  readonly contractError: string;
  /** The failing condition, like `ask.price <= bid.price`. */
  readonly condition: string;
  /** The values the condition compared. */
  readonly values: Readonly<Record<string, string>>;
};

/** The names of the market rules, in check order. */
export type MarketRuleName =
  | "active-and-types"
  | "counterparty"
  | "blacklists"
  | "price-and-duration"
  | "identity"
  | "netflags"
  | "benchmarks";

/** One market rule: a named check over a BID, an ASK and the views. */
export type MarketRule = {
  /** 1-based position in the check order (DESIGN.md numbering). */
  readonly number: 1 | 2 | 3 | 4 | 5 | 6 | 7;
  readonly name: MarketRuleName;
  /** The Market contract's custom errors for this rule, in check order. */
  readonly contractErrors: readonly string[];
  /** One line for people. */
  readonly summary: string;
  /** Whether the rule holds for the pair. */
  readonly holds: (bid: MarketOrder, ask: MarketOrder, views: MarketViews) => boolean;
  /** The first failing condition of the rule; `undefined` when the rule holds. */
  readonly explain: (
    bid: MarketOrder,
    ask: MarketOrder,
    views: MarketViews,
  ) => RuleViolation | undefined;
};

const isZero = (a: string): boolean => a.toLowerCase() === ZERO_ADDRESS;
const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

function activeAndTypes(bid: MarketOrder, ask: MarketOrder): RuleViolation | undefined {
  const e = (contractError: string, condition: string, key: string, value: string) => ({
    contractError,
    condition,
    values: { [key]: value },
  });
  if (!ask.active) return e("OrderNotActive", "ask.active", "ask.active", "false");
  if (!bid.active) return e("OrderNotActive", "bid.active", "bid.active", "false");
  if (ask.type !== "ASK") return e("OrderTypeMismatch", "ask.type = ASK", "ask.type", ask.type);
  if (bid.type !== "BID") return e("OrderTypeMismatch", "bid.type = BID", "bid.type", bid.type);
  return undefined;
}

function counterparty(
  bid: MarketOrder,
  ask: MarketOrder,
  views: MarketViews,
): RuleViolation | undefined {
  if (!isZero(ask.counterparty)) {
    const m = views.masterOf(bid.author);
    if (!same(ask.counterparty, m)) {
      return {
        contractError: "CounterpartyMismatch",
        condition: "ask.counterparty = 0 or master(bid.author)",
        values: { "ask.counterparty": ask.counterparty, "master(bid.author)": m },
      };
    }
  }
  if (!isZero(bid.counterparty)) {
    const m = views.masterOf(ask.author);
    if (!same(bid.counterparty, m)) {
      return {
        contractError: "CounterpartyMismatch",
        condition: "bid.counterparty = 0 or master(ask.author)",
        values: { "bid.counterparty": bid.counterparty, "master(ask.author)": m },
      };
    }
  }
  return undefined;
}

function blacklists(
  bid: MarketOrder,
  ask: MarketOrder,
  views: MarketViews,
): RuleViolation | undefined {
  const askMaster = views.masterOf(ask.author);
  const checks: [ownerName: string, owner: string, whoName: string, who: string][] = [
    ["bid.blacklist", bid.blacklist, "master(ask.author)", askMaster],
    ["bid.blacklist", bid.blacklist, "ask.author", ask.author],
    ["bid.author", bid.author, "master(ask.author)", askMaster],
    ["bid.author", bid.author, "ask.author", ask.author],
    ["ask.blacklist", ask.blacklist, "bid.author", bid.author],
    ["master(ask.author)", askMaster, "bid.author", bid.author],
    ["ask.author", ask.author, "bid.author", bid.author],
  ];
  for (const [ownerName, owner, whoName, who] of checks) {
    // An owner of 0 (no extra blacklist) is skipped, as in the contract.
    if (isZero(owner)) continue;
    if (views.listed(owner as MarketOrder["author"], who as MarketOrder["author"])) {
      return {
        contractError: "Blacklisted",
        condition: `${whoName} not listed by ${ownerName}`,
        values: { [ownerName]: owner, [whoName]: who },
      };
    }
  }
  return undefined;
}

function priceAndDuration(bid: MarketOrder, ask: MarketOrder): RuleViolation | undefined {
  if (ask.price > bid.price) {
    return {
      contractError: "PriceTooHigh",
      condition: "ask.price <= bid.price",
      values: { "ask.price": ask.price.toString(), "bid.price": bid.price.toString() },
    };
  }
  if (ask.duration < bid.duration) {
    return {
      contractError: "DurationTooShort",
      condition: "ask.duration >= bid.duration",
      values: { "ask.duration": ask.duration.toString(), "bid.duration": bid.duration.toString() },
    };
  }
  return undefined;
}

function identity(
  bid: MarketOrder,
  ask: MarketOrder,
  views: MarketViews,
): RuleViolation | undefined {
  const bidLevel = views.levelOf(bid.author);
  if (bidLevel < ask.identityLevel) {
    return {
      contractError: "IdentityTooLow",
      condition: "level(bid.author) >= ask.identityLevel",
      values: {
        "level(bid.author)": String(bidLevel),
        "ask.identityLevel": String(ask.identityLevel),
      },
    };
  }
  const askLevel = views.levelOf(ask.author);
  if (askLevel < bid.identityLevel) {
    return {
      contractError: "IdentityTooLow",
      condition: "level(ask.author) >= bid.identityLevel",
      values: {
        "level(ask.author)": String(askLevel),
        "bid.identityLevel": String(bid.identityLevel),
      },
    };
  }
  return undefined;
}

function netflags(bid: MarketOrder, ask: MarketOrder): RuleViolation | undefined {
  const n = Math.max(bid.netflags.length, ask.netflags.length);
  for (let i = 0; i < n; i++) {
    if ((bid.netflags[i] ?? false) && !(ask.netflags[i] ?? false)) {
      return {
        contractError: "NetflagMissing",
        condition: `ask.netflags[${i}] offered when bid.netflags[${i}] is needed`,
        values: { [`bid.netflags[${i}]`]: "true", [`ask.netflags[${i}]`]: "false" },
      };
    }
  }
  return undefined;
}

function benchmarks(bid: MarketOrder, ask: MarketOrder): RuleViolation | undefined {
  const n = Math.max(bid.benchmarks.length, ask.benchmarks.length);
  for (let i = 0; i < n; i++) {
    const a = ask.benchmarks[i] ?? 0n;
    const b = bid.benchmarks[i] ?? 0n;
    if (a < b) {
      return {
        contractError: "BenchmarkTooLow",
        condition: `ask.benchmarks[${i}] >= bid.benchmarks[${i}]`,
        values: { [`ask.benchmarks[${i}]`]: a.toString(), [`bid.benchmarks[${i}]`]: b.toString() },
      };
    }
  }
  return undefined;
}

/** The market rules in check order (DESIGN.md numbering, the contract's order). */
export const MARKET_RULES: readonly MarketRule[] = Object.freeze(
  [
    {
      number: 1,
      name: "active-and-types",
      contractErrors: ["OrderNotActive", "OrderTypeMismatch"],
      summary: "both orders are active; the BID is a BID and the ASK an ASK",
      holds: (bid, ask) => bid.type === "BID" && ask.type === "ASK" && bid.active && ask.active,
      explain: activeAndTypes,
    },
    {
      number: 2,
      name: "counterparty",
      contractErrors: ["CounterpartyMismatch"],
      summary: "each side's counterparty is 0 or the other side's master",
      holds: (bid, ask, views) =>
        (isZero(ask.counterparty) || same(ask.counterparty, views.masterOf(bid.author))) &&
        (isZero(bid.counterparty) || same(bid.counterparty, views.masterOf(ask.author))),
      explain: counterparty,
    },
    {
      number: 3,
      name: "blacklists",
      contractErrors: ["Blacklisted"],
      summary: "neither side is in a blacklist that applies to the pair (owner 0 is skipped)",
      holds: (bid, ask, views) => blacklists(bid, ask, views) === undefined,
      explain: blacklists,
    },
    {
      number: 4,
      name: "price-and-duration",
      contractErrors: ["PriceTooHigh", "DurationTooShort"],
      summary: "ask.price <= bid.price and ask.duration >= bid.duration",
      holds: (bid, ask) => ask.price <= bid.price && ask.duration >= bid.duration,
      explain: priceAndDuration,
    },
    {
      number: 5,
      name: "identity",
      contractErrors: ["IdentityTooLow"],
      summary: "each author's profile level reaches the level the other side requires",
      holds: (bid, ask, views) =>
        views.levelOf(bid.author) >= ask.identityLevel &&
        views.levelOf(ask.author) >= bid.identityLevel,
      explain: identity,
    },
    {
      number: 6,
      name: "netflags",
      contractErrors: ["NetflagMissing"],
      summary: "the ASK offers every netflag the BID needs",
      holds: (bid, ask) => netflags(bid, ask) === undefined,
      explain: netflags,
    },
    {
      number: 7,
      name: "benchmarks",
      contractErrors: ["BenchmarkTooLow"],
      summary: "every ASK benchmark is at least the BID's (unsigned 64-bit)",
      holds: (bid, ask) => {
        const n = Math.max(bid.benchmarks.length, ask.benchmarks.length);
        for (let i = 0; i < n; i++) {
          if ((ask.benchmarks[i] ?? 0n) < (bid.benchmarks[i] ?? 0n)) return false;
        }
        return true;
      },
      explain: benchmarks,
    },
  ] satisfies MarketRule[],
);
