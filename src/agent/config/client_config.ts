/**
 * The consumer's config file, `client.yaml`: which chain and market, whose
 * key, which relays, where the client keeps its files. Like the rig's config:
 * a strict zod schema over snake_case YAML whose output is camelCase, every
 * problem reported with its field and value, relative paths resolved from
 * the file's folder.
 *
 * @module
 */
import { dirname, isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { ConfigError } from "../base/mod.ts";
import { fieldSchemas } from "./config.ts";
import { problemsFromIssues, readBoundedText, readYaml } from "./_read_yaml.ts";
import { readDevnetFile } from "./devnet_file.ts";

/** A client config is a few lines. */
const MAX_CLIENT_CONFIG_BYTES = 64 * 1024;

/**
 * Where a keystore's passphrase comes from: a file (its first line), the
 * terminal (or one line of stdin when it is not a terminal), or, from the
 * command line's `--passphrase-env` override only, an environment variable.
 */
export type PassphraseSource =
  | { from: "file"; path: string }
  | { from: "prompt" }
  | { from: "env"; name: string };

const { address, relayAddress, camelize } = fieldSchemas;

const wholeNumber = z.number().int("must be a whole number");

const devnetChain = z.strictObject({
  /** The data directory of a rig running `chain: devnet` on this machine. */
  devnet: z.string().min(1, "must name the rig's data directory"),
});

const rpcChain = z.strictObject({
  rpc_url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
  chain_id: wholeNumber.positive("must be a positive chain id"),
  /** First block to read the consumer's orders and deals from: the market's deployment block. */
  from_block: wholeNumber.min(0, "must not be negative").default(0),
  contracts: z.strictObject({
    market: address,
    // read from the market (its public getters) when absent
    token: address.optional(),
    oracle: address.optional(),
    blacklist: address.optional(),
    profiles: address.optional(),
  }),
});

const keystore = z.strictObject({
  path: z.string().min(1, "must not be empty"),
  passphrase_file: z.string().min(1, "must not be empty").optional(),
  passphrase_prompt: z.literal(true, { error: "must be true (or left out)" }).optional(),
}).superRefine((value, ctx) => {
  const sources = [value.passphrase_file, value.passphrase_prompt].filter((s) => s !== undefined);
  if (sources.length !== 1) {
    ctx.addIssue({
      code: "custom",
      message:
        "must name exactly one passphrase source: passphrase_file or passphrase_prompt: true",
    });
  }
}).transform(({ path, passphrase_file }): { path: string; passphrase: PassphraseSource } => ({
  path,
  passphrase: passphrase_file === undefined
    ? { from: "prompt" }
    : { from: "file", path: passphrase_file },
}));

const clientConfigSchema = z.strictObject({
  chain: z.union([devnetChain, rpcChain], {
    error: "must be a mapping: devnet: <rig data dir>, or rpc_url, chain_id and contracts",
  }),
  keystore,
  relays: z.array(relayAddress).default([]),
  data_dir: z.string().min(1, "must not be empty").default("./.sonm-client"),
}).transform(camelize);

type ParsedClientConfig = z.output<typeof clientConfigSchema>;

/** The market contracts a client knows: the market, and the others when the config names them. */
export type ClientContracts = {
  market: `0x${string}`;
  token?: `0x${string}` | undefined;
  oracle?: `0x${string}` | undefined;
  blacklist?: `0x${string}` | undefined;
  profiles?: `0x${string}` | undefined;
};

/** The chain a client trades on, the same shape whether it came from an RPC or a local devnet. */
export type ClientChain = {
  /** JSON-RPC endpoint (http or https). */
  rpcUrl: string;
  chainId: number;
  /** First block to read the consumer's orders and deals from. */
  fromBlock: bigint;
  contracts: ClientContracts;
  /** Set for `chain: { devnet: DIR }`: the local rig's data directory (absolute). */
  devnet?: { dataDir: string } | undefined;
};

/**
 * A loaded `client.yaml`. Paths are absolute. The rig lookup needs only
 * `chain.rpcUrl`, `chain.chainId`, `chain.contracts.market` and `relays`.
 */
export type ClientConfig = {
  /** The file it was loaded from (absolute). */
  file: string;
  chain: ClientChain;
  /** The consumer's key: a Web3 Secret Storage (v3) file, and where its passphrase comes from. */
  keystore: { path: string; passphrase: PassphraseSource };
  /** Relay multiaddrs (with `/p2p/<id>`) the client may use; may be empty. */
  relays: string[];
  /** The client's own folder (created when first needed). */
  dataDir: string;
};

/**
 * Parses and validates the text of a `client.yaml`, every problem at once.
 * A `chain: { devnet: DIR }` stays unresolved here (see
 * {@linkcode loadClientConfig}); paths resolve from `file`'s folder.
 *
 * @throws {ConfigError} with one problem per bad field
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseClientConfig } from "./client_config.ts";
 * const config = parseClientConfig(
 *   "chain: { devnet: ../rig/.data }\nkeystore: { path: k.json, passphrase_file: k.pass }\n",
 *   { file: "/home/me/buyer/client.yaml" },
 * );
 * assert.deepEqual(config.chain, { devnet: "/home/me/rig/.data" });
 * assert.deepEqual(config.keystore.passphrase, { from: "file", path: "/home/me/buyer/k.pass" });
 * ```
 */
export function parseClientConfig(
  text: string,
  options: { file: string },
): Omit<ClientConfig, "chain"> & {
  chain: { devnet: string } | Omit<ClientChain, "devnet">;
} {
  const file = resolve(options.file);
  const raw = readYaml(text, file, MAX_CLIENT_CONFIG_BYTES);
  const parsed = clientConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError({
      file,
      problems: problemsFromIssues(parsed.error.issues, raw, {
        unknownKey:
          "is not a known setting (check the spelling against the client.yaml that `sonm-agent client init` writes)",
      }),
    });
  }
  return resolvePaths(parsed.data, file);
}

