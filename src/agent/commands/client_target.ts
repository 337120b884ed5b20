import { resolve } from "node:path";
import { AgentError } from "../../errors.ts";
import { type ClientConfig, loadClientConfig, type PassphraseSource } from "../config/mod.ts";
import { pathExists } from "../base/mod.ts";
import type { ClientTarget } from "./client_command.ts";

/** The command line's part of a client request: the config, the deal, and the overrides. */
export type ResolveClientTargetOptions = {
  /** `--config` (default `./client.yaml`). */
  configPath: string;
  /** Whether `--config` was given: a missing file is then an error even with every override. */
  configGiven: boolean;
  dealId: bigint;
  /** Overrides of what the config says. */
  rig?: string | undefined;
  keystore?: string | undefined;
  passphrase?: PassphraseSource | undefined;
  chainId?: number | undefined;
  market?: `0x${string}` | undefined;
  relayOnly?: boolean | undefined;
};

/** A client request's target, and the config it came from (none when flags gave everything). */
export type ResolveClientTargetReturnType = {
  target: ClientTarget;
  config: ClientConfig | undefined;
};

/**
 * Builds a `client submit|status|logs|forward|stop|admin` request's target
 * from `client.yaml` and the command line: the flags `--keystore`,
 * `--passphrase-env`/`--passphrase-file`, `--chain-id` and `--market` win
 * over the config. Without a config file at the default path, the flags alone
 * must name the keystore, chain id and market (as before `client.yaml`).
 *
 * @throws {ConfigError} for a bad or missing config (exit 2); {@linkcode AgentError} (exit 2) for a missing `--rig`
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveClientTarget } from "./client_target.ts";
 * const { target, config } = await resolveClientTarget({
 *   configPath: "/nonexistent/client.yaml", configGiven: false, dealId: 3n,
 *   rig: "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWRig", keystore: "/k.json",
 *   chainId: 31337, market: "0x00000000000000000000000000000000000000a1",
 * });
 * assert.equal(config, undefined);
 * assert.deepEqual(target.passphrase, { from: "env", name: "SONM_PASSPHRASE" });
 * ```
 */
export async function resolveClientTarget(
  options: ResolveClientTargetOptions,
): Promise<ResolveClientTargetReturnType> {
  const { configPath, configGiven, dealId } = options;
  // the rig lookup from the deal id is not here yet: the supplier gives its address
  if (options.rig === undefined) {
    throw new AgentError("Cannot reach the deal's rig: --rig is required", {
      badInput: true,
      hints: [
        "Ask the supplier for the rig's address: its agent logs it as `reachable`, and `sonm-agent status` prints it",
      ],
    });
  }
  const flagsComplete = options.keystore !== undefined && options.chainId !== undefined &&
    options.market !== undefined;
  const config = configGiven || !flagsComplete || await pathExists(resolve(configPath))
    ? await loadClientConfig(configPath)
    : undefined;
  const passphrase: PassphraseSource = options.passphrase ?? config?.keystore.passphrase ??
    { from: "env", name: "SONM_PASSPHRASE" };
  return {
    config,
    target: {
      rigAddr: options.rig,
      dealId,
      chainId: options.chainId ?? config!.chain.chainId,
      market: options.market ?? config!.chain.contracts.market,
      keystorePath: options.keystore ?? config!.keystore.path,
      passphrase,
      relayOnly: options.relayOnly ?? false,
    },
  };
}
