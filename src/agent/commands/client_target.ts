import { join, resolve } from "node:path";
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
  /** The rig's address instead of the lookup (its record is checked all the same). */
  rig?: string | undefined;
  /** The chain's JSON-RPC URL, to read the deal's supplier. */
  rpc?: string | undefined;
  /** The rig's address on chain, instead of the deal's supplier (admin requests). */
  supplier?: `0x${string}` | undefined;
  /** Relays to look the rig up through, added to the config's. */
  relays?: readonly string[] | undefined;
  /** Record files of rigs on this machine, added to the devnet rig's. */
  recordFiles?: readonly string[] | undefined;
  keystore?: string | undefined;
  passphrase?: PassphraseSource | undefined;
  chainId?: number | undefined;
  market?: `0x${string}` | undefined;
  relayOnly?: boolean | undefined;
  /** Told the path once the rig proved who it is (the CLI prints it). */
  onConnected?: ClientTarget["onConnected"];
  /** Told each step's time (the CLI prints them with `--verbose`). */
  onStep?: ClientTarget["onStep"];
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
 * must name the keystore, chain id, market and how to learn the supplier
 * (`--rpc`, or `--supplier`). The rig is found from the deal: its supplier's
 * signed record, from the devnet rig's record file or the relays' directory;
 * `--rig` only says where to dial.
 *
 * @throws {ConfigError} for a bad or missing config (exit 2); {@linkcode AgentError} (exit 2) when nothing says how to learn the supplier
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveClientTarget } from "./client_target.ts";
 * const { target, config } = await resolveClientTarget({
 *   configPath: "/nonexistent/client.yaml", configGiven: false, dealId: 3n,
 *   rpc: "http://127.0.0.1:8545", keystore: "/k.json",
 *   chainId: 31337, market: "0x00000000000000000000000000000000000000a1",
 * });
 * assert.equal(config, undefined);
 * assert.deepEqual(target.passphrase, { from: "env", name: "SONM_PASSPHRASE" });
 * assert.deepEqual(target.identity, { rpcUrl: "http://127.0.0.1:8545" });
 * ```
 */
export async function resolveClientTarget(
  options: ResolveClientTargetOptions,
): Promise<ResolveClientTargetReturnType> {
  const { configPath, configGiven, dealId } = options;
  const flagsComplete = options.keystore !== undefined && options.chainId !== undefined &&
    options.market !== undefined && (options.rpc !== undefined || options.supplier !== undefined);
  const config = configGiven || !flagsComplete || await pathExists(resolve(configPath))
    ? await loadClientConfig(configPath)
    : undefined;
  const rpcUrl = options.rpc ?? config?.chain.rpcUrl;
  if (options.supplier === undefined && rpcUrl === undefined) {
    throw new AgentError("Cannot learn the deal's supplier: no chain to read it from", {
      badInput: true,
      hints: ["Give --rpc <url> (or a client.yaml with chain.rpc_url), or --supplier <address>"],
    });
  }
  const passphrase: PassphraseSource = options.passphrase ?? config?.keystore.passphrase ??
    { from: "env", name: "SONM_PASSPHRASE" };
  const devnet = config?.chain.devnet;
  return {
    config,
    target: {
      dealId,
      chainId: options.chainId ?? config!.chain.chainId,
      market: options.market ?? config!.chain.contracts.market,
      keystorePath: options.keystore ?? config!.keystore.path,
      passphrase,
      identity: options.supplier !== undefined
        ? { supplier: options.supplier }
        : { rpcUrl: rpcUrl! },
      relays: [...(config?.relays ?? []), ...(options.relays ?? [])],
      // a devnet rig on this machine writes its record beside its state
      recordFiles: [
        ...(devnet === undefined ? [] : [join(devnet.dataDir, "rig-record.json")]),
        ...(options.recordFiles ?? []),
      ],
      ...(options.rig === undefined ? {} : { rigAddr: options.rig }),
      relayOnly: options.relayOnly ?? false,
      ...(options.onConnected === undefined ? {} : { onConnected: options.onConnected }),
      ...(options.onStep === undefined ? {} : { onStep: options.onStep }),
    },
  };
}
