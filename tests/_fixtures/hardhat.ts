/**
 * A second Ethereum node for the integration tests: `hardhat node` (Hardhat 3,
 * its EDR engine, under the Node 22 it needs), as installed by
 * `scripts/install_hardhat.sh` into build/hardhat-node/ (`scripts/setup.sh
 * --test` runs it). It listens on a free loopback port, runs the config of
 * scripts/hardhat/hardhat.config.js (chain id 31337, Shanghai, one block per
 * transaction), and gets the real contracts from the project's deploy code,
 * funded as `startDevnet` funds anvil: a {@linkcode Devnet} an agent can be
 * pointed at as an RPC chain.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { createPublicClient, createWalletClient, defineChain, http, maxUint256 } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { deployContracts, tokenAbi } from "../../src/chain/mod.ts";
import type { Devnet } from "../../src/agent/setup/mod.ts";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "../..");

/** Where `scripts/install_hardhat.sh` installs (SONM_HARDHAT_DIR, or build/hardhat-node). */
export const HARDHAT_DIR = Deno.env.get("SONM_HARDHAT_DIR") ?? join(ROOT, "build/hardhat-node");

/** Why the Hardhat node cannot run here (not installed), or undefined when it can. */
export function hardhatMissing(): string | undefined {
  for (const need of ["node22/node_modules/.bin/node", "node_modules/.bin/hardhat", ".installed"]) {
    try {
      Deno.statSync(join(HARDHAT_DIR, need));
    } catch {
      return `Hardhat is not installed: no ${join(HARDHAT_DIR, need)} ` +
        "(`scripts/setup.sh --test` installs it)";
    }
  }
  return undefined;
}

/** The first two accounts of the standard test mnemonic: Hardhat's defaults, as anvil's. */
const DEPLOYER = {
  address: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
  privateKey: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
} as const;
const CONSUMER = {
  address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  privateKey: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
} as const;

const CHAIN_ID = 31_337;
const chain = defineChain({
  id: CHAIN_ID,
  name: "Hardhat",
  nativeCurrency: { decimals: 18, name: "Ether", symbol: "ETH" },
  rpcUrls: { default: { http: ["http://127.0.0.1:8545"] } },
});
const TOKENS_EACH = 100_000n * 10n ** 18n;
const ETH_EACH = 1_000n * 10n ** 18n;
const OUTPUT_TAIL_CHARS = 4000;

// Runs "$0" "$@" in the background and waits for it; kills it on
// SIGTERM/SIGINT/SIGHUP or as soon as the shell's parent process is gone
// (the watchdog of src/chain/start_anvil.ts).
const WATCHDOG = `"$0" "$@" & child=$!
trap 'kill "$child" 2>/dev/null' TERM INT HUP
parent=$PPID
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 0.5; done
kill "$child" 2>/dev/null
wait "$child"`;

/** A running `hardhat node` with the market deployed, and how long its start took. */
export type HardhatDevnet = Devnet & {
  /** Milliseconds: the node listening, then the contracts deployed and the accounts funded. */
  startMs: { node: number; deploy: number };
};

/**
 * Starts `hardhat node` on a free loopback port, deploys the market contracts,
 * and funds the demo consumer and `fund` with ETH (`hardhat_setBalance`) and
 * tokens (the consumer also approves the market).
 */
export async function startHardhatDevnet(
  options: { fund: readonly `0x${string}`[]; startTimeoutMs?: number },
): Promise<HardhatDevnet> {
  const missing = hardhatMissing();
  if (missing !== undefined) throw new Error(`Cannot start hardhat node: ${missing}`);
  const t0 = performance.now();
  const child = new Deno.Command("/bin/sh", {
    args: [
      "-c",
      WATCHDOG,
      join(HARDHAT_DIR, "node_modules/.bin/hardhat"),
      "node",
      "--hostname",
      "127.0.0.1",
      "--port",
      "0",
    ],
    cwd: HARDHAT_DIR,
    env: {
      PATH: `${join(HARDHAT_DIR, "node22/node_modules/.bin")}:${Deno.env.get("PATH") ?? ""}`,
      HARDHAT_DISABLE_TELEMETRY_PROMPT: "true",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();

  // Both pipes drained for the node's whole life (it logs every request); the tail kept for errors.
  let output = "";
  let onListening: ((port: number) => void) | undefined;
  const listening = new Promise<number>((resolve) => (onListening = resolve));
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      output = (output + decoder.decode(chunk, { stream: true })).slice(-OUTPUT_TAIL_CHARS);
      const match = /JSON-RPC server at http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
      if (match !== null && onListening !== undefined) {
        onListening(Number(match[1]));
        onListening = undefined;
      }
    }
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]).catch(() => {});
  let stopping: Promise<void> | undefined;
  const stop = () =>
    stopping ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      await drained;
    })();

  try {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const port = await Promise.race([
      listening,
      child.status.then((s) => {
        throw new Error(`hardhat node exited with code ${s.code}: output ends with:\n${output}`);
      }),
      new Promise<never>((_, reject) =>
        timer = setTimeout(
          () => reject(new Error(`hardhat node did not listen in time: output:\n${output}`)),
          options.startTimeoutMs ?? 30_000,
        )
      ),
    ]).finally(() => clearTimeout(timer));
    const rpcUrl = `http://127.0.0.1:${port}`;
    const t1 = performance.now();

    const transport = http(rpcUrl);
    const publicClient = createPublicClient({ chain, transport, pollingInterval: 50 });
    const wallet = (key: `0x${string}`) =>
      createWalletClient({ chain, transport, account: privateKeyToAccount(key) });
    const deployer = wallet(DEPLOYER.privateKey);
    const contracts = await deployContracts(deployer);
    for (const address of [CONSUMER.address, ...options.fund]) {
      await publicClient.request({
        method: "hardhat_setBalance" as never,
        params: [address, `0x${ETH_EACH.toString(16)}`] as never,
      });
      const hash = await deployer.writeContract({
        address: contracts.token,
        abi: tokenAbi,
        functionName: "mint",
        args: [address, TOKENS_EACH],
      });
      await publicClient.waitForTransactionReceipt({ hash });
    }
    const approval = await wallet(CONSUMER.privateKey).writeContract({
      address: contracts.token,
      abi: tokenAbi,
      functionName: "approve",
      args: [contracts.market, maxUint256],
    });
    await publicClient.waitForTransactionReceipt({ hash: approval });
    return {
      rpcUrl,
      chainId: CHAIN_ID,
      contracts,
      consumer: CONSUMER,
      deployer: DEPLOYER,
      stop,
      startMs: {
        node: Math.round(t1 - t0),
        deploy: Math.round(performance.now() - t1),
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
