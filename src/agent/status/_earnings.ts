import { formatTokenAmount } from "../../chain/mod.ts";
import type { EarningsPoint, EarningsStatus, PeriodEarnings } from "../../dashboard/mod.ts";

const WAD = 10n ** 18n;

/** A deal as the earnings need it (chain values: USD wei per second, unix seconds). */
export type EarningsDeal = {
  id: bigint;
  price: bigint;
  /** Seconds, 0 = spot. */
  duration: bigint;
  startTime: bigint;
  endTime: bigint;
  lastBillTime: bigint;
  open: boolean;
  /**
   * The part of the rig the deal's plan sells (0-1: its GPUs' or cores' share), for its
   * share of the load power. @default {1: the whole rig}
   */
  share?: number | undefined;
};

/** One bill: tokens paid to the supplier at unix second `t`. */
export type EarningsBill = { dealId: bigint; paid: bigint; t: number };

/** What {@linkcode computeEarnings} needs. */
export type EarningsInput = {
  deals: readonly EarningsDeal[];
  bills: readonly EarningsBill[];
  /** Token wei per USD, or undefined when unknown (USD figures are then 0). */
  rate: bigint | undefined;
  /** Unix seconds. */
  now: number;
  /** Unix seconds from which electricity counts (the agent's first run). */
  since: number;
  power: { idleWatts: number; loadWatts: number; pricePerKwh: number };
  /** Unix seconds when today and this week began (the rig's clock). @default {24 h and 7 days ago} */
  dayStart?: number | undefined;
  weekStart?: number | undefined;
  /** Most points in the series (bills are bucketed beyond it). @default {300} */
  maxPoints?: number | undefined;
};

/** Totals plus, per open deal, what it accrued since its last bill. */
export type EarningsResult = Omit<EarningsStatus, "rate"> & {
  pendingByDeal: Map<bigint, { tokens: bigint; usdWei: bigint }>;
};

/**
 * Token wei to USD as a number, at `rate` token wei per USD (0 when unknown).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tokensToUsd } from "./_earnings.ts";
 * assert.equal(tokensToUsd(3n * 10n ** 18n, 2n * 10n ** 18n), 1.5);
 * ```
 */
export function tokensToUsd(tokens: bigint, rate: bigint | undefined): number {
  if (rate === undefined || rate === 0n) return 0;
  return Number(tokens * WAD / rate) / 1e18;
}

/**
 * The rig's earnings: settled (billed, from the bills), pending (accrued
 * since each open deal's last bill, at its price, as the next bill would pay
 * it: `price * seconds * rate / 1e18`, capped at a forward deal's end), the
 * electricity spent since `since` (idle watts always, plus the rest up to
 * load watts in proportion to the part of the rig the open deals bought) and
 * the net profit; what today and this week earned (settled and pending
 * accrued in them, less their electricity) and the rate now per hour; plus a
 * cumulative series for a chart, one point per bill (bucketed to
 * `maxPoints`) and one for `now`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeEarnings } from "./_earnings.ts";
 * const wad = 10n ** 18n;
 * const r = computeEarnings({
 *   deals: [{ id: 1n, price: wad / 3600n, duration: 0n, startTime: 0n, endTime: 0n,
 *     lastBillTime: 3600n, open: true }], // 1 USD/h
 *   bills: [{ dealId: 1n, paid: 2n * wad, t: 3600 }],
 *   rate: 2n * wad, now: 7200, since: 0,
 *   power: { idleWatts: 0, loadWatts: 0, pricePerKwh: 0 },
 * });
 * assert.equal(r.settledUsd, 1);
 * assert.equal(r.pendingTokens, "1.9999999999999944"); // the price per second was truncated
 * ```
 */
