/**
 * The real agent in-process for integration tests: a rig keystore, a config
 * file for a devnet (given as an RPC so the chain outlives each run), and a
 * started agent with its log lines.
 */
import { join } from "node:path";
import type { Hardware } from "../../src/bench/mod.ts";
import { createKeystore } from "../../src/chain/mod.ts";
import {
  type AgentConfig,
  createLogger,
  type Devnet,
  loadConfig,
  runAgent,
} from "../../src/agent/mod.ts";

/** A running agent: its log lines so far, and a stop. */
export type RunningAgent = { logs: Record<string, unknown>[]; stop(): Promise<void> };

/** Starts the real agent in-process and waits until it is ready (indexer polls every 200 ms). */
export async function startAgent(config: AgentConfig, hardware: Hardware): Promise<RunningAgent> {
  const controller = new AbortController();
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: "debug",
    format: "json",
    write: (line) => logs.push(JSON.parse(line)),
  });
  let ready!: () => void;
  const readyPromise = new Promise<void>((resolve) => (ready = resolve));
  const done = runAgent(config, {
    logger,
    signal: controller.signal,
    onReady: () => ready(),
    hardware,
    market: { pollIntervalMs: 200 },
  });
  await Promise.race([
    readyPromise,
    done.then(() => {
      throw new Error(
        `agent stopped before ready:\n${logs.map((l) => JSON.stringify(l)).join("\n")}`,
      );
    }),
  ]);
  return {
    logs,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

/** Polls `fn` every 100 ms until it returns a value; fails after `ms`. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await fn();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Sends a raw JSON-RPC call to the devnet (anvil's own methods). */
export async function rpc(devnet: Devnet, method: string, params: unknown[]): Promise<unknown> {
  const r = await fetch(devnet.rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = await r.json();
  if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result;
}

/** Writes the rig's keystore and passphrase file into `dir`; returns the rig's address. */
export async function createRigKeystore(dir: string): Promise<`0x${string}`> {
  await Deno.writeTextFile(join(dir, "key.pass"), "e2e-passphrase\n");
  const { address } = await createKeystore({
    path: join(dir, "key.json"),
    passphrase: "e2e-passphrase",
    kdf: { kdf: "pbkdf2", c: 1000 },
  });
  return address;
}

/** Writes `dir/rig.yaml` for `devnet` with the given `plans:` YAML block and loads it. */
export async function writeRigConfig(
  dir: string,
  devnet: Devnet,
  plans: string,
): Promise<AgentConfig> {
  const c = devnet.contracts;
  await Deno.writeTextFile(
    join(dir, "rig.yaml"),
    `data_dir: ./data
chain:
  rpc_url: ${devnet.rpcUrl}
  chain_id: ${devnet.chainId}
  from_block: 0
  contracts: { market: "${c.market}", token: "${c.token}", oracle: "${c.oracle}", blacklist: "${c.blacklist}", profiles: "${c.profiles}" }
keystore: { path: ./key.json, passphrase_file: ./key.pass }
dashboard: { enabled: false }
${plans}`,
  );
  return await loadConfig(join(dir, "rig.yaml"), { gpuIndexes: [] });
}
