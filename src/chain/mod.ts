/**
 * The agent's chain layer: viem clients, the market contracts' ABIs, the
 * keystore, typed contract actions, the transaction sender and the event
 * indexer.
 *
 * @example
 * ```ts
 * import { parseUsdPerHour } from "./mod.ts";
 * console.assert(typeof parseUsdPerHour === "function");
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
  ChainError,
  ChainIdMismatchError,
  ChainInputError,
  ChainRevertError,
  ChainRpcError,
  ChainTxTimeoutError,
  ChainUnexpectedError,
  KeystoreAddressMismatchError,
  KeystoreFormatError,
  KeystorePassphraseError,
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
  OrderState,
  WorkerState,
} from "./types.ts";
export { unlockKeystore, type UnlockKeystoreOptions } from "./unlock_keystore.ts";
