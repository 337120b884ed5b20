/**
 * One module per CLI verb, each loaded by `cli.ts` when its verb runs.
 *
 * @module
 */
export {
  type BenchCommandComponents,
  type BenchProgressOutput,
  runBenchCommand,
  type RunBenchCommandOptions,
  type RunBenchCommandReturnType,
} from "./bench_command.ts";
export { checkConfig, type CheckConfigOptions, type ConfigSummary } from "./check_config.ts";
export {
  runClientBid,
  type RunClientBidOptions,
  type RunClientBidReturnType,
} from "./client_bid.ts";
export {
  type ClientDealEntry,
  runClientClose,
  type RunClientCloseOptions,
  type RunClientCloseReturnType,
  runClientDeals,
  type RunClientDealsOptions,
  type RunClientDealsReturnType,
} from "./client_deals.ts";
export {
  runClientExec,
  type RunClientExecOptions,
  runClientShell,
  type RunClientShellOptions,
} from "./client_exec.ts";
export { checkForward, type CheckForwardOptions } from "./client_forward_check.ts";
export { initClient, type InitClientOptions, type InitClientReturnType } from "./client_init.ts";
export {
  type MarketAsk,
  type NearMiss,
  runClientMarket,
  type RunClientMarketOptions,
  type RunClientMarketReturnType,
} from "./client_market.ts";
export {
  type ClientOrderEntry,
  runClientCancel,
  type RunClientCancelOptions,
  type RunClientCancelReturnType,
  runClientOrders,
  type RunClientOrdersOptions,
  type RunClientOrdersReturnType,
} from "./client_orders.ts";
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
export {
  resolveClientTarget,
  type ResolveClientTargetOptions,
  type ResolveClientTargetReturnType,
} from "./client_target.ts";
export {
  type DevnetTarget,
  runDevnetAdvance,
  type RunDevnetAdvanceOptions,
  type RunDevnetAdvanceReturnType,
  runDevnetFund,
  type RunDevnetFundOptions,
  type RunDevnetFundReturnType,
} from "./devnet_command.ts";
export {
  type DealEntry,
  runDealsCommand,
  type RunDealsCommandOptions,
  type RunDealsCommandReturnType,
} from "./deals_command.ts";
export {
  runHardwareCommand,
  type RunHardwareCommandOptions,
  type RunHardwareCommandReturnType,
} from "./hardware_command.ts";
export { initRig, type InitRigOptions, type InitRigReturnType } from "./init_rig.ts";
export {
  type MatchEntry,
  type PairVerdict,
  runMatchCommand,
  type RunMatchCommandOptions,
  type RunMatchCommandReturnType,
} from "./match_command.ts";
export {
  type OrderEntry,
  runOrdersCommand,
  type RunOrdersCommandOptions,
  type RunOrdersCommandReturnType,
} from "./orders_command.ts";
export { runRelayCommand, type RunRelayCommandOptions } from "./relay_command.ts";
export {
  formatStatus,
  runStatusCommand,
  type RunStatusCommandOptions,
  type RunStatusCommandReturnType,
} from "./status_command.ts";
export {
  runVerifyReportCommand,
  type RunVerifyReportCommandOptions,
} from "./verify_report_command.ts";