export function computeEarnings(input: EarningsInput): EarningsResult {
  const { deals, bills, rate, now, since, power, maxPoints = 300 } = input;
  const billsByDeal = groupBills(bills);
  const NO_BILLS: number[] = [];
  const pendingAt = (deal: EarningsDeal, t: number): bigint => {
    const times = billsByDeal.get(deal.id) ?? NO_BILLS;
    const start = Number(deal.startTime);
    const lastOverall = times.at(-1) ?? start;
    if (!deal.open && t >= lastOverall) return 0n;
    // the last bill at or before t (the times are sorted)
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    let from = lo === 0 ? start : times[lo - 1]!;
    if (deal.open && t >= now) from = Math.max(from, Number(deal.lastBillTime));
    const end = deal.duration > 0n ? Math.min(t, Number(deal.endTime)) : t;
    return end > from ? deal.price * BigInt(Math.floor(end - from)) : 0n;
  };
  const pendingByDeal = new Map<bigint, { tokens: bigint; usdWei: bigint }>();
  let pendingUsdWei = 0n;
  let pendingTokens = 0n;
  for (const deal of deals.filter((d) => d.open)) {
    const usdWei = pendingAt(deal, now);
    const tokens = rate === undefined ? 0n : usdWei * rate / WAD;
    pendingByDeal.set(deal.id, { tokens, usdWei });
    pendingUsdWei += usdWei;
    pendingTokens += tokens;
  }
  const settledTokens = bills.reduce((sum, b) => sum + b.paid, 0n);
  const busy = busyIntervals(deals, billsByDeal, now);
  const electricity = (t: number) => electricityUsd(power, since, t, busy);
  const sortedBills = [...bills].sort((a, b) => a.t - b.t);
  /** Settled and pending USD at `t` (what the rig had earned by then). */
  const earnedAt = (t: number): number => {
    let settled = 0n;
    for (const b of sortedBills) if (b.t <= t) settled += b.paid;
    let pendingWei = 0n;
    for (const deal of deals) pendingWei += pendingAt(deal, t);
    return tokensToUsd(settled, rate) + Number(pendingWei) / 1e18;
  };
  const period = (start: number): PeriodEarnings => {
    const from = Math.min(start, now);
    const earnedUsd = earnedAt(now) - earnedAt(from);
    const electricityUsd = electricity(now) - electricity(Math.max(from, since));
    return { earnedUsd, electricityUsd, netUsd: earnedUsd - electricityUsd };
  };

  const sorted = sortedBills;
  const series: EarningsPoint[] = [];
  let cumulative = 0n;
  let next = 0;
  const firstStart = deals.reduce((min, d) => Math.min(min, Number(d.startTime)), now);
  // a deal accrues from its start to its last bill (closed) or on (open): only those count at t
  const spans = deals.map((deal) => ({
    deal,
    from: Number(deal.startTime),
    to: deal.open ? Infinity : (billsByDeal.get(deal.id)?.at(-1) ?? Number(deal.startTime)),
  })).sort((a, b) => a.from - b.from);
  for (const t of pointTimes(sorted.map((b) => b.t), firstStart, now, maxPoints)) {
    while (next < sorted.length && sorted[next]!.t <= t) cumulative += sorted[next++]!.paid;
    let pendingWei = 0n;
    for (const span of spans) {
      if (span.from > t) break;
      if (span.to > t) pendingWei += pendingAt(span.deal, t);
    }
    const settledUsd = tokensToUsd(cumulative, rate);
    const pendingUsd = Number(pendingWei) / 1e18;
    const spent = electricity(t);
    series.push({
      t,
      settledTokens: Number(cumulative) / 1e18,
      settledUsd,
      pendingTokens: rate === undefined ? 0 : Number(pendingWei * rate / WAD) / 1e18,
      pendingUsd,
      electricityUsd: spent,
      netUsd: settledUsd + pendingUsd - spent,
    });
  }
  const settledUsd = tokensToUsd(settledTokens, rate);
  const pendingUsd = Number(pendingUsdWei) / 1e18;
  const spent = electricity(now);
  const running = deals.filter((d) => d.open && (d.duration === 0n || Number(d.endTime) > now));
  const earningPerHour = running.reduce((sum, d) => sum + Number(d.price * 3600n) / 1e18, 0);
  const powerPerHour = wattsAt(power, running.reduce((sum, d) => sum + (d.share ?? 1), 0)) /
    1000 * power.pricePerKwh;
  return {
    settledTokens: formatTokenAmount(settledTokens),
    pendingTokens: formatTokenAmount(pendingTokens),
    settledUsd,
    pendingUsd,
    electricityUsd: spent,
    netUsd: settledUsd + pendingUsd - spent,
    today: period(input.dayStart ?? now - 86_400),
    week: period(input.weekStart ?? now - 7 * 86_400),
    perHour: {
      earnedUsd: earningPerHour,
      electricityUsd: powerPerHour,
      netUsd: earningPerHour - powerPerHour,
    },
    series,
    pendingByDeal,
  };
}

