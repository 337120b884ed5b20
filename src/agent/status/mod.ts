/**
 * What the rig shows: the status snapshot (the dashboard's and `status`'s one source),
 * earnings, task usage.
 *
 * @module
 */
export {
  type AgentDashboardSource,
  createDashboardSource,
  type DashboardSourceComponents,
  type DashboardSourceOptions,
} from "./dashboard_source.ts";
export { planSharesOf } from "./plan_shares.ts";
export {
  openStatusDatabase,
  readStatusSnapshot,
  type ReadStatusSnapshotOptions,
} from "./status_snapshot.ts";
export {
  createTaskUsageReader,
  taskUsageKey,
  type TaskUsageReader,
  type TaskUsageReaderOptions,
} from "./task_usage.ts";
