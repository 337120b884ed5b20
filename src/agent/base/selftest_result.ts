/**
 * What one self-test check found: the shape `sonm-agent selftest --json`
 * prints, the agent keeps for `status`, the page and `/metrics`, and the
 * signed bench report carries.
 *
 * @module
 */

/** A check's verdict: `warn` is shown but never fails the self-test or withholds a plan. */
export const SELFTEST_STATUSES = ["ok", "warn", "failed", "skipped"] as const;

/** One of {@linkcode SELFTEST_STATUSES}. */
export type SelftestStatus = typeof SELFTEST_STATUSES[number];

/** One check's result (a check that runs per plan gives one per plan). */
export type SelftestResult = {
  /** The check's id (`docker`, `container`, `gas`...). */
  check: string;
  /** The plan it was run for; absent for a rig-wide check. */
  plan?: string | undefined;
  status: SelftestStatus;
  /** What it found, one line. */
  detail: string;
  /** How to fix a failure (or a warning), one line. */
  fix?: string | undefined;
  /** Whether a failure withholds the plan(s) it concerns from the market. */
  gates: boolean;
  /** Wall time of the check, ms. */
  ms: number;
};

/** A whole self-test run. */
export type SelftestReport = {
  /** When it finished (unix ms). */
  at: number;
  /** Wall time of the run, ms. */
  ms: number;
  results: SelftestResult[];
};
