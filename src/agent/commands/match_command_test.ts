import assert from "node:assert/strict";
import { join } from "node:path";
import { AgentError } from "../../errors.ts";
import { MarketFileError } from "../../matcher/mod.ts";
import { runMatchCommand } from "./match_command.ts";

const A = "0x00000000000000000000000000000000000000a1";
const B = "0x00000000000000000000000000000000000000b2";
const C = "0x00000000000000000000000000000000000000c3";

/** 1 USD/h in USD x 1e18 per second. */
const USD_H = 10n ** 18n / 3600n;

function order(id: number, type: "BID" | "ASK", over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    kind: "order",
    id: String(id),
    type,
    author: type === "BID" ? A : B,
    duration: "3600",
    price: String(USD_H),
    benchmarks: ["100"],
    ...over,
  });
}

async function withFile(lines: string[], fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sonm-match-" });
  try {
    const path = join(dir, "market.jsonl");
    await Deno.writeTextFile(path, lines.join("\n") + "\n");
    await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const MARKET = [
  order(1, "BID", { price: String(2n * USD_H) }),
  order(2, "BID", { price: String(3n * USD_H) }),
  order(3, "BID", { benchmarks: ["101"] }),
  order(4, "BID", { author: C }),
  order(10, "ASK"),
  order(11, "ASK", { price: String(5n * USD_H) }),
  JSON.stringify({ kind: "blacklist", owner: C, listed: B }),
  JSON.stringify({ kind: "level", address: A, level: 1 }),
];

Deno.test("runMatchCommand() lists the BIDs an ASK satisfies, best first", async () => {
  await withFile(MARKET, async (path) => {
    const r = await runMatchCommand({ ordersPath: path, ask: "10" });
    assert.deepEqual(r.file, { path, bids: 4, asks: 2 });
    assert.deepEqual(r.results[0]?.matches.map((m) => m.id), ["2", "1"]);
    assert.equal(r.results[0]?.matches[0]?.usdPerHour, "3");
    assert.equal(r.verdicts, undefined);
    const limited = await runMatchCommand({ ordersPath: path, ask: "10", limit: 1 });
    assert.deepEqual(limited.results[0]?.matches.map((m) => m.id), ["2"]);
  });
});

Deno.test("runMatchCommand() with --explain names each pair's first failing rule", async () => {
  await withFile(MARKET, async (path) => {
    const r = await runMatchCommand({ ordersPath: path, ask: "10", explain: true });
    const by = new Map(r.verdicts?.map((v) => [v.bid, v]));
    assert.equal(by.get("1")?.matched, true);
    const three = by.get("3");
    assert.ok(three !== undefined && !three.matched);
    assert.equal(three.contractError, "BenchmarkTooLow");
    assert.deepEqual(three.values, { "ask.benchmarks[0]": "100", "bid.benchmarks[0]": "101" });
    const four = by.get("4");
    assert.ok(four !== undefined && !four.matched);
    assert.equal(four.name, "blacklists");
    assert.equal(three.rule, 7);
    assert.equal(three.name, "benchmarks");
    // One pair: --ask and --bid.
    const pair = await runMatchCommand({ ordersPath: path, ask: "11", bid: "2" });
    assert.equal(pair.verdicts?.length, 1);
    assert.equal(
      pair.verdicts?.[0]?.matched === false && pair.verdicts[0].contractError,
      "PriceTooHigh",
    );
  });
});

Deno.test("runMatchCommand() lists the ASKs a BID fits, and every ASK's matches", async () => {
  await withFile(MARKET, async (path) => {
    const r = await runMatchCommand({ ordersPath: path, bid: "2" });
    assert.deepEqual(r.results[0]?.matches.map((m) => m.id), ["10"]);
    const all = await runMatchCommand({ ordersPath: path });
    assert.deepEqual(all.results.map((x) => [x.order, x.matches.length]), [["10", 2], ["11", 0]]);
  });
});

Deno.test("runMatchCommand() rejects a bad line with its number, and unknown ids", async () => {
  await withFile([...MARKET.slice(0, 2), order(5, "BID", { price: "-3" })], async (path) => {
    await assert.rejects(
      runMatchCommand({ ordersPath: path }),
      (e: unknown) =>
        e instanceof MarketFileError && e.line === 3 &&
        /price must not be negative/.test(e.message),
    );
  });
  await withFile(MARKET, async (path) => {
    await assert.rejects(runMatchCommand({ ordersPath: path, ask: "99" }), /no order with that id/);
    await assert.rejects(runMatchCommand({ ordersPath: path, ask: "1" }), /order "1" is a BID/);
    await assert.rejects(runMatchCommand({ ordersPath: path, bid: "x" }), /decimal integer/);
  });
  await assert.rejects(
    runMatchCommand({ ordersPath: "/nonexistent/market.jsonl" }),
    (e: unknown) => e instanceof AgentError && e.badInput && /it does not exist/.test(e.message),
  );
  await assert.rejects(
    runMatchCommand({ ordersPath: "/tmp" }),
    (e: unknown) => e instanceof AgentError && e.badInput && /it is a directory/.test(e.message),
  );
});

Deno.test("runMatchCommand() quotes a value nested 100,001 arrays deep with bounded work", async () => {
  const deep = "[".repeat(100_001) + "]".repeat(100_001);
  const line = `{"kind":"order","id":"1","type":"BID","author":"0x${
    "a".repeat(40)
  }","duration":"0","price":${deep}}`;
  await withFile([line], async (path) => {
    const error = await runMatchCommand({ ordersPath: path }).catch((e) => e);
    assert.ok(error instanceof MarketFileError, String(error));
    assert.equal(error.badInput, true);
    assert.ok(error.message.length < 400, error.message.slice(0, 400));
    assert.match(error.message, /line 1: .*price .*current value is \[\[\[/);
  });
  await withFile([`{"kind":${deep}}`], async (path) => {
    const error = await runMatchCommand({ ordersPath: path }).catch((e) => e);
    assert.ok(error instanceof MarketFileError, String(error));
    assert.ok(error.message.length < 400);
  });
});
