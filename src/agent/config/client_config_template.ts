import type { PassphraseSource } from "./client_config.ts";

/** What {@linkcode renderClientConfigTemplate} fills in. */
export type ClientConfigTemplateOptions = {
  /**
   * The chain: a local rig's devnet (its data directory, as written in the
   * file), or an RPC with the market's address. @default {{ devnet: "./.data" }}
   */
  chain?:
    | { devnet: string }
    | { rpcUrl: string; chainId: number; market: `0x${string}`; fromBlock?: bigint | undefined }
    | undefined;
  /** The keystore path as written in the file. @default {"./keystore.json"} */
  keystorePath?: string | undefined;
  /** Where the passphrase comes from. @default {{ from: "file", path: "./keystore.pass" }} */
  passphrase?: Exclude<PassphraseSource, { from: "env" }> | undefined;
  /** Relay multiaddrs. @default {[]} */
  relays?: readonly string[] | undefined;
};

/**
 * The commented `client.yaml` that `sonm-agent client init` writes (and the
 * devnet writes for its demo consumer): every field with what it means.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseClientConfig } from "./client_config.ts";
 * import { renderClientConfigTemplate } from "./client_config_template.ts";
 * const text = renderClientConfigTemplate({ chain: { devnet: "../rig/.data" } });
 * const config = parseClientConfig(text, { file: "/home/me/client.yaml" });
 * assert.deepEqual(config.chain, { devnet: "/home/rig/.data" });
 * ```
 */
export function renderClientConfigTemplate(options: ClientConfigTemplateOptions = {}): string {
  const chain = options.chain ?? { devnet: "./.data" };
  const passphrase = options.passphrase ?? { from: "file", path: "./keystore.pass" };
  const relays = options.relays ?? [];
  const rpcExample = `#   rpc_url: https://rpc.example.org     # JSON-RPC over http(s)
#   chain_id: 444
#   from_block: 0                        # where to start reading your orders and deals:
#                                        # the market's deployment block
#   contracts:
#     market: "0x0000000000000000000000000000000000000001"
#     # token, oracle, blacklist, profiles: read from the market when left out`;
  const chainLines = "devnet" in chain
    ? `chain:
  devnet: ${yamlString(chain.devnet)}
# For a real market, a mapping instead:
# chain:
${rpcExample}`
    : `chain:
  rpc_url: ${yamlString(chain.rpcUrl)}
  chain_id: ${chain.chainId}
  from_block: ${chain.fromBlock ?? 0n}
  contracts:
    market: "${chain.market}"
    # token, oracle, blacklist, profiles: read from the market when left out
# On a local rig's devnet instead:
# chain:
#   devnet: ./.data`;
  const passphraseLines = passphrase.from === "file"
    ? `  passphrase_file: ${yamlString(passphrase.path)}   # its first line (keep it mode 0600)
  # passphrase_prompt: true            # or ask on the terminal (one line of stdin otherwise)`
    : `  passphrase_prompt: true              # ask on the terminal (one line of stdin otherwise)
  # passphrase_file: ./keystore.pass   # or read it from this file (keep it mode 0600)`;
  const relayLines = relays.length === 0
    ? "relays: []"
    : `relays:\n${relays.map((r) => `  - ${yamlString(r)}`).join("\n")}`;
  return `# sonm-agent client config: what every \`sonm-agent client ...\` command reads
# (--config, default ./client.yaml). Relative paths are relative to this file's folder.

# The chain and market to buy on. "devnet" names the data_dir of a rig running
# \`chain: devnet\` on this machine: its RPC and contracts are read from the
# devnet.json it writes there.
${chainLines}

# Your key, in an encrypted Web3 Secret Storage (v3) keystore file. It signs
# your orders and your requests to the rig. The passphrase never goes in this
# file: name exactly one source.
keystore:
  path: ${yamlString(options.keystorePath ?? "./keystore.json")}
${passphraseLines}

# Relay multiaddrs (with /p2p/<relay peer id>, as \`sonm-agent relay\` prints
# them) this client may use to reach rigs behind NAT.
${relayLines}

# The client's own folder.
data_dir: ./.sonm-client
`;
}

/** A plain YAML scalar when it is safe, else a double-quoted one. */
function yamlString(value: string): string {
  return /^[A-Za-z0-9_./-][A-Za-z0-9_./:-]*$/.test(value) && !/^0x/i.test(value)
    ? value
    : JSON.stringify(value);
}
