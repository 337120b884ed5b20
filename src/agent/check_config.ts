import type { AgentConfig } from "./config.ts";
import { checkOvercommit, type RigResources } from "./check_overcommit.ts";
import { ConfigError } from "./errors.ts";
import { loadConfig } from "./load_config.ts";
import { rigGpuIndexes } from "./rig_gpu_indexes.ts";

/** What `sonm-agent config check` reports for a valid config. */
export type ConfigSummary = {
  file: string;
  chain: string;
  dataDir: string;
  keystore: string;
  plans: { name: string; priceUsdPerHour: string; duration: string; gpus: number[] }[];
  dashboard: string;
};

/** Options of {@linkcode checkConfig}. */
export type CheckConfigOptions = {
  /** GPU indexes of this rig. @default {what hardware discovery finds} */
  gpuIndexes?: readonly number[] | undefined;
  /** CPU threads and RAM of this rig. @default {this machine's} */
  rig?: RigResources | undefined;
};

/**
 * Validates a config file, refuses plans that overcommit the rig (a GPU
 * sold twice, more cores or RAM than it has), and summarizes what the agent would do with it.
 *
 * @throws {ConfigError} listing every problem
 * @example
 * ```ts ignore
 * const summary = await checkConfig("rig.yaml");
 * console.log(summary.plans.length);
 * ```
 */
export async function checkConfig(
  file: string,
  options: CheckConfigOptions = {},
): Promise<ConfigSummary> {
  const gpuIndexes = options.gpuIndexes ?? await rigGpuIndexes();
  const config = await loadConfig(file, { gpuIndexes });
  const rig = options.rig ?? {
    cpuThreads: navigator.hardwareConcurrency,
    ramBytes: Deno.systemMemoryInfo().total,
  };
  const problems = checkOvercommit(config.plans, rig);
  if (problems.length > 0) {
    throw new ConfigError({ file, problems }, {
      hints: ["Give each GPU to one plan, and keep the plans' cores and RAM within the rig's"],
    });
  }
  return summarizeConfig(file, config);
}

function summarizeConfig(file: string, config: AgentConfig): ConfigSummary {
  return {
    file,
    chain: config.chain.kind === "devnet"
      ? "devnet (embedded anvil)"
      : `${config.chain.rpcUrl} (chain id ${config.chain.chainId})`,
    dataDir: config.dataDir,
    keystore: config.keystore.path,
    plans: config.plans.map((p) => ({
      name: p.name,
      priceUsdPerHour: p.priceUsdPerHour,
      duration: p.duration === "spot" ? "spot" : `${p.duration}s`,
      gpus: p.resources.gpus,
    })),
    dashboard: config.dashboard.enabled
      ? `http://${config.dashboard.bind}:${config.dashboard.port}`
      : "disabled",
  };
}
