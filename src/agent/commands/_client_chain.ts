import { type Address, getAddress } from "viem";
import { z } from "zod";
import {
  type ChainClient,
  connectChain,
  createMarketClient,
  createTxSender,
  getMarketAddresses,
  type MarketClient,
  unlockKeystore,
  type WriteMarketClient,
} from "../../chain/mod.ts";
import { AgentError } from "../../errors.ts";
import { type ClientConfig, loadClientConfig } from "../config/mod.ts";
import { readPassphrase, type ReadPassphraseOptions } from "../setup/mod.ts";
import { readInputFile } from "./_read_input_file.ts";

/** A keystore is about 500 bytes. */
const MAX_KEYSTORE_BYTES = 64 * 1024;

/** The consumer on its chain: the config, a market reader, its address, and signing on demand. */
export type ClientChainSession = {
  config: ClientConfig;
  chain: ChainClient;
  /** Reads every market contract (addresses the config leaves out are read from the market). */
  market: MarketClient;
  /** The consumer's address, read from the keystore without unlocking it. */
  address: Address;
  /** Unlocks the keystore (the KDF, once) and returns a client that sends as the consumer. */
  writer(): Promise<WriteMarketClient>;
  close(): Promise<void>;
};

/** Options of {@linkcode openClientChain}. */
export type OpenClientChainOptions = {
  /** The terminal a `passphrase_prompt` keystore asks on (tests). */
  io?: ReadPassphraseOptions["io"];
  signal?: AbortSignal | undefined;
};

/**
 * Loads `client.yaml` and connects to its chain (the chain id must match),
 * for the client's market commands. Reads need no passphrase: the address
 * comes from the keystore file; only `writer()` unlocks it.
 *
 * @throws {ConfigError} for a bad config (exit 2); {@linkcode ChainError} when the chain cannot be reached
 */
export async function openClientChain(
  configPath: string,
  options: OpenClientChainOptions = {},
): Promise<ClientChainSession> {
  const { signal } = options;
  const config = await loadClientConfig(configPath);
  const address = await keystoreAddress(config.keystore.path);
  const chain = await connectChain({
    url: config.chain.rpcUrl,
    chainId: config.chain.chainId,
    signal,
  });
  let addresses;
  try {
    addresses = await getMarketAddresses(chain, {
      market: config.chain.contracts.market,
      known: config.chain.contracts,
      signal,
    });
  } catch (error) {
    await chain.close();
    throw error;
  }
  const market = createMarketClient(chain, { addresses });
  let writing: Promise<WriteMarketClient> | undefined;
  return {
    config,
    chain,
    market,
    address,
    writer() {
      writing ??= (async () => {
        const passphrase = await readPassphrase(config.keystore.passphrase, {
          prompt: `Passphrase for ${config.keystore.path}: `,
          ...(options.io === undefined ? {} : { io: options.io }),
        });
        const account = await unlockKeystore({ path: config.keystore.path, passphrase, signal });
        return createMarketClient(chain, {
          addresses,
          sender: createTxSender(chain, { account }),
        });
      })();
      return writing;
    },
    close: () => chain.close(),
  };
}

const keystoreAddressSchema = z.object({
  address: z.string().regex(/^(0x)?[0-9a-fA-F]{40}$/),
});

/** The `address` a keystore file names (ours always do), without the KDF. */
export async function keystoreAddress(path: string): Promise<Address> {
  const text = await readInputFile(path, {
    what: "keystore",
    maxBytes: MAX_KEYSTORE_BYTES,
    hints: ["Make one with: sonm-agent client init"],
  });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = undefined;
  }
  const parsed = keystoreAddressSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AgentError(
      `Cannot read keystore "${path}": it names no address (a Web3 Secret Storage file has one)`,
      { badInput: true, hints: ["Import the key again with: sonm-agent client init --import-key"] },
    );
  }
  const hex = parsed.data.address.replace(/^0x/, "");
  return getAddress(`0x${hex}`);
}
