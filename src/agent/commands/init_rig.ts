import { dirname, join, relative, resolve } from "node:path";
import { createKeystore } from "../../chain/mod.ts";
import { AgentError } from "../../errors.ts";
import { renderConfigTemplate } from "../config/mod.ts";
import { randomPassphrase, readPassphrase, unlockAgentKey } from "../setup/mod.ts";
import { type Logger, pathExists } from "../base/mod.ts";

const PASSPHRASE_FLAGS = { env: "--passphrase-env", file: "--passphrase-file" };

/** Options of {@linkcode initRig}. */
export type InitRigOptions = {
  /** Where to write the config. */
  configPath: string;
  /** Read the passphrase from this environment variable (it must be set now). */
  passphraseEnv?: string | undefined;
  /** Read the passphrase from this file; created with a random passphrase when missing. */
  passphraseFile?: string | undefined;
  /** Overwrite an existing config (a keystore is never overwritten). @default {false} */
  force?: boolean | undefined;
  logger: Logger;
};

/** What {@linkcode initRig} wrote. */
export type InitRigReturnType = {
  configPath: string;
  keystorePath: string;
  address: `0x${string}`;
  /** False when an existing keystore was kept. */
  keystoreCreated: boolean;
};

/**
 * Writes a commented config and a new encrypted keystore beside it. With no
 * passphrase source given, a random passphrase goes into `keystore.pass`
 * (mode 0600) beside the config. An existing keystore is kept and unlocked
 * to check the passphrase, never replaced: it may hold earnings.
 *
 * @throws {AgentError} when the config exists (without `force`) or the passphrase is missing
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initRig } from "./init_rig.ts";
 * import { createLogger } from "../base/mod.ts";
 * const dir = await Deno.makeTempDir();
 * const logger = createLogger({ write: () => {} });
 * const { address } = await initRig({ configPath: `${dir}/rig.yaml`, logger });
 * assert.match(address, /^0x[0-9a-fA-F]{40}$/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function initRig(options: InitRigOptions): Promise<InitRigReturnType> {
  const { configPath, passphraseEnv, passphraseFile, force = false, logger } = options;
  if (passphraseEnv !== undefined && passphraseFile !== undefined) {
    throw new AgentError(
      "Cannot init: give either --passphrase-env or --passphrase-file, not both",
    );
  }
  const configFile = resolve(configPath);
  const dir = dirname(configFile);
  if (!force && await pathExists(configFile)) {
    throw new AgentError(`Cannot init: "${configFile}" already exists`, {
      hints: ["Pass --force to overwrite the config (the keystore is kept)"],
    });
  }
  const keystorePath = join(dir, "keystore.json");
  let source: { from: "env"; name: string } | { from: "file"; path: string };
  if (passphraseEnv !== undefined) {
    source = { from: "env", name: passphraseEnv };
  } else {
    const file = resolve(passphraseFile ?? join(dir, "keystore.pass"));
    if (!await pathExists(file)) {
      await Deno.mkdir(dirname(file), { recursive: true });
      await Deno.writeTextFile(file, randomPassphrase() + "\n", { mode: 0o600 });
      logger.info("wrote a random keystore passphrase", { path: file });
    }
    source = { from: "file", path: file };
  }
  // As `run` reads it: an existing empty file is refused, never an empty passphrase.
  const passphrase = await readPassphrase(source, { names: PASSPHRASE_FLAGS });

  let address: `0x${string}`;
  let keystoreCreated = false;
  if (await pathExists(keystorePath)) {
    const keystore = { path: keystorePath, passphrase: source };
    address = (await unlockAgentKey(keystore, { logger, names: PASSPHRASE_FLAGS })).address;
    logger.info("kept the existing keystore", { path: keystorePath, address });
  } else {
    await Deno.mkdir(dir, { recursive: true });
    address = (await createKeystore({ path: keystorePath, passphrase })).address;
    keystoreCreated = true;
    logger.info("created a keystore", { path: keystorePath, address });
  }
  const written = source.from === "file"
    ? { from: "file" as const, path: relativeTo(dir, source.path) }
    : source;
  const text = renderConfigTemplate({ keystorePath: "./keystore.json", passphrase: written });
  await Deno.writeTextFile(configFile, text, { mode: 0o600 });
  return { configPath: configFile, keystorePath, address, keystoreCreated };
}

function relativeTo(dir: string, file: string): string {
  const rel = relative(dir, file);
  return rel.startsWith("..") ? file : `./${rel}`;
}
