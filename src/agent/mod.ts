/**
 * The supervisor: config, state, and the lifecycle of the agent. The only
 * module that wires the others together; main.ts calls one function here per
 * subcommand.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig } from "./mod.ts";
 * const config = parseConfig("chain: devnet\nkeystore: { path: k.json, passphrase_env: P }\n");
 * assert.equal(config.chain.kind, "devnet");
 * ```
 *
 * @module
 */
export { AgentError } from "../errors.ts";
export {
  type BenchCommandComponents,
  type BenchProgressOutput,
  runBenchCommand,
  type RunBenchCommandOptions,
  type RunBenchCommandReturnType,
} from "./bench_command.ts";
export {
  runHardwareCommand,
  type RunHardwareCommandOptions,
  type RunHardwareCommandReturnType,
} from "./hardware_command.ts";
export {
  type MatchEntry,
  type PairVerdict,
  runMatchCommand,
  type RunMatchCommandOptions,
  type RunMatchCommandReturnType,
} from "./match_command.ts";
export { createChainStore, type SqliteChainStore } from "./chain_store.ts";
export {
  type DealEntry,
  runDealsCommand,
  type RunDealsCommandOptions,
  type RunDealsCommandReturnType,
} from "./deals_command.ts";
export {
  createMarketComponents,
  type CreateMarketComponentsOptions,
  type MarketComponents,
} from "./market_components.ts";
export {
  createMarketReconciler,
  type MarketReconciler,
  type MarketReconcilerComponents,
  type MarketReconcilerOptions,
} from "./market_reconciler.ts";
export { emptyReport, type MarketStepReport } from "./market_report.ts";
export {
  createMarketView,
  type CreateMarketViewOptions,
  type MarketView,
  type MarketViewComponents,
  type ViewDelta,
} from "./market_view.ts";
export {
  createScheduler,
  type CreateSchedulerOptions,
  type ScheduledStep,
  type Scheduler,
  type SchedulerClock,
  type SchedulerEvent,
  type StepOutcome,
  systemClock,
} from "./scheduler.ts";
export {
  backoffDelay,
  type BackoffPolicy,
  createRetrySchedule,
  DEFAULT_BACKOFF,
  type FailureVerdict,
  type RetryEntry,
  type RetrySchedule,
} from "./retry_schedule.ts";
export {
  type BillingAction,
  planBilling,
  type PlanBillingInput,
  type PlanBillingResult,
} from "./plan_billing.ts";
export {
  chainErrorFields,
  classifyOpenFailure,
  type OpenFailureKind,
} from "./classify_open_failure.ts";
export { type BillStepComponents, type BillStepOptions, createBillStep } from "./bill_step.ts";
export {
  createOpenDealsStep,
  type OpenDealsStep,
  type OpenDealsStepComponents,
  type OpenDealsStepOptions,
} from "./open_deals_step.ts";
export { createPlansStep, type PlansStepComponents, type PlansStepOptions } from "./plans_step.ts";
export {
  createPriceStep,
  type PriceStep,
  type PriceStepComponents,
  type PriceStepOptions,
} from "./price_step.ts";
export {
  type AutoPriceDecision,
  type AutoPriceInput,
  type AutoPriceSettings,
  decideAutoPrice,
  DEFAULT_AUTO_PRICE,
  priceQuantile,
} from "./auto_price.ts";
export { decimalToWad, type PlanShare, planShare, powerFloor } from "./power_floor.ts";
export {
  type OrderEntry,
  runOrdersCommand,
  type RunOrdersCommandOptions,
  type RunOrdersCommandReturnType,
} from "./orders_command.ts";
export {
  type AskParameters,
  planAsk,
  type PlanAskOptions,
  type PlannedAsk,
  type RigCapacity,
} from "./plan_ask.ts";
export {
  type IndexedOrderStatus,
  type PlanAction,
  type PlanOrderRecord,
  reconcilePlans,
  type ReconcilePlansInput,
  type RetireReason,
} from "./reconcile_plans.ts";
export {
  runVerifyReportCommand,
  type RunVerifyReportCommandOptions,
} from "./verify_report_command.ts";
export { commands } from "./cli.ts";
export { checkConfig, type CheckConfigOptions, type ConfigSummary } from "./check_config.ts";
export { gpuIndexesOf, rigGpuIndexes, type RigGpuIndexesOptions } from "./rig_gpu_indexes.ts";
export { placeDemoBid, type PlaceDemoBidOptions } from "./place_demo_bid.ts";
export type { AgentConfig, ChainConfig, PlanConfig } from "./config.ts";
export { type ConfigTemplateOptions, renderConfigTemplate } from "./config_template.ts";
export { type Devnet, startDevnet, type StartDevnetOptions } from "./devnet.ts";
export {
  ensureDevnetKeystore,
  type EnsureDevnetKeystoreOptions,
  randomPassphrase,
} from "./ensure_keystore.ts";
export {
  ChainIdentityError,
  ConfigError,
  type ConfigProblem,
  DevnetError,
  formatConfigProblem,
  StateError,
} from "./errors.ts";
export {
  type ChainIdentity,
  type ChainIdentityDecision,
  decideChainIdentity,
  describeChainIdentity,
} from "./decide_chain_identity.ts";
export {
  ensureChainIdentity,
  type EnsureChainIdentityComponents,
  type EnsureChainIdentityOptions,
} from "./ensure_chain_identity.ts";
export { initRig, type InitRigOptions, type InitRigReturnType } from "./init_rig.ts";
export { loadConfig, type LoadConfigOptions } from "./load_config.ts";
export {
  createLogger,
  type CreateLoggerOptions,
  type LogFields,
  type Logger,
  type LogLevel,
} from "./logger.ts";
export { parseConfig, type ParseConfigOptions } from "./parse_config.ts";
export {
  type AppliedChange,
  type ConfigDiff,
  diffConfig,
  type RefusedChange,
} from "./diff_config.ts";
export { reloadConfigFile, type ReloadConfigOptions, type ReloadOutcome } from "./reload_config.ts";
export { readPassphrase, type ReadPassphraseOptions } from "./read_passphrase.ts";
export { unlockAgentKey, type UnlockAgentKeyOptions } from "./unlock_agent_key.ts";
export {
  type AgentReady,
  runAgent,
  runAgentFromFile,
  type RunAgentFromFileOptions,
  type RunAgentOptions,
} from "./run_agent.ts";
export { type AgentState, openState, type OpenStateOptions } from "./state.ts";
export { VERSION } from "./version.ts";
export { checkOvercommit, type RigResources } from "./check_overcommit.ts";
export { identifyPlan, recoverDealPlans, type RecoverDealPlansOptions } from "./deal_plans.ts";
export {
  type DispatchResult,
  dispatchTaskRequest,
  type DispatchTaskRequestOptions,
} from "./dispatch_task_request.ts";
export {
  type ChangeDecision,
  type ChangeRequests,
  type ChangeRequestsComponents,
  createChangeRequests,
  decideChangeRequest,
} from "./change_requests.ts";
export {
  type BindingDecision,
  type BindingState,
  decideBinding,
  ensureWorkerBinding,
  type EnsureWorkerBindingComponents,
  masterInstructions,
} from "./ensure_worker_binding.ts";
export { KILL_AT_ENV, KILL_POINTS, type KillPoint, killPoint } from "./kill_point.ts";
export { createPlanAdminControls } from "./plan_admin_controls.ts";
export {
  applyPlanOverrides,
  type PlanOverride,
  type PlanOverridesTable,
  planOverridesTable,
} from "./plan_overrides.ts";
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
  type AdminActions,
  type AdminControls,
  type AdminRequest,
  createAdminActions,
  dashboardAct,
  type PreparedAdminAction,
  stopTaskRow,
} from "./admin_actions.ts";
export {
  imagePolicyOf,
  SCRATCH_PATH,
  taskSpecForDeal,
  type TaskSpecForDealOptions,
} from "./task_limits.ts";
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
export {
  FINISHED_TASK_STATES,
  type NonceRecord,
  type TaskPort,
  type TaskRow,
  type TasksTable,
  tasksTable,
  type TaskState,
} from "./tasks_table.ts";
export {
  formatStatus,
  runStatusCommand,
  type RunStatusCommandOptions,
  type RunStatusCommandReturnType,
} from "./status_command.ts";
export {
  openStatusDatabase,
  readStatusSnapshot,
  type ReadStatusSnapshotOptions,
} from "./status_snapshot.ts";
export {
  type AgentDashboardSource,
  createDashboardSource,
  type DashboardSourceComponents,
  type DashboardSourceOptions,
} from "./dashboard_source.ts";
export {
  createErrorLog,
  type CreateErrorLogOptions,
  type ErrorCounters,
  type ErrorLog,
} from "./error_log.ts";
export { parseNvidiaSmiReadings, readNvidiaGpus } from "./gpu_readings.ts";
export {
  createTaskUsageReader,
  taskUsageKey,
  type TaskUsageReader,
  type TaskUsageReaderOptions,
} from "./task_usage.ts";
export type { StatusSnapshot } from "../dashboard/mod.ts";
export { runRelayCommand, type RunRelayCommandOptions } from "./relay_command.ts";
export {
  type ClientAdminRequest,
  type ClientCommandResult,
  type ClientTarget,
  openClientSession,
  readTaskFile,
  runClientAdmin,
  runClientForward,
  runClientLogs,
  runClientRequest,
} from "./client_command.ts";
export { type NatService, startNatService, type StartNatServiceOptions } from "./nat_service.ts";
export { NAT_STATUS_FILE, readNatStatusFile, toConnectivity } from "./nat_status_file.ts";
