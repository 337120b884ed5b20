import { existsSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { discoverHardware } from "../../bench/mod.ts";
import {
  type ChainClient,
  connectChain,
  createMarketClient,
  type MarketAddresses,
} from "../../chain/mod.ts";
import { createDockerClient } from "../../docker/mod.ts";
import type { SelftestReport, SelftestResult } from "../base/mod.ts";
import { type AgentConfig, loadConfig, readDevnetFile } from "../config/mod.ts";
import { readChainIdentity } from "../state/mod.ts";
import { readNatStatusFile } from "../state/mod.ts";
import {
  type RecordedChain,
  runSelftest,
  type SelftestComponents,
  selftestExitCode,
} from "../tasks/mod.ts";
import { keystoreAddress } from "./_client_chain.ts";

/** Options of {@linkcode runSelftestCommand}. */
export type RunSelftestCommandOptions = {
  /** `--config`: the rig's config. */
  configPath: string;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode runSelftestCommand} returns. */
export type RunSelftestCommandReturnType = {
  report: SelftestReport;
  /** 0 when every check passed, warned or skipped; 1 when one failed. */
  exitCode: 0 | 1;
  lines: string[];
};

/**
 * `sonm-agent selftest [--json]`: runs every check of the self-test on this
 * rig as the agent would (see `SELFTEST_CHECKS`): Docker and its storage
 * driver and live-restore, a real container with each plan's exact limits
 * read back inside, GPUs inside a container, disk, the chain (id, market as
 * recorded, gas, allowance, clock skew) and the relay reservation the running
 * agent wrote. On the devnet the chain is the running agent's (its
 * devnet.json); with no agent running the chain checks skip.
 *
 * @throws {ConfigError} for a bad config (exit 2)
 * @example
 * ```ts ignore
 * const { exitCode, lines } = await runSelftestCommand({ configPath: "rig.yaml" });
 * ```
 */
export async function runSelftestCommand(
  options: RunSelftestCommandOptions,
): Promise<RunSelftestCommandReturnType> {
  const { signal } = options;
  const hardware = await discoverHardware({ dataDir: "/", signal });
  const config = await loadConfig(options.configPath, {
    gpuIndexes: [...new Set(hardware.gpus.map((g) => g.index))],
  });
  const docker = createDockerClient({ socketPath: config.docker.socket });
  const chain = await openChain(config, signal);
  try {
    const components: SelftestComponents = {
      docker,
      chain: chain.chain,
      noChain: chain.noChain,
      natStatus: () => readNatStatusFile(config.dataDir),
    };
    const address = chain.chain?.address;
    const report = await runSelftest(components, {
      config,
      rigGpus: hardware.gpus.map((g) => ({ index: g.index, vendor: g.vendor })),
      agentId: address === undefined ? "rig" : `rig-${address.slice(2, 14).toLowerCase()}`,
      signal,
    });
    return {
      report,
      exitCode: selftestExitCode(report.results),
      lines: formatSelftest(report),
    };
  } finally {
    docker.close();
    await chain.client?.close();
  }
}

/**
 * The self-test for people: one line per result, then each fix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSelftest } from "./selftest_command.ts";
 * const lines = formatSelftest({ at: 0, ms: 1200, results: [
 *   { check: "docker", status: "failed", detail: "no socket", fix: "start dockerd",
 *     gates: true, ms: 3 },
 * ] });
 * assert.match(lines[0]!, /^FAILED\s+docker\s+no socket/);
 * assert.match(lines[1]!, /fix: start dockerd/);
 * assert.match(lines.at(-1)!, /1 failed/);
 * ```
 */
export function formatSelftest(report: SelftestReport): string[] {
  const lines: string[] = [];
  const name = (r: SelftestResult) => r.plan === undefined ? r.check : `${r.check}[${r.plan}]`;
  const width = Math.max(...report.results.map((r) => name(r).length), 5);
  for (const r of report.results) {
    lines.push(`${r.status.toUpperCase().padEnd(7)} ${name(r).padEnd(width)}  ${r.detail}`);
    if (r.fix !== undefined && r.status !== "ok" && r.status !== "skipped") {
      lines.push(`${" ".repeat(8 + width)}  fix: ${r.fix}`);
    }
  }
  const count = (s: SelftestResult["status"]) =>
    report.results.filter((r) => r.status === s).length;
  lines.push(
    `self-test: ${count("ok")} ok, ${count("warn")} warn, ${count("failed")} failed, ${
      count("skipped")
    } skipped in ${(report.ms / 1000).toFixed(1)} s`,
  );
  return lines;
}

/** The chain the config names (on the devnet: the running agent's), or why the chain checks skip. */
async function openChain(
  config: AgentConfig,
  signal: AbortSignal | undefined,
): Promise<{
  chain?: SelftestComponents["chain"];
  client?: ChainClient | undefined;
  noChain?: SelftestComponents["noChain"];
}> {
  let rpcUrl: string;
  let chainId: number;
  let addresses: MarketAddresses;
  const devnet = config.chain.kind === "devnet";
  if (config.chain.kind === "devnet") {
    const running = await readDevnetFile(config.dataDir);
    if (running === undefined) {
      return {
        noChain: {
          status: "skipped",
          detail:
            "the devnet runs only inside the agent: start it (sonm-agent run) to check the chain",
        },
      };
    }
    ({ rpcUrl, chainId, contracts: addresses } = running);
  } else {
    ({ rpcUrl, chainId, contracts: addresses } = config.chain);
  }
  let address: `0x${string}`;
  try {
    address = await keystoreAddress(config.keystore.path);
  } catch (error) {
    const detail = `no address: ${error instanceof Error ? error.message : error}`;
    return { noChain: { status: "skipped", detail } };
  }
  let client: ChainClient;
  try {
    // connectChain itself checks the chain id: a mismatch is the chain check's failure
    client = await connectChain({ url: rpcUrl, chainId, signal });
  } catch (error) {
    const detail = `cannot reach ${rpcUrl}: ${error instanceof Error ? error.message : error}`;
    return { noChain: { status: "failed", detail } };
  }
  return {
    client,
    chain: {
      market: createMarketClient(client, { addresses }),
      address,
      chainId,
      recorded: recordedChain(config.dataDir),
      devnet,
    },
  };
}

/** The chain identity the agent's state recorded, read-only; undefined without a state. */
function recordedChain(dataDir: string): RecordedChain | undefined {
  const path = join(dataDir, "agent.sqlite");
  if (!existsSync(path)) return undefined;
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return readChainIdentity(db);
  } catch {
    return undefined; // a state from before the identity was recorded
  } finally {
    db.close();
  }
}
