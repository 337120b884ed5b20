import assert from "node:assert/strict";
import { computeEarnings, type EarningsDeal, tokensToUsd } from "./_earnings.ts";

const WAD = 10n ** 18n;
const NO_POWER = { idleWatts: 0, loadWatts: 0, pricePerKwh: 0 };

function deal(over: Partial<EarningsDeal> = {}): EarningsDeal {
  return {
    id: 1n,
    price: 10n ** 14n, // 0.36 USD/h: 1e14 USD-wei per second
    duration: 0n,
    startTime: 1000n,
    endTime: 0n,
    lastBillTime: 1000n,
    open: true,
    ...over,
  };
}

Deno.test("computeEarnings() sums settled bills and converts them at the rate", () => {
  const r = computeEarnings({
    deals: [deal({ open: false })],
    bills: [{ dealId: 1n, paid: 3n * WAD, t: 2000 }, { dealId: 1n, paid: WAD, t: 3000 }],
    rate: 2n * WAD,
    now: 4000,
    since: 1000,
    power: NO_POWER,
  });
  assert.equal(r.settledTokens, "4");
  assert.equal(r.settledUsd, 2);
  assert.equal(r.pendingTokens, "0");
  assert.deepEqual(r.series.map((p) => [p.t, p.settledTokens]), [
    [1000, 0],
    [2000, 3],
    [3000, 4],
    [4000, 4],
  ]);
});

Deno.test("computeEarnings() accrues an open deal from its last bill at its price", () => {
  const r = computeEarnings({
    deals: [deal({ lastBillTime: 2000n })],
    bills: [{ dealId: 1n, paid: WAD, t: 2000 }],
    rate: 3n * WAD,
    now: 2100,
    since: 1000,
    power: NO_POWER,
  });
  // 100 s at 1e14 USD-wei/s = 1e16 USD-wei = 0.01 USD = 0.03 tokens
  assert.equal(r.pendingUsd, 0.01);
  assert.equal(r.pendingTokens, "0.03");
  assert.deepEqual(r.pendingByDeal.get(1n), { tokens: 3n * 10n ** 16n, usdWei: 10n ** 16n });
});

Deno.test("computeEarnings() stops a forward deal's accrual at its end", () => {
  const r = computeEarnings({
    deals: [deal({ duration: 500n, endTime: 1500n })],
    bills: [],
    rate: WAD,
    now: 9000,
    since: 1000,
    power: NO_POWER,
  });
  assert.equal(r.pendingByDeal.get(1n)!.usdWei, 500n * 10n ** 14n);
});

Deno.test("computeEarnings() charges idle watts when idle and load watts while a deal runs", () => {
  // 1 h idle at 100 W, then 1 h busy at 1000 W, at 0.5 USD/kWh: 0.05 + 0.5 USD
  const r = computeEarnings({
    deals: [deal({ startTime: 3600n, lastBillTime: 3600n, price: 0n })],
    bills: [],
    rate: WAD,
    now: 7200,
    since: 0,
    power: { idleWatts: 100, loadWatts: 1000, pricePerKwh: 0.5 },
  });
  assert.ok(Math.abs(r.electricityUsd - 0.55) < 1e-9, String(r.electricityUsd));
  assert.ok(Math.abs(r.netUsd + 0.55) < 1e-9);
});

Deno.test("computeEarnings() reports 0 USD and 0 pending tokens when the rate is unknown", () => {
  const r = computeEarnings({
    deals: [deal()],
    bills: [{ dealId: 1n, paid: WAD, t: 1500 }],
    rate: undefined,
    now: 2000,
    since: 1000,
    power: NO_POWER,
  });
  assert.equal(r.settledUsd, 0);
  assert.equal(r.pendingTokens, "0");
  assert.ok(r.pendingUsd > 0, "pending USD needs only the price");
});

Deno.test("computeEarnings() thins a long series to maxPoints, keeping it cumulative", () => {
  const bills = Array.from({ length: 1000 }, (_, i) => ({ dealId: 1n, paid: WAD, t: 1001 + i }));
  const r = computeEarnings({
    deals: [deal({ open: false })],
    bills,
    rate: WAD,
    now: 5000,
    since: 1000,
    power: NO_POWER,
    maxPoints: 50,
  });
  assert.equal(r.series.length, 50);
  assert.equal(r.series.at(-1)!.settledTokens, 1000);
  for (let i = 1; i < r.series.length; i++) {
    assert.ok(r.series[i]!.settledTokens >= r.series[i - 1]!.settledTokens);
    assert.ok(r.series[i]!.t > r.series[i - 1]!.t);
  }
});

Deno.test("tokensToUsd() divides by the rate and is 0 without one", () => {
  assert.equal(tokensToUsd(5n * WAD, 2n * WAD), 2.5);
  assert.equal(tokensToUsd(5n * WAD, undefined), 0);
});

Deno.test("computeEarnings() charges idle watts always and the load only for the part of the rig sold", () => {
  // idle 50 W, full load 150 W, 1 USD/kWh; a plan selling 1 of 2 cores, open for the 2nd hour
  const power = { idleWatts: 50, loadWatts: 150, pricePerKwh: 1 };
  const r = computeEarnings({
    deals: [deal({ startTime: 3600n, lastBillTime: 3600n, share: 0.5 })],
    bills: [],
    rate: WAD,
    now: 7200,
    since: 0,
    power,
  });
  // 1 h idle (50 Wh) + 1 h at 50 + 100 x 0.5 W (100 Wh): 0.15 USD, not 50 + 150 Wh = 0.2
  assert.ok(Math.abs(r.electricityUsd - 0.15) < 1e-9, String(r.electricityUsd));
  assert.ok(Math.abs(r.perHour.electricityUsd - 0.1) < 1e-9, String(r.perHour.electricityUsd));
  // two half-rig deals at once draw the full load; shares never count past the whole rig
  const both = computeEarnings({
    deals: [
      deal({ id: 1n, startTime: 0n, share: 0.5 }),
      deal({ id: 2n, startTime: 0n, share: 0.5 }),
      deal({ id: 3n, startTime: 0n, share: 0.5 }),
    ],
    bills: [],
    rate: WAD,
    now: 3600,
    since: 0,
    power,
  });
  assert.ok(Math.abs(both.electricityUsd - 0.15) < 1e-9, String(both.electricityUsd));
});

Deno.test("computeEarnings() tells what today and this week earned, and the rate per hour now", () => {
  const day = 86_400;
  // 0.36 USD/h since the start of the week; billed at the start of today; 2 h into today
  const r = computeEarnings({
    deals: [deal({ startTime: 0n, lastBillTime: BigInt(3 * day) })],
    bills: [{ dealId: 1n, paid: 3n * 24n * 36n * WAD / 100n, t: 3 * day }],
    rate: WAD,
    now: 3 * day + 7200,
    since: 0,
    dayStart: 3 * day,
    weekStart: 0,
    power: { idleWatts: 100, loadWatts: 100, pricePerKwh: 0.5 },
  });
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-6, `${a} != ${b}`);
  close(r.today.earnedUsd, 0.72); // 2 h at 0.36 (pending)
  close(r.today.electricityUsd, 0.1); // 2 h at 100 W, 0.5 USD/kWh
  close(r.today.netUsd, 0.62);
  close(r.week.earnedUsd, 0.36 * 74); // settled 72 h + pending 2 h
  close(r.perHour.earnedUsd, 0.36);
  close(r.perHour.electricityUsd, 0.05);
  close(r.perHour.netUsd, 0.31);
});
