/**
 * The task side: a deal's workload in Docker (limits, runtime, the consumer's requests, the
 * reconciler that converges containers with deals) and the administrators' actions.
 *
 * @module
 */
export {
  type AdminActions,
  type AdminControls,
  type AdminRequest,
  createAdminActions,
  dashboardAct,
  type PreparedAdminAction,
  stopTaskRow,
} from "./admin_actions.ts";
export { createPlanAdminControls } from "./plan_admin_controls.ts";
export {
  reconcileTasks,
  type ReconcileTasksInput,
  type TaskAction,
  type TaskContainer,
} from "./reconcile_tasks.ts";
export {
  startWorkloads,
  type StartWorkloadsOptions,
  type Workloads,
  type WorkloadsComponents,
} from "./start_workloads.ts";
export { createTaskHandler, type TaskHandlerOptions } from "./task_handler.ts";
export {
  imagePolicyOf,
  SCRATCH_PATH,
  taskSpecForDeal,
  type TaskSpecForDealOptions,
} from "./task_limits.ts";
export {
  type RecordedChain,
  runSelftest,
  type RunSelftestOptions,
  SELFTEST_CHECKS,
  type SelftestCheck,
  type SelftestComponents,
  selftestExitCode,
} from "./selftest_checks.ts";
export {
  createTaskReconciler,
  type TaskReconciler,
  type TaskReconcilerComponents,
} from "./task_reconciler.ts";
export {
  createTaskRuntime,
  type TaskRuntime,
  type TaskRuntimeComponents,
  type TaskRuntimeOptions,
} from "./task_runtime.ts";