function resolvePaths(config: ParsedClientConfig, file: string) {
  const dir = dirname(file);
  const at = (path: string) => isAbsolute(path) ? path : join(dir, path);
  const { passphrase } = config.keystore;
  const chain = "devnet" in config.chain ? { devnet: at(config.chain.devnet) } : {
    rpcUrl: config.chain.rpc_url,
    chainId: config.chain.chain_id,
    fromBlock: BigInt(config.chain.from_block),
    contracts: config.chain.contracts,
  };
  return {
    file,
    chain,
    keystore: {
      path: at(config.keystore.path),
      passphrase: passphrase.from === "file"
        ? { from: "file" as const, path: at(passphrase.path) }
        : passphrase,
    },
    relays: config.relays,
    dataDir: at(config.dataDir),
  };
}

/**
 * Reads a `client.yaml` (at most 64 KiB) and resolves its chain: for
 * `chain: { devnet: DIR }`, the RPC and contracts that the rig running on
 * that data directory wrote to `DIR/devnet.json`.
 *
 * @throws {ConfigError} naming the field and value (exit 2): a missing file,
 * bad YAML, a bad field, or a devnet that is not running
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadClientConfig } from "./client_config.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/client.yaml`, [
 *   "chain:",
 *   "  rpc_url: http://127.0.0.1:8545",
 *   "  chain_id: 31337",
 *   '  contracts: { market: "0x00000000000000000000000000000000000000a1" }',
 *   "keystore: { path: ./keystore.json, passphrase_prompt: true }",
 * ].join("\n"));
 * const config = await loadClientConfig(`${dir}/client.yaml`);
 * assert.equal(config.chain.contracts.market, "0x00000000000000000000000000000000000000a1");
 * assert.deepEqual(config.relays, []);
 * await assert.rejects(() => loadClientConfig(`${dir}/none.yaml`), /1 problem found/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadClientConfig(path: string): Promise<ClientConfig> {
  const file = resolve(path);
  const text = await readBoundedText(file, {
    maxBytes: MAX_CLIENT_CONFIG_BYTES,
    hints: [`Write one with: sonm-agent client init --config ${path}`],
  });
  const config = parseClientConfig(text, { file });
  if (!("devnet" in config.chain)) return { ...config, chain: config.chain };
  const dataDir = config.chain.devnet;
  const devnet = await readDevnetFile(dataDir);
  if (devnet === undefined) {
    throw new ConfigError({
      file,
      problems: [{
        path: "chain.devnet",
        message: "names no running devnet: the folder has no devnet.json",
        value: dataDir,
      }],
    }, {
      hints: [
        "Start the rig's agent on chain: devnet (deno task start) and name its data_dir here",
      ],
    });
  }
  return {
    ...config,
    chain: {
      rpcUrl: devnet.rpcUrl,
      chainId: devnet.chainId,
      fromBlock: 0n,
      contracts: devnet.contracts,
      devnet: { dataDir },
    },
  };
}
