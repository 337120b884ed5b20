/** What the reconciler's steps did since the report was last taken (tests and logs read it). */
export type MarketStepReport = {
  placed: bigint[];
  cancelled: bigint[];
  dealsOpened: bigint[];
  billed: { dealId: bigint; paidAmount: bigint }[];
  closed: bigint[];
  /** Failed chain actions (a lost race is not one). */
  failures: number;
  /** BIDs another supplier took first (normal in a busy market). */
  racesLost: number;
};

/**
 * An empty report.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptyReport } from "./market_report.ts";
 * assert.equal(emptyReport().failures, 0);
 * ```
 */
export function emptyReport(): MarketStepReport {
  return {
    placed: [],
    cancelled: [],
    dealsOpened: [],
    billed: [],
    closed: [],
    failures: 0,
    racesLost: 0,
  };
}
