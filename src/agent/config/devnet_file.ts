/**
 * The file through which a rig running `chain: devnet` tells other processes
 * (a consumer's `client.yaml` with `chain: { devnet: DIR }`, `sonm-agent
 * devnet ...`) where its local chain is: `DATA_DIR/devnet.json`, written once
 * the devnet is up and removed when it stops.
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import { readBoundedText } from "./_read_yaml.ts";
import { ConfigError } from "../base/mod.ts";

/** File in the rig's data directory that names its running devnet. */
export const DEVNET_FILE = "devnet.json";

/** A devnet file is a few hundred bytes. */
const MAX_DEVNET_FILE_BYTES = 16 * 1024;

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const address = z.string().regex(ADDRESS, "must be a 0x-prefixed 20-byte hex address")
  .transform((a) => a.toLowerCase() as `0x${string}`);

const devnetFileSchema = z.strictObject({
  rpcUrl: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
  chainId: z.number().int().positive(),
  contracts: z.strictObject({
    market: address,
    token: address,
    oracle: address,
    blacklist: address,
    profiles: address,
  }),
  /** The agent process that runs the devnet (its chain stops with it). */
  pid: z.number().int().nonnegative(),
});

/** Where a running devnet is: what {@linkcode writeDevnetFile} records. */
export type DevnetFile = z.output<typeof devnetFileSchema>;

/**
 * Writes `dataDir/devnet.json` (replacing an older one in one rename, so a
 * reader never sees half a file). Returns the file's path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readDevnetFile, writeDevnetFile } from "./devnet_file.ts";
 * const dir = await Deno.makeTempDir();
 * const a = "0x00000000000000000000000000000000000000a1";
 * const contracts = { market: a, token: a, oracle: a, blacklist: a, profiles: a } as const;
 * await writeDevnetFile(dir, { rpcUrl: "http://127.0.0.1:8545", chainId: 31337, contracts, pid: 1 });
 * assert.equal((await readDevnetFile(dir))?.chainId, 31337);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeDevnetFile(dataDir: string, devnet: DevnetFile): Promise<string> {
  const file = join(dataDir, DEVNET_FILE);
  const partial = `${file}.${crypto.randomUUID()}.tmp`;
  await Deno.mkdir(dataDir, { recursive: true });
  await Deno.writeTextFile(partial, JSON.stringify(devnetFileSchema.parse(devnet), null, 2) + "\n");
  await Deno.rename(partial, file);
  return file;
}

/**
 * Reads `dataDir/devnet.json`; undefined when there is none (no agent runs a
 * devnet on that data directory).
 *
 * @throws {ConfigError} when the file exists but is not a devnet file
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readDevnetFile } from "./devnet_file.ts";
 * const dir = await Deno.makeTempDir();
 * assert.equal(await readDevnetFile(dir), undefined);
 * await Deno.writeTextFile(`${dir}/devnet.json`, "{}");
 * await assert.rejects(() => readDevnetFile(dir), /1 problem found/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readDevnetFile(dataDir: string): Promise<DevnetFile | undefined> {
  const file = join(dataDir, DEVNET_FILE);
  let text: string;
  try {
    text = await readBoundedText(file, { maxBytes: MAX_DEVNET_FILE_BYTES });
  } catch (error) {
    if (error instanceof ConfigError && error.cause instanceof Deno.errors.NotFound) {
      return undefined;
    }
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = undefined;
  }
  const parsed = devnetFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError({
      file,
      problems: [{
        path: issue?.path.join(".") || "(file)",
        message: `is not what a devnet writes: ${issue?.message ?? "not JSON"}`,
        value: undefined,
      }],
    }, { hints: ["Restart the rig's agent (chain: devnet): it writes this file at start"] });
  }
  return parsed.data;
}

/**
 * Removes `dataDir/devnet.json` if it names process `pid` (the devnet
 * stopped with it); another agent's file is left alone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readDevnetFile, removeDevnetFile, writeDevnetFile } from "./devnet_file.ts";
 * const dir = await Deno.makeTempDir();
 * const a = "0x00000000000000000000000000000000000000a1";
 * const contracts = { market: a, token: a, oracle: a, blacklist: a, profiles: a } as const;
 * await writeDevnetFile(dir, { rpcUrl: "http://127.0.0.1:8545", chainId: 31337, contracts, pid: 7 });
 * await removeDevnetFile(dir, 7);
 * assert.equal(await readDevnetFile(dir), undefined);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function removeDevnetFile(dataDir: string, pid: number): Promise<void> {
  const current = await readDevnetFile(dataDir).catch(() => undefined);
  if (current?.pid !== pid) return;
  await Deno.remove(join(dataDir, DEVNET_FILE)).catch(() => {});
}
