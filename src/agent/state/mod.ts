/**
 * The agent's sqlite state: the database and its migrations, and one owner module per
 * table (the only place with SQL).
 *
 * @module
 */
export { firstRunStart, lastRun, recordRunStart, recordRunStop } from "./agent_runs.ts";
export {
  readChainIdentity,
  recordChainIdentity,
  type RecordedChainIdentity,
} from "./chain_identity_table.ts";
export {
  billsWithTimes,
  createChainStore,
  latestBlockTime,
  openConsumerChangeRequests,
  type SqliteChainStore,
} from "./chain_store.ts";
export {
  createErrorLog,
  type CreateErrorLogOptions,
  type ErrorCounters,
  type ErrorLog,
  recentErrorRows,
} from "./error_log.ts";
export {
  NAT_STATUS_FILE,
  readNatStatusFile,
  RIG_RECORD_FILE,
  toConnectivity,
} from "./nat_status_file.ts";
export {
  type PlanOrderRecord,
  type PlanOrdersTable,
  planOrdersTable,
  type RetireReason,
} from "./plan_orders.ts";
export {
  applyPlanOverrides,
  type PlanOverride,
  type PlanOverridesTable,
  planOverridesTable,
} from "./plan_overrides.ts";
export { type AgentState, openState, type OpenStateOptions } from "./state.ts";
export { readStatusMeta, writeStatusMeta } from "./status_meta.ts";
export { hasTable, inTransaction } from "./transaction.ts";
export { type TaskFaultsTable, taskFaultsTable, type TaskRestart } from "./task_faults.ts";
export {
  FINISHED_TASK_STATES,
  type NonceRecord,
  recentTasks,
  type TaskPort,
  type TaskRow,
  type TasksTable,
  tasksTable,
  type TaskState,
} from "./tasks_table.ts";
