import { join } from "node:path";
import { importPrivateKey } from "../../chain/mod.ts";
import { removeDevnetFile, renderClientConfigTemplate, writeDevnetFile } from "../config/mod.ts";
import { type Logger, pathExists } from "../base/mod.ts";
import type { Devnet } from "./devnet.ts";
import { randomPassphrase } from "./ensure_keystore.ts";

/** The folder, in the rig's data directory, of the devnet's demo consumer. */
export const DEMO_CONSUMER_DIR = "demo-consumer";

/** Options of {@linkcode publishDevnet}. */
export type PublishDevnetOptions = {
  /** The rig's data directory: where `devnet.json` and the demo consumer's folder go. */
  dataDir: string;
  /** The rig's relays, for the demo consumer's config. */
  relays: readonly string[];
  logger: Logger;
};

/** What {@linkcode publishDevnet} wrote, and how to take the devnet file back. */
export type PublishedDevnet = {
  devnetFile: string;
  /** The demo consumer's ready `client.yaml`. */
  clientConfig: string;
  /** Removes `devnet.json` (the chain stops with the agent); the demo consumer's files stay. */
  withdraw(): Promise<void>;
};

/**
 * On the devnet only: tells other processes where the chain is
 * (`DATA_DIR/devnet.json`, read by a `client.yaml` with `chain: { devnet:
 * DATA_DIR }`), and gives a newcomer a consumer ready to buy: the demo
 * consumer's key (funded by the devnet; anvil's public account #1) in an
 * encrypted keystore with a random passphrase file, and a `client.yaml`
 * naming them, in `DATA_DIR/demo-consumer/`. Logs one line saying where.
 *
 * @example
 * ```ts ignore
 * const published = await publishDevnet(devnet, { dataDir, relays: [], logger });
 * await published.withdraw();
 * ```
 */
export async function publishDevnet(
  devnet: Devnet,
  options: PublishDevnetOptions,
): Promise<PublishedDevnet> {
  const { dataDir, relays, logger } = options;
  const devnetFile = await writeDevnetFile(dataDir, {
    rpcUrl: devnet.rpcUrl,
    chainId: devnet.chainId,
    contracts: devnet.contracts,
    pid: Deno.pid,
  });
  const dir = join(dataDir, DEMO_CONSUMER_DIR);
  const keystore = join(dir, "keystore.json");
  const passFile = join(dir, "keystore.pass");
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  // anvil's accounts are the same on every start: a keystore from an earlier run stays good
  if (!(await pathExists(keystore) && await pathExists(passFile))) {
    const passphrase = randomPassphrase();
    await Deno.writeTextFile(passFile, passphrase + "\n", { mode: 0o600 });
    await importPrivateKey({
      privateKey: devnet.consumer.privateKey,
      path: keystore,
      passphrase,
      kdf: { kdf: "pbkdf2", c: 10_000 }, // a public devnet key: keep each command fast
      overwrite: true,
    });
  }
  const clientConfig = join(dir, "client.yaml");
  await Deno.writeTextFile(
    clientConfig,
    renderClientConfigTemplate({
      chain: { devnet: ".." },
      keystorePath: "./keystore.json",
      passphrase: { from: "file", path: "./keystore.pass" },
      relays,
    }),
    { mode: 0o600 },
  );
  logger.info("the demo consumer's client config is ready", {
    config: clientConfig,
    consumer: devnet.consumer.address,
    try: `sonm-agent client deals --config ${clientConfig}`,
  });
  return {
    devnetFile,
    clientConfig,
    withdraw: () => removeDevnetFile(dataDir, Deno.pid),
  };
}
