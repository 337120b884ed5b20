/**
 * The rig's config: its schema, parsing and loading with errors that name the field, the
 * template `init` writes, reloads (what changed, what applies live), overcommit checks; the
 * consumer's `client.yaml` and its template; the file a running devnet leaves for clients.
 *
 * @module
 */
export { type BidSpec, loadBidSpec, parseBidSpec } from "./bid_spec.ts";
export { checkOvercommit, type RigResources } from "./check_overcommit.ts";
export {
  type ClientChain,
  type ClientConfig,
  type ClientContracts,
  loadClientConfig,
  parseClientConfig,
  type PassphraseSource,
} from "./client_config.ts";
export {
  type ClientConfigTemplateOptions,
  renderClientConfigTemplate,
} from "./client_config_template.ts";
export { type ConfigTemplateOptions, renderConfigTemplate } from "./config_template.ts";
export { type AgentConfig, type ChainConfig, fieldSchemas, type PlanConfig } from "./config.ts";
export {
  DEVNET_FILE,
  type DevnetFile,
  readDevnetFile,
  removeDevnetFile,
  writeDevnetFile,
} from "./devnet_file.ts";
export {
  type AppliedChange,
  type ConfigDiff,
  diffConfig,
  type RefusedChange,
} from "./diff_config.ts";
export { loadConfig, type LoadConfigOptions } from "./load_config.ts";
export { parseConfig, type ParseConfigOptions } from "./parse_config.ts";
export { reloadConfigFile, type ReloadConfigOptions, type ReloadOutcome } from "./reload_config.ts";
export { DECIMAL_PATTERN } from "./units.ts";
