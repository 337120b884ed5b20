import { type AgentConfig, checkOvercommit, loadConfig, type RigResources } from "../config/mod.ts";
import { ConfigError } from "../base/mod.ts";

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
  /** GPU indexes of this rig. @default {what GPU discovery finds, when a plan names a GPU} */
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
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkConfig } from "./check_config.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/rig.yaml`, "chain: devnet\nkeystore: { path: k.json, passphrase_env: PASS }\n");
 * const summary = await checkConfig(`${dir}/rig.yaml`, { gpuIndexes: [] });
 * assert.equal(summary.chain, "devnet (embedded anvil)");
 * assert.equal(summary.plans.length, 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function checkConfig(
  file: string,
  options: CheckConfigOptions = {},
): Promise<ConfigSummary> {
  let config = await loadConfig(file, { gpuIndexes: options.gpuIndexes });
  if (options.gpuIndexes === undefined && config.plans.some((p) => p.resources.gpus.length > 0)) {
    // Discovery loads the bench folder: only for a config whose plans name GPUs.
    const { rigGpuIndexes } = await import("../setup/mod.ts");
    config = await loadConfig(file, { gpuIndexes: await rigGpuIndexes() });
  }
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
      ? dashboardUrl(config.dashboard.bind, config.dashboard.port)
      : "disabled",
  };
}

/**
 * The dashboard's URL for a bind address: an IPv6 address in brackets, as
 * URLs write it (`http://[::1]:9337`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dashboardUrl } from "./check_config.ts";
 * assert.equal(dashboardUrl("::1", 9337), "http://[::1]:9337");
 * assert.equal(dashboardUrl("127.0.0.1", 9337), "http://127.0.0.1:9337");
 * ```
 */
export function dashboardUrl(bind: string, port: number): string {
  return `http://${bind.includes(":") ? `[${bind}]` : bind}:${port}`;
}
