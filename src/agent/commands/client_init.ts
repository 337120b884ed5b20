import { dirname, join, relative, resolve } from "node:path";
import {
  createKeystore,
  importPrivateKey,
  type KeystoreKdf,
  unlockKeystore,
} from "../../chain/mod.ts";
import { AgentError } from "../../errors.ts";
import {
  type ClientConfigTemplateOptions,
  type PassphraseSource,
  renderClientConfigTemplate,
} from "../config/mod.ts";
import { randomPassphrase, readPassphrase, type ReadPassphraseOptions } from "../setup/mod.ts";
import { type Logger, pathExists } from "../base/mod.ts";
import { readInputFile } from "./_read_input_file.ts";

/** A key file is a line of hex or a keystore of about 500 bytes. */
const MAX_KEY_FILE_BYTES = 64 * 1024;

const PASSPHRASE_FLAGS = { env: "--passphrase-env", file: "--passphrase-file" };

/** Options of {@linkcode initClient}. */
export type InitClientOptions = {
  /** Where to write the config. */
  configPath: string;
  /** The chain the config names. @default {{ devnet: "./.data" }} */
  chain?: ClientConfigTemplateOptions["chain"];
  /** Relay multiaddrs. @default {[]} */
  relays?: readonly string[] | undefined;
  /**
   * Read the passphrase from this file; a missing one is created with a
   * random passphrase (mode 0600). The default, with no source given, is
   * `keystore.pass` beside the config.
   */
  passphraseFile?: string | undefined;
  /** Ask for the passphrase (terminal, or one line of stdin); the config then asks each time. */
  passphrasePrompt?: boolean | undefined;
  /**
   * Import this key instead of making a new one: a file holding the private
   * key (64 hex digits, with or without 0x) or a Web3 Secret Storage (v3)
   * keystore, which is kept as it is and must open with the passphrase.
   */
  importKey?: string | undefined;
  /** Overwrite an existing config (a keystore is never overwritten). @default {false} */
  force?: boolean | undefined;
  /** The terminal a prompt uses (tests). */
  io?: ReadPassphraseOptions["io"];
  logger: Logger;
};

/** What {@linkcode initClient} wrote. */
export type InitClientReturnType = {
  configPath: string;
  keystorePath: string;
  address: `0x${string}`;
  /** How the keystore came about: made now, imported now, or kept from before. */
  keystore: "created" | "imported" | "kept";
};