function groupBills(bills: readonly EarningsBill[]): Map<bigint, number[]> {
  const out = new Map<bigint, number[]>();
  for (const b of bills) {
    const list = out.get(b.dealId) ?? [];
    list.push(b.t);
    out.set(b.dealId, list);
  }
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}

/** The series' times: the first deal's start, the bills' (thinned to fit maxPoints), `now`. */
function pointTimes(times: number[], start: number, now: number, maxPoints: number): number[] {
  const unique = [...new Set(times)].filter((t) => t > start && t < now);
  const room = Math.max(1, maxPoints - 2);
  const step = unique.length > room ? unique.length / room : 1;
  const picked: number[] = [];
  for (let i = step - 1; i < unique.length; i += step) picked.push(unique[Math.floor(i)]!);
  return start < now ? [start, ...picked, now] : [now];
}

/** A span (unix s) in which a deal was open, with the part of the rig it bought. */
type BusySpan = { from: number; to: number; share: number };

/** The spans in which each deal was open (a closed one until its last bill). */
function busyIntervals(
  deals: readonly EarningsDeal[],
  billsByDeal: Map<bigint, number[]>,
  now: number,
): BusySpan[] {
  return deals.map((d): BusySpan => {
    const start = Number(d.startTime);
    const share = Math.min(1, Math.max(0, d.share ?? 1));
    if (d.open) {
      return { from: start, to: d.duration > 0n ? Math.min(now, Number(d.endTime)) : now, share };
    }
    const last = Math.max(start, billsByDeal.get(d.id)?.at(-1) ?? Number(d.lastBillTime));
    return { from: start, to: last, share };
  });
}

/** Watts drawn when `share` of the rig is sold: idle always, the rest up to load for the share. */
function wattsAt(power: EarningsInput["power"], share: number): number {
  const sold = Math.min(1, Math.max(0, share));
  return power.idleWatts + Math.max(0, power.loadWatts - power.idleWatts) * sold;
}

/**
 * USD of electricity from `since` to `t`: idle watts always, plus the rest up to load watts
 * in proportion to the part of the rig sold at each moment (the open deals' shares, at most all).
 */
function electricityUsd(
  power: EarningsInput["power"],
  since: number,
  t: number,
  busy: readonly BusySpan[],
): number {
  if (t <= since) return 0;
  // sweep the spans' edges inside [since, t]: the share sold changes only there
  const edges: [number, number][] = [];
  for (const span of busy) {
    const from = Math.max(span.from, since);
    const to = Math.min(span.to, t);
    if (to > from && span.share > 0) edges.push([from, span.share], [to, -span.share]);
  }
  edges.sort((a, b) => a[0] - b[0]);
  let joules = 0;
  let share = 0;
  let at = since;
  for (const [when, change] of edges) {
    joules += wattsAt(power, share) * (when - at);
    share += change;
    at = when;
  }
  joules += wattsAt(power, share) * (t - at);
  return joules / 3.6e6 * power.pricePerKwh;
}
