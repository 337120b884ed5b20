import assert from "node:assert/strict";
import { addr, ask, bid, expectPair } from "./_test_helpers.ts";
import { MARKET_RULES } from "./rules.ts";
import type { MarketOrder } from "./types.ts";
import { ZERO_ADDRESS } from "./types.ts";

const EDGES: readonly bigint[] = [0n, 1n << 32n, (1n << 53n) + 1n, (1n << 63n) - 1n];

Deno.test("MARKET_RULES lists the seven rules in the contract's order", () => {
  assert.deepEqual(MARKET_RULES.map((r) => r.number), [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(MARKET_RULES.map((r) => r.name), [
    "active-and-types",
    "counterparty",
    "blacklists",
    "price-and-duration",
    "identity",
    "netflags",
    "benchmarks",
  ]);
});

Deno.test("rule 1: an inactive ASK or BID never matches, the ASK is checked first", () => {
  expectPair({ bid: bid(), ask: ask() }, { matched: true });
  const a = expectPair({ bid: bid(), ask: ask({ active: false }) }, {
    rule: 1,
    contractError: "OrderNotActive",
  });
  assert.equal(!a.matched && a.condition, "ask.active");
  const b = expectPair({ bid: bid({ active: false }), ask: ask({ active: false }) }, {
    rule: 1,
    contractError: "OrderNotActive",
  });
  assert.equal(!b.matched && b.condition, "ask.active");
  expectPair({ bid: bid({ active: false }), ask: ask() }, {
    rule: 1,
    contractError: "OrderNotActive",
  });
});

Deno.test("rule 1: a BID in the ASK's place (or the reverse) is a type mismatch", () => {
  expectPair({ bid: bid(), ask: ask({ type: "BID" }) }, {
    rule: 1,
    contractError: "OrderTypeMismatch",
  });
  expectPair({ bid: bid({ type: "ASK" }), ask: ask() }, {
    rule: 1,
    contractError: "OrderTypeMismatch",
  });
});

Deno.test("rule 2: ask.counterparty must be master(bid.author), not the worker itself", () => {
  const worker = addr(1), master = addr(9);
  const views = { masters: [{ worker, master }] };
  expectPair({ bid: bid(), ask: ask({ counterparty: addr(1) }) }, { matched: true });
  expectPair({ bid: bid(), ask: ask({ counterparty: master }), views }, { matched: true });
  expectPair({ bid: bid(), ask: ask({ counterparty: worker }), views }, {
    rule: 2,
    contractError: "CounterpartyMismatch",
  });
  expectPair({ bid: bid(), ask: ask({ counterparty: addr(7) }) }, {
    rule: 2,
    contractError: "CounterpartyMismatch",
  });
});

Deno.test("rule 2: bid.counterparty must be master(ask.author)", () => {
  const worker = addr(2), master = addr(8);
  const views = { masters: [{ worker, master }] };
  expectPair({ bid: bid({ counterparty: addr(2) }), ask: ask() }, { matched: true });
  expectPair({ bid: bid({ counterparty: master }), ask: ask(), views }, { matched: true });
  const why = expectPair({ bid: bid({ counterparty: worker }), ask: ask(), views }, {
    rule: 2,
    contractError: "CounterpartyMismatch",
  });
  assert.deepEqual(!why.matched && why.values, {
    "bid.counterparty": worker,
    "master(ask.author)": master,
  });
});

Deno.test("rule 3: each of the seven blacklist checks refuses the pair", () => {
  const bidAuthor = addr(1), askAuthor = addr(2), askMaster = addr(5);
  const bidList = addr(6), askList = addr(7);
  const masters = [{ worker: askAuthor, master: askMaster }];
  const forms: [owner: MarketOrder["author"], listed: MarketOrder["author"]][] = [
    [bidList, askMaster],
    [bidList, askAuthor],
    [bidAuthor, askMaster],
    [bidAuthor, askAuthor],
    [askList, bidAuthor],
    [askMaster, bidAuthor],
    [askAuthor, bidAuthor],
  ];
  const b = bid({ blacklist: bidList }), a = ask({ blacklist: askList });
  expectPair({ bid: b, ask: a, views: { masters } }, { matched: true });
  for (const [owner, listed] of forms) {
    const why = expectPair(
      { bid: b, ask: a, views: { masters, blacklists: [{ owner, listed }] } },
      {
        rule: 3,
        contractError: "Blacklisted",
      },
    );
    assert.ok(!why.matched && Object.values(why.values).includes(owner), `${owner} ${listed}`);
  }
  // Lists that do not apply: the ASK author listing someone else, the BID's list naming a stranger.
  expectPair({
    bid: b,
    ask: a,
    views: {
      masters,
      blacklists: [{ owner: askAuthor, listed: addr(3) }, { owner: bidList, listed: addr(4) }],
    },
  }, { matched: true });
});

Deno.test("rule 3: owner 0 (no extra blacklist) is skipped, as in the contract", () => {
  const views = { blacklists: [{ owner: ZERO_ADDRESS, listed: addr(2) }] };
  expectPair({ bid: bid(), ask: ask(), views }, { matched: true });
});

Deno.test("rule 4: prices compare exactly at 0, 2^32, 2^53 + 1, 2^63 - 1 and 2^80", () => {
  for (const v of [...EDGES, 1n << 80n]) {
    expectPair({ bid: bid({ price: v }), ask: ask({ price: v }) }, { matched: true });
    if (v > 0n) {
      const why = expectPair({ bid: bid({ price: v - 1n }), ask: ask({ price: v }) }, {
        rule: 4,
        contractError: "PriceTooHigh",
      });
      assert.deepEqual(!why.matched && why.values, {
        "ask.price": v.toString(),
        "bid.price": (v - 1n).toString(),
      });
      expectPair({ bid: bid({ price: v }), ask: ask({ price: v - 1n }) }, { matched: true });
    }
  }
});

Deno.test("rule 4: a spot ASK serves only spot BIDs, a spot BID may take a forward ASK", () => {
  expectPair({ bid: bid({ duration: 0n }), ask: ask({ duration: 0n }) }, { matched: true });
  expectPair({ bid: bid({ duration: 0n }), ask: ask({ duration: 3600n }) }, { matched: true });
  expectPair({ bid: bid({ duration: 3600n }), ask: ask({ duration: 0n }) }, {
    rule: 4,
    contractError: "DurationTooShort",
  });
  const max = 315_360_000n;
  expectPair({ bid: bid({ duration: max }), ask: ask({ duration: max }) }, { matched: true });
  expectPair({ bid: bid({ duration: max }), ask: ask({ duration: max - 1n }) }, {
    rule: 4,
    contractError: "DurationTooShort",
  });
});

Deno.test("rule 5: each author's level must reach the other side's requirement", () => {
  const levels = [{ address: addr(1), level: 2 as const }, { address: addr(2), level: 1 as const }];
  expectPair({ bid: bid(), ask: ask({ identityLevel: 2 }), views: { levels } }, { matched: true });
  const a = expectPair({ bid: bid(), ask: ask({ identityLevel: 3 }), views: { levels } }, {
    rule: 5,
    contractError: "IdentityTooLow",
  });
  assert.deepEqual(!a.matched && a.values, {
    "level(bid.author)": "2",
    "ask.identityLevel": "3",
  });
  expectPair({ bid: bid({ identityLevel: 1 }), ask: ask(), views: { levels } }, {
    matched: true,
  });
  expectPair({ bid: bid({ identityLevel: 2 }), ask: ask(), views: { levels } }, {
    rule: 5,
    contractError: "IdentityTooLow",
  });
  // Unknown addresses are anonymous (0).
  expectPair({ bid: bid({ identityLevel: 1 }), ask: ask() }, {
    rule: 5,
    contractError: "IdentityTooLow",
  });
});

Deno.test("rule 6: every netflag the BID needs must be offered, over the longer array", () => {
  expectPair({ bid: bid({ netflags: [] }), ask: ask({ netflags: [true, true, true] }) }, {
    matched: true,
  });
  expectPair({ bid: bid({ netflags: [true, false] }), ask: ask({ netflags: [true] }) }, {
    matched: true,
  });
  // The original contract's bug: a short BID array was never checked. Here it is.
  const why = expectPair({
    bid: bid({ netflags: [false, false, true] }),
    ask: ask({ netflags: [true, true] }),
  }, { rule: 6, contractError: "NetflagMissing" });
  assert.equal(
    !why.matched && why.condition,
    "ask.netflags[2] offered when bid.netflags[2] is needed",
  );
  expectPair({ bid: bid({ netflags: [true] }), ask: ask({ netflags: [] }) }, {
    rule: 6,
    contractError: "NetflagMissing",
  });
  expectPair(
    { bid: bid({ netflags: [false, true] }), ask: ask({ netflags: [true, false, true] }) },
    {
      rule: 6,
      contractError: "NetflagMissing",
    },
  );
});

Deno.test("rule 7: benchmarks compare as unsigned 64-bit at 0, 2^32, 2^53 + 1, 2^63 - 1", () => {
  for (const index of [0, 7, 14]) {
    for (const v of EDGES) {
      const at = (x: bigint): bigint[] =>
        Array.from({ length: index + 1 }, (_, i) => i === index ? x : 0n);
      expectPair({ bid: bid({ benchmarks: at(v) }), ask: ask({ benchmarks: at(v) }) }, {
        matched: true,
      });
      if (v > 0n) {
        const why = expectPair({
          bid: bid({ benchmarks: at(v) }),
          ask: ask({ benchmarks: at(v - 1n) }),
        }, { rule: 7, contractError: "BenchmarkTooLow" });
        assert.deepEqual(!why.matched && why.values, {
          [`ask.benchmarks[${index}]`]: (v - 1n).toString(),
          [`bid.benchmarks[${index}]`]: v.toString(),
        });
        expectPair({ bid: bid({ benchmarks: at(v - 1n) }), ask: ask({ benchmarks: at(v) }) }, {
          matched: true,
        });
      }
    }
  }
});

Deno.test("rule 7: a missing benchmark is 0 on either side", () => {
  expectPair({ bid: bid({ benchmarks: [5n] }), ask: ask({ benchmarks: [5n, 1n, 1n] }) }, {
    matched: true,
  });
  expectPair({ bid: bid({ benchmarks: [5n, 0n, 1n] }), ask: ask({ benchmarks: [5n] }) }, {
    rule: 7,
    contractError: "BenchmarkTooLow",
  });
  expectPair({ bid: bid({ benchmarks: [0n, 0n, 0n] }), ask: ask({ benchmarks: [] }) }, {
    matched: true,
  });
  // The high halves decide: 2^32 beats 2^32 - 1 although its low half is 0.
  expectPair({
    bid: bid({ benchmarks: [(1n << 32n) - 1n] }),
    ask: ask({ benchmarks: [1n << 32n] }),
  }, { matched: true });
  expectPair({
    bid: bid({ benchmarks: [1n << 32n] }),
    ask: ask({ benchmarks: [(1n << 32n) - 1n] }),
  }, { rule: 7, contractError: "BenchmarkTooLow" });
});

Deno.test("explainMatch() names the first failing rule when several fail", () => {
  const b = bid({ price: 1n, benchmarks: [9n], netflags: [true] });
  const a = ask({ price: 2n, benchmarks: [1n], counterparty: addr(7) });
  expectPair({ bid: b, ask: a }, { rule: 2, contractError: "CounterpartyMismatch" });
  expectPair({ bid: b, ask: { ...a, counterparty: ZERO_ADDRESS } }, {
    rule: 4,
    contractError: "PriceTooHigh",
  });
  expectPair({ bid: b, ask: { ...a, counterparty: ZERO_ADDRESS, price: 1n } }, {
    rule: 6,
    contractError: "NetflagMissing",
  });
});
