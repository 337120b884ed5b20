/**
 * The rig's dashboard: a localhost HTTP server with one page (no build step,
 * every asset served by the agent), a JSON API and Prometheus `/metrics`.
 * It reads the agent's state only through a {@linkcode DashboardSource}
 * passed in by src/agent; it never imports the chain layer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderMetrics } from "./mod.ts";
 * assert.equal(typeof renderMetrics, "function");
 * ```
 *
 * @module
 */
export type {
  AgentCounters,
  BenchmarkEntry,
  ChainStatus,
  ConnectivityStatus,
  DashboardAction,
  DashboardSource,
  DealStatus,
  EarningsPoint,
  EarningsStatus,
  ErrorEntry,
  GpuReading,
  HardwareStatus,
  MatchVerdict,
  PeriodEarnings,
  PlanStatus,
  SelftestView,
  StatusSnapshot,
  TaskStatus,
} from "./types.ts";
export {
  createDashboardHandler,
  type DashboardAsset,
  type DashboardHandler,
  type DashboardHandlerOptions,
  type DashboardPeer,
} from "./create_dashboard_handler.ts";
export { emptySnapshot } from "./empty_snapshot.ts";
export { renderMetrics } from "./render_metrics.ts";
export {
  loadDashboardAssets,
  type RunningDashboard,
  startDashboard,
  type StartDashboardOptions,
} from "./start_dashboard.ts";
