/**
 * The agent's chain layer: viem clients, the market contracts' ABIs, the
 * keystore, typed contract actions, the transaction sender and the event
 * indexer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseUsdPerHour } from "./mod.ts";
 * assert.equal(typeof parseUsdPerHour, "function");
 * ```
 *
 * @module
 */
export {
  type ChainClient,
  connectChain,
  type ConnectChainErrorType,
  type ConnectChainOptions,
  DEVNET_CHAIN_ID,
  type RetryPolicy,
} from "./connect_chain.ts";
export { SECONDS_PER_HOUR, TOKEN_DECIMALS, WAD } from "./constants.ts";
export {
  checkChainNeeds,
  type CheckChainNeedsErrorType,
  type CheckChainNeedsParameters,
  type CheckChainNeedsReturnType,
} from "./check_chain_needs.ts";
export {
  classifyRpcError,
  revertDataOf,
  RPC_DIALECTS,
  type RpcDialectRow,
  type RpcErrorKind,
} from "./rpc_dialects.ts";
export {
  blacklistAbi,
  blacklistBytecode,
  CHANGE_REQUEST_STATUS,
  DEAL_STATUS,
  MARKET_LIMITS,
  marketAbi,
  marketBytecode,
  oracleAbi,
  oracleBytecode,
  ORDER_STATUS,
  ORDER_TYPE,
  profileRegistryAbi,
  profileRegistryBytecode,
  tokenAbi,
  tokenBytecode,
} from "./contracts.ts";
export {
  createKeystore,
  type CreateKeystoreOptions,
  type CreateKeystoreReturnType,
} from "./create_keystore.ts";
export {
  createTxSender,
  type CreateTxSenderOptions,
  type NonceEntry,
  type NonceStore,
  type SendTransactionParameters,
  type SentTransaction,
  type TxSender,
  type TxSenderErrorType,
  type WriteContractParameters,
} from "./create_tx_sender.ts";
export {
  decryptKeystore,
  type DecryptKeystoreErrorType,
  type DecryptKeystoreOptions,
  type UnlockedAccount,
} from "./decrypt_keystore.ts";
export {
  deployContracts,
  type DeployContractsErrorType,
  type DeployContractsOptions,
  type MarketAddresses,
} from "./deploy_contracts.ts";
export {
  encryptKeystore,
  type EncryptKeystoreOptions,
  type KeystoreKdf,
  type KeystoreV3,
} from "./encrypt_keystore.ts";
export {
  ChainChangedError,
  type ChainChangedErrorType,
  ChainError,
  type ChainErrorType,
  ChainIdMismatchError,
  type ChainIdMismatchErrorType,
  ChainInputError,
  type ChainInputErrorType,
  ChainNeedsError,
  type ChainNeedsErrorType,
  ChainRevertError,
  type ChainRevertErrorType,
  ChainRpcError,
  type ChainRpcErrorType,
  ChainTxTimeoutError,
  type ChainTxTimeoutErrorType,
  ChainUnexpectedError,
  type ChainUnexpectedErrorType,
  KeystoreAddressMismatchError,
  type KeystoreAddressMismatchErrorType,
  KeystoreFormatError,
  type KeystoreFormatErrorType,
  KeystorePassphraseError,
  type KeystorePassphraseErrorType,
  type MarketRefs,
} from "./errors.ts";
export { formatTokenAmount, type FormatTokenAmountOptions } from "./format_token_amount.ts";
export { formatUsdPerHour, type FormatUsdPerHourOptions } from "./format_usd_per_hour.ts";
export {
  importPrivateKey,
  type ImportPrivateKeyOptions,
  type ImportPrivateKeyReturnType,
} from "./import_private_key.ts";
export { parseTokenAmount, type ParseTokenAmountOptions } from "./parse_token_amount.ts";
export { parseUsdPerHour, type ParseUsdPerHourOptions } from "./parse_usd_per_hour.ts";
export { paymentFor, type PaymentForParameters } from "./payment_for.ts";
export {
  type AnvilAccount,
  type AnvilInstance,
  AnvilStartError,
  startAnvil,
  type StartAnvilOptions,
} from "./start_anvil.ts";
export type {
  BillRecord,
  BlockUpdate,
  ChainEvent,
  ChainStore,
  ChangeRequestState,
  ChangeRequestStatus,
  DealState,
  DealStatus,
  EventSource,
  IndexedBlock,
  LevelState,
  ListedState,
  MarketChanges,
  OrderState,
  TouchedKeys,
  WorkerState,
} from "./types.ts";
export { unlockKeystore, type UnlockKeystoreOptions } from "./unlock_keystore.ts";
export {
  advanceChainTime,
  type AdvanceChainTimeErrorType,
  type AdvanceChainTimeParameters,
  type AdvanceChainTimeReturnType,
} from "./advance_chain_time.ts";
export {
  fundDevnetAccount,
  type FundDevnetAccountErrorType,
  type FundDevnetAccountParameters,
  type FundDevnetAccountReturnType,
} from "./fund_devnet_account.ts";
export {
  getBills,
  type GetBillsErrorType,
  type GetBillsParameters,
  type GetBillsReturnType,
} from "./get_bills.ts";
export {
  getMarketAddresses,
  type GetMarketAddressesErrorType,
  type GetMarketAddressesParameters,
  type GetMarketAddressesReturnType,
} from "./get_market_addresses.ts";
export {
  getOrdersOf,
  type GetOrdersOfErrorType,
  type GetOrdersOfParameters,
  type GetOrdersOfReturnType,
} from "./get_orders_of.ts";
export {
  approveToken,
  type ApproveTokenErrorType,
  type ApproveTokenParameters,
  type ApproveTokenReturnType,
} from "./approve_token.ts";
export { bill, type BillErrorType, type BillParameters, type BillReturnType } from "./bill.ts";
export {
  getChainIdentity,
  type GetChainIdentityErrorType,
  type GetChainIdentityParameters,
  type GetChainIdentityReturnType,
} from "./get_chain_identity.ts";
export {
  getHeadBlock,
  type GetHeadBlockErrorType,
  type GetHeadBlockParameters,
  type GetHeadBlockReturnType,
} from "./get_head_block.ts";
export {
  getMarketParameters,
  type GetMarketParametersErrorType,
  type GetMarketParametersParameters,
  type GetMarketParametersReturnType,
} from "./get_market_parameters.ts";
export {
  cancelChangeRequest,
  type CancelChangeRequestErrorType,
  type CancelChangeRequestParameters,
  type CancelChangeRequestReturnType,
} from "./cancel_change_request.ts";
export {
  cancelOrder,
  type CancelOrderErrorType,
  type CancelOrderParameters,
  type CancelOrderReturnType,
} from "./cancel_order.ts";
export {
  checkMatch,
  type CheckMatchErrorType,
  type CheckMatchParameters,
  type CheckMatchReturnType,
} from "./check_match.ts";
export {
  closeDeal,
  type CloseDealErrorType,
  type CloseDealParameters,
  type CloseDealReturnType,
} from "./close_deal.ts";
export {
  confirmWorker,
  type ConfirmWorkerErrorType,
  type ConfirmWorkerParameters,
  type ConfirmWorkerReturnType,
} from "./confirm_worker.ts";
export {
  createChangeRequest,
  type CreateChangeRequestErrorType,
  type CreateChangeRequestParameters,
  type CreateChangeRequestReturnType,
} from "./create_change_request.ts";
export {
  getChangeRequest,
  type GetChangeRequestErrorType,
  type GetChangeRequestParameters,
  type GetChangeRequestReturnType,
} from "./get_change_request.ts";
export {
  getDeal,
  type GetDealErrorType,
  type GetDealParameters,
  type GetDealReturnType,
} from "./get_deal.ts";
export {
  getOrder,
  type GetOrderErrorType,
  type GetOrderParameters,
  type GetOrderReturnType,
} from "./get_order.ts";
export {
  getRate,
  type GetRateErrorType,
  type GetRateParameters,
  type GetRateReturnType,
} from "./get_rate.ts";
export {
  levelOf,
  type LevelOfErrorType,
  type LevelOfParameters,
  type LevelOfReturnType,
} from "./level_of.ts";
export {
  listed,
  type ListedErrorType,
  type ListedParameters,
  type ListedReturnType,
} from "./listed.ts";
export {
  masterOf,
  type MasterOfErrorType,
  type MasterOfParameters,
  type MasterOfReturnType,
} from "./master_of.ts";
export {
  openDeal,
  type OpenDealErrorType,
  type OpenDealParameters,
  type OpenDealReturnType,
} from "./open_deal.ts";
export {
  pendingMasterOf,
  type PendingMasterOfErrorType,
  type PendingMasterOfParameters,
  type PendingMasterOfReturnType,
} from "./pending_master_of.ts";
export {
  placeOrder,
  type PlaceOrderErrorType,
  type PlaceOrderParameters,
  type PlaceOrderReturnType,
} from "./place_order.ts";
export {
  quickBuy,
  type QuickBuyErrorType,
  type QuickBuyParameters,
  type QuickBuyReturnType,
} from "./quick_buy.ts";
export {
  registerWorker,
  type RegisterWorkerErrorType,
  type RegisterWorkerParameters,
  type RegisterWorkerReturnType,
} from "./register_worker.ts";
export {
  removeWorker,
  type RemoveWorkerErrorType,
  type RemoveWorkerParameters,
  type RemoveWorkerReturnType,
} from "./remove_worker.ts";
export {
  tokenBalance,
  type TokenBalanceErrorType,
  type TokenBalanceParameters,
  type TokenBalanceReturnType,
} from "./token_balance.ts";
export {
  createMarketClient,
  type CreateMarketClientOptions,
  type MarketClient,
  type WriteMarketClient,
} from "./create_market_client.ts";
export {
  createIndexer,
  type CreateIndexerOptions,
  type Indexer,
  type IndexerErrorType,
  type SyncResult,
} from "./create_indexer.ts";
export {
  getActiveOrders,
  type GetActiveOrdersErrorType,
  type GetActiveOrdersParameters,
  type GetActiveOrdersReturnType,
} from "./get_active_orders.ts";
