/**
 * The market side: the one market view, the reconciler and its steps (plans to ASKs,
 * matching and opening deals, billing, prices), each with its pure decision; and a consumer's
 * BID file as an order (the mirror of a plan's ASK).
 *
 * @module
 */
export {
  type AutoPriceDecision,
  type AutoPriceInput,
  type AutoPriceSettings,
  decideAutoPrice,
  DEFAULT_AUTO_PRICE,
  priceQuantile,
} from "./auto_price.ts";
export { assignBids, type AssignBidsInput, type BidAssignment } from "./assign_bids.ts";
export { bidOrder, type BidOrderOptions, type BidParameters } from "./bid_order.ts";
export { type BillStepComponents, type BillStepOptions, createBillStep } from "./bill_step.ts";
export {
  type ChangeDecision,
  type ChangeRequests,
  type ChangeRequestsComponents,
  createChangeRequests,
  decideChangeRequest,
} from "./change_requests.ts";
export {
  chainErrorFields,
  classifyOpenFailure,
  type OpenFailureKind,
} from "./classify_open_failure.ts";
export { identifyPlan, recoverDealPlans, type RecoverDealPlansOptions } from "./deal_plans.ts";
export {
  createMarketComponents,
  type CreateMarketComponentsOptions,
  type MarketComponents,
} from "./market_components.ts";
export {
  type ChainHealth,
  type ChainHealthState,
  createChainHealth,
  type CreateChainHealthOptions,
} from "./chain_health.ts";
export {
  chainFailure,
  createMarketReconciler,
  type MarketReconciler,
  type MarketReconcilerComponents,
  type MarketReconcilerOptions,
} from "./market_reconciler.ts";
export { emptyReport, type MarketStepReport } from "./market_report.ts";
export {
  blockedPlans,
  createSelftestGate,
  DEFAULT_SELFTEST_SCHEDULE,
  type GateChange,
  gateChanges,
  type PlanBlock,
  type SelftestGate,
  type SelftestSchedule,
} from "./selftest_gate.ts";
export {
  createMarketView,
  type CreateMarketViewOptions,
  isDealOf,
  type MarketView,
  type MarketViewComponents,
  type ViewDelta,
} from "./market_view.ts";
export {
  createOpenDealsStep,
  type OpenDealsStep,
  type OpenDealsStepComponents,
  type OpenDealsStepOptions,
} from "./open_deals_step.ts";
export {
  type AskParameters,
  planAsk,
  type PlanAskOptions,
  type PlannedAsk,
  type RigCapacity,
} from "./plan_ask.ts";
export {
  type BillingAction,
  planBilling,
  type PlanBillingInput,
  type PlanBillingResult,
} from "./plan_billing.ts";
export {
  createPlansStep,
  logRecoveredDeals,
  type PlansStepComponents,
  type PlansStepOptions,
} from "./plans_step.ts";
export { decimalToWad, type PlanShare, planShare, powerFloor } from "./power_floor.ts";
export {
  createPriceStep,
  type PriceStep,
  type PriceStepComponents,
  type PriceStepOptions,
} from "./price_step.ts";
export {
  type IndexedOrderStatus,
  type PlanAction,
  type PlanOrderRecord,
  reconcilePlans,
  type ReconcilePlansInput,
  type RetireReason,
} from "./reconcile_plans.ts";