/**
 * `sonm-agent client init`: writes a commented `client.yaml` and, beside it,
 * the consumer's encrypted keystore (`keystore.json`): a new key, or one
 * imported from a file. The passphrase comes from a file (by default a
 * random one in `keystore.pass`, mode 0600) or a prompt, never from a flag
 * or the environment in clear. An existing keystore is kept and unlocked to
 * check the passphrase, never replaced: it may hold funds. On a devnet the
 * key is stretched with a light KDF (pbkdf2, 10,000 rounds: it guards test
 * tokens, and each command stays fast); elsewhere with scrypt's strong
 * default.
 *
 * @throws {AgentError} when the config exists (without `force`), the passphrase is
 * missing or wrong, or the key file is neither a key nor a keystore (exit 2)
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initClient } from "./client_init.ts";
 * import { createLogger } from "../base/mod.ts";
 * const dir = await Deno.makeTempDir();
 * const logger = createLogger({ write: () => {} });
 * const { address, keystore } = await initClient({
 *   configPath: `${dir}/client.yaml`, chain: { devnet: "../rig/.data" }, logger,
 * });
 * assert.match(address, /^0x[0-9a-fA-F]{40}$/);
 * assert.equal(keystore, "created");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function initClient(options: InitClientOptions): Promise<InitClientReturnType> {
  const { configPath, force = false, logger } = options;
  const bad = (message: string, hints: string[] = []) =>
    new AgentError(`Cannot init the client: ${message}`, { hints, badInput: true });
  if (options.passphraseFile !== undefined && options.passphrasePrompt === true) {
    throw bad("give either --passphrase-file or --passphrase-prompt, not both");
  }
  const configFile = resolve(configPath);
  const dir = dirname(configFile);
  if (!force && await pathExists(configFile)) {
    throw bad(`"${configFile}" already exists`, [
      "Pass --force to overwrite the config (the keystore is kept)",
    ]);
  }
  const keystorePath = join(dir, "keystore.json");
  const keystoreExists = await pathExists(keystorePath);
  if (options.importKey !== undefined && keystoreExists) {
    throw bad(`"${keystorePath}" already exists: it is never replaced`, [
      "Import into another folder, or move the old keystore away first",
    ]);
  }
  const keyFile = options.importKey === undefined
    ? undefined
    : await readKeyFile(options.importKey, bad);
  if (
    keyFile?.kind === "keystore" && options.passphraseFile === undefined &&
    !options.passphrasePrompt
  ) {
    throw bad(`"${options.importKey}" is a keystore: its passphrase is needed`, [
      "Give the keystore's passphrase with --passphrase-file FILE or --passphrase-prompt",
    ]);
  }

  const source = await passphraseSource(options, dir, logger);
  const passphrase = await readPassphrase(source, {
    names: PASSPHRASE_FLAGS,
    prompt: `Passphrase for ${keystorePath}: `,
    ...(options.io === undefined ? {} : { io: options.io }),
  });
  const kdf: KeystoreKdf | undefined = options.chain !== undefined && !("devnet" in options.chain)
    ? undefined
    : { kdf: "pbkdf2", c: 10_000 };

  let address: `0x${string}`;
  let keystore: InitClientReturnType["keystore"];
  await Deno.mkdir(dir, { recursive: true });
  if (keyFile?.kind === "private-key") {
    ({ address } = await importPrivateKey({
      privateKey: keyFile.privateKey,
      path: keystorePath,
      passphrase,
      kdf,
    }));
    keystore = "imported";
  } else if (keyFile?.kind === "keystore") {
    // kept as it is: it must open with the passphrase given
    address = (await unlockKeystore({ path: options.importKey!, passphrase })).address;
    await Deno.writeTextFile(keystorePath, keyFile.text, { mode: 0o600, createNew: true });
    keystore = "imported";
  } else if (keystoreExists) {
    address = (await unlockKeystore({ path: keystorePath, passphrase })).address;
    keystore = "kept";
  } else {
    ({ address } = await createKeystore({ path: keystorePath, passphrase, kdf }));
    keystore = "created";
  }
  logger.info(`${keystore} the client's keystore`, { path: keystorePath, address });

  const text = renderClientConfigTemplate({
    ...(options.chain === undefined ? {} : { chain: options.chain }),
    keystorePath: "./keystore.json",
    passphrase: source.from === "file"
      ? { from: "file", path: relativeTo(dir, source.path) }
      : { from: "prompt" },
    relays: options.relays ?? [],
  });
  await Deno.writeTextFile(configFile, text, { mode: 0o600 });
  return { configPath: configFile, keystorePath, address, keystore };
}

/** The passphrase's source: a prompt, or a file (written with a random passphrase when missing). */
async function passphraseSource(
  options: InitClientOptions,
  dir: string,
  logger: Logger,
): Promise<Exclude<PassphraseSource, { from: "env" }>> {
  if (options.passphrasePrompt === true) return { from: "prompt" };
  const file = resolve(options.passphraseFile ?? join(dir, "keystore.pass"));
  if (!await pathExists(file)) {
    await Deno.mkdir(dirname(file), { recursive: true });
    await Deno.writeTextFile(file, randomPassphrase() + "\n", { mode: 0o600 });
    logger.info("wrote a random keystore passphrase", { path: file });
  }
  return { from: "file", path: file };
}

type KeyFile =
  | { kind: "private-key"; privateKey: `0x${string}` }
  | { kind: "keystore"; text: string };

/** A private key (hex) or a keystore (JSON), by what the file holds; never echoed in errors. */
async function readKeyFile(
  path: string,
  bad: (message: string, hints?: string[]) => AgentError,
): Promise<KeyFile> {
  const text = (await readInputFile(path, { what: "key file", maxBytes: MAX_KEY_FILE_BYTES }))
    .trim();
  const hex = /^(0x)?([0-9a-fA-F]{64})$/.exec(text);
  if (hex !== null) return { kind: "private-key", privateKey: `0x${hex[2]!.toLowerCase()}` };
  if (text.startsWith("{")) {
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      document = undefined;
    }
    if (
      typeof document === "object" && document !== null &&
      ("crypto" in document || "Crypto" in document)
    ) {
      return { kind: "keystore", text: text + "\n" };
    }
  }
  throw bad(
    `"${path}" holds neither a private key (64 hex digits) nor a Web3 Secret Storage keystore`,
  );
}

function relativeTo(dir: string, file: string): string {
  const rel = relative(dir, file);
  return rel.startsWith("..") ? file : `./${rel}`;
}
