import type { WriteMarketClient } from "../../chain/mod.ts";
import type { Logger, RetrySchedule, SchedulerClock } from "../base/mod.ts";
import type { PlanOrdersTable, SqliteChainStore } from "../state/mod.ts";
import type { MarketStepReport } from "./market_report.ts";
import type { MarketView } from "./market_view.ts";

/**
 * What the market's steps are built from, defined once: each step takes the
 * part it needs (`Pick<MarketStepComponents, ...>`), and the reconciler hands
 * every step the same objects.
 */
export type MarketStepComponents = {
  /** The chain client with the agent's one tx sender. */
  market: WriteMarketClient;
  store: SqliteChainStore;
  /** The one view of the market: the book, our orders and deals, the plan each deal bought. */
  view: MarketView;
  planOrders: PlanOrdersTable;
  logger: Logger;
  clock: SchedulerClock;
  /** The reconciler's report of this run of the step (what it changed, for the log). */
  report: () => MarketStepReport;
  /** The step's own backoff of failed actions (per deal, per pair or per plan). */
  retries: RetrySchedule;
};
