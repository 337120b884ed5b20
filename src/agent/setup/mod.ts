/**
 * What a run needs before the market: the keystore and its passphrase, the chain identity,
 * the worker binding, the embedded devnet, its demo BID and the files that let a consumer buy on it.
 *
 * @module
 */
export {
  type ChainIdentity,
  type ChainIdentityDecision,
  decideChainIdentity,
  describeChainIdentity,
} from "./decide_chain_identity.ts";
export { type Devnet, startDevnet, type StartDevnetOptions } from "./devnet.ts";
export {
  ensureChainIdentity,
  type EnsureChainIdentityComponents,
  type EnsureChainIdentityOptions,
} from "./ensure_chain_identity.ts";
export {
  ensureDevnetKeystore,
  type EnsureDevnetKeystoreOptions,
  randomPassphrase,
} from "./ensure_keystore.ts";
export {
  type BindingDecision,
  type BindingState,
  decideBinding,
  ensureWorkerBinding,
  type EnsureWorkerBindingComponents,
  masterInstructions,
} from "./ensure_worker_binding.ts";
export {
  BENCH_REPORT_FILE,
  publishBenchReport,
  type PublishBenchReportOptions,
  readBenchReportFile,
} from "./publish_bench_report.ts";
export { placeDemoBid, type PlaceDemoBidOptions } from "./place_demo_bid.ts";
export {
  DEMO_CONSUMER_DIR,
  publishDevnet,
  type PublishDevnetOptions,
  type PublishedDevnet,
} from "./publish_devnet.ts";
export { readPassphrase, type ReadPassphraseOptions } from "./read_passphrase.ts";
export { unlockAgentKey, type UnlockAgentKeyOptions } from "./unlock_agent_key.ts";
export { gpuIndexesOf, rigGpuIndexes, type RigGpuIndexesOptions } from "./rig_gpu_indexes.ts";
