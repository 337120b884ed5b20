import { ChainError } from "./errors.ts";

/** A funded anvil dev account. */
export type AnvilAccount = {
  address: `0x${string}`;
  privateKey: `0x${string}`;
};

/** Options of {@linkcode startAnvil}. */
export type StartAnvilOptions = {
  /**
   * TCP port on 127.0.0.1; 0 lets anvil pick a free one.
   *
   * @default {0}
   */
  port?: number | undefined;
  /**
   * Seconds between blocks; unset mines one block per transaction (automine).
   */
  blockTime?: number | undefined;
  /**
   * Keep only the last `keepStates` states and the transactions of the last 8
   * blocks (`--prune-history 8 --transaction-block-keeper 8` by default), for
   * long runs: anvil keeps every state in memory otherwise.
   *
   * @default {false}
   */
  pruneHistory?: boolean | undefined;
  /**
   * States (blocks) anvil keeps in memory with `pruneHistory`. Each is a
   * whole copy of the state: a market of a million orders needs 2, not 8.
   *
   * @default {8}
   */
  keepStates?: number | undefined;
  /**
   * Lift the block gas limit (`--disable-block-gas-limit`), so that one
   * transaction may place thousands of orders (the test-only MarketSeeder).
   *
   * @default {false}
   */
  disableBlockGasLimit?: boolean | undefined;
  /**
   * With `pruneHistory`, also drop the transactions, receipts and logs of
   * all but the last 8 blocks (`--transaction-block-keeper 8`). Set false
   * when an indexer must read old logs (a first sync of a seeded market).
   *
   * @default {true}
   */
  pruneTransactions?: boolean | undefined;
  /**
   * The anvil executable. Defaults to `$SONM_ANVIL_BIN`, then the binary of
   * npm `@foundry-rs/anvil` in the project's node_modules.
   */
  binary?: string | undefined;
  /**
   * How long to wait for the RPC to answer, in milliseconds.
   *
   * @default {20000}
   */
  startTimeoutMs?: number | undefined;
  /** Aborts the start (the process is killed). */
  signal?: AbortSignal | undefined;
};

/** A running anvil node. */
export type AnvilInstance = {
  /** `http://127.0.0.1:<port>` */
  rpcUrl: string;
  port: number;
  /** Chain id (31337). */
  chainId: number;
  /** The 10 accounts of anvil's standard mnemonic, each with 10,000 ETH. */
  accounts: readonly AnvilAccount[];
  /** Kills the node and waits for it to exit; safe to call twice. */
  stop(): Promise<void>;
};

/** anvil exited or did not answer in time. */
export class AnvilStartError extends ChainError {
  override name = "AnvilStartError";
  readonly binary: string;
  readonly output: string;
  constructor(a: { binary: string; detail: string; output: string }) {
    super(
      `Cannot start anvil "${a.binary}": ${a.detail}${
        a.output === "" ? "" : `: output ends with:\n${a.output}`
      }`,
      { hints: ["Run `npm install` to get @foundry-rs/anvil, or set SONM_ANVIL_BIN"] },
    );
    this.binary = a.binary;
    this.output = a.output;
  }
}

/** The accounts of "test test test test test test test test test test test junk", m/44'/60'/0'/0/i. */
const DEV_ACCOUNTS: readonly AnvilAccount[] = [
  [
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  ],
  [
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  ],
  [
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  ],
  [
    "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  ],
  [
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  ],
  [
    "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
  ],
  [
    "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
  ],
  [
    "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
  ],
  [
    "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
  ],
  [
    "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
  ],
].map(([address, privateKey]) => ({
  address: address as `0x${string}`,
  privateKey: privateKey as `0x${string}`,
}));

const MNEMONIC = "test test test test test test test test test test test junk";
const OUTPUT_TAIL_CHARS = 4000;

// Runs "$0" "$@" (anvil) in the background and waits for it; kills it on
// SIGTERM/SIGINT/SIGHUP or as soon as the shell's parent process is gone.
const WATCHDOG = `"$0" "$@" & child=$!
trap 'kill "$child" 2>/dev/null' TERM INT HUP
parent=$PPID
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 0.5; done
kill "$child" 2>/dev/null
wait "$child"`;

/**
 * Starts a local anvil node on 127.0.0.1 and waits until its RPC answers.
 * The caller must `stop()` it (tests: in `finally` or a fixture cleanup).
 *
 * @param options Port, block time, history pruning, binary, timeout and signal.
 * @returns The node's RPC URL, port, chain id and dev accounts, and `stop()`.
 * @throws {AnvilStartError} When anvil exits early or does not answer in time.
 *
 * @example
 * ```ts ignore
 * import { startAnvil } from "./start_anvil.ts";
 * const anvil = await startAnvil({ port: 0 });
 * try {
 *   console.log(anvil.rpcUrl, anvil.accounts[0]?.address);
 * } finally {
 *   await anvil.stop();
 * }
 * ```
 */
export async function startAnvil(options: StartAnvilOptions = {}): Promise<AnvilInstance> {
  const {
    port = 0,
    blockTime,
    pruneHistory = false,
    keepStates = 8,
    disableBlockGasLimit = false,
    pruneTransactions = true,
    binary = Deno.env.get("SONM_ANVIL_BIN") ?? defaultBinary(),
    startTimeoutMs = 20_000,
    signal,
  } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(
      `Cannot start anvil: port must be an integer 0-65535: current value is ${port}`,
    );
  }
  if (blockTime !== undefined && !(blockTime > 0)) {
    throw new RangeError(
      `Cannot start anvil: blockTime must be positive: current value is ${blockTime}`,
    );
  }
  signal?.throwIfAborted();

  const args = [
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--mnemonic",
    MNEMONIC,
    "--accounts",
    String(DEV_ACCOUNTS.length),
  ];
  if (blockTime !== undefined) args.push("--block-time", String(blockTime));
  if (!Number.isInteger(keepStates) || keepStates < 1) {
    throw new RangeError(
      `Cannot start anvil: keepStates must be a positive integer: current value is ${keepStates}`,
    );
  }
  if (pruneHistory) args.push("--prune-history", String(keepStates));
  if (pruneHistory && pruneTransactions) args.push("--transaction-block-keeper", "8");
  if (disableBlockGasLimit) args.push("--disable-block-gas-limit");

  let child: Deno.ChildProcess;
  try {
    const info = await Deno.stat(binary);
    if (!info.isFile) throw new Error(`"${binary}" is not a file`);
    // Through a small shell watchdog, so anvil dies with this process even
    // after a kill -9 (Deno has no PR_SET_PDEATHSIG): the shell stops anvil
    // when its parent is gone, and forwards SIGTERM from stop().
    child = new Deno.Command("/bin/sh", {
      args: ["-c", WATCHDOG, binary, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (cause) {
    throw new AnvilStartError({
      binary,
      detail: `cannot spawn: ${cause instanceof Error ? cause.message : String(cause)}`,
      output: "",
    });
  }

  // Both pipes are drained for the whole life of the process (anvil logs every
  // transaction: an unread pipe would block it); the last few KiB are kept for errors.
  let output = "";
  let onListening: ((port: number) => void) | undefined;
  const listening = new Promise<number>((resolve) => (onListening = resolve));
  const drain = async (stream: ReadableStream<Uint8Array>): Promise<void> => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      output = (output + decoder.decode(chunk, { stream: true })).slice(-OUTPUT_TAIL_CHARS);
      const match = /Listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (match !== null && onListening !== undefined) {
        onListening(Number(match[1]));
        onListening = undefined;
      }
    }
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]).catch(() => {});
  const status = child.status;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const exited = await Promise.race([status.then(() => true), Promise.resolve(false)]);
      if (!exited) {
        try {
          child.kill("SIGTERM");
        } catch { /* already gone */ }
        let timer: ReturnType<typeof setTimeout> | undefined;
        const killed = await Promise.race([
          status.then(() => true),
          new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 5000))),
        ]);
        clearTimeout(timer);
        if (!killed) {
          try {
            child.kill("SIGKILL");
          } catch { /* already gone */ }
        }
      }
      await status;
      await drained;
    })();
    return stopping;
  };

  const fail = async (detail: string): Promise<never> => {
    await stop();
    throw new AnvilStartError({ binary, detail, output: output.trim() });
  };

  const inner = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), startTimeoutMs);
  });
  const aborted = new Promise<"aborted">((resolve) => {
    signal?.addEventListener("abort", () => resolve("aborted"), {
      once: true,
      signal: inner.signal,
    });
  });
  try {
    const first = await Promise.race([
      listening,
      status.then((s) => ({ exited: s.code })),
      timeout,
      aborted,
    ]);
    if (first === "timeout") return await fail(`no RPC within ${startTimeoutMs} ms`);
    if (first === "aborted") {
      await stop();
      throw signal?.reason ?? new DOMException("Aborted", "AbortError");
    }
    if (typeof first === "object") return await fail(`process exited with code ${first.exited}`);
    const boundPort = first;
    const rpcUrl = `http://127.0.0.1:${boundPort}`;
    // "Listening" is printed once the socket is bound; still, confirm the RPC answers.
    const polling = signal === undefined ? inner.signal : AbortSignal.any([signal, inner.signal]);
    const chainId = await Promise.race([
      waitForRpc(rpcUrl, polling).catch(() => "aborted" as const),
      timeout,
      aborted,
    ]);
    if (chainId === "timeout") return await fail(`no RPC within ${startTimeoutMs} ms`);
    if (chainId === "aborted") {
      await stop();
      throw signal?.reason ?? new DOMException("Aborted", "AbortError");
    }
    return { rpcUrl, port: boundPort, chainId, accounts: DEV_ACCOUNTS, stop };
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
    inner.abort();
  }
}

function defaultBinary(): string {
  const os = Deno.build.os === "darwin"
    ? "darwin"
    : Deno.build.os === "windows"
    ? "win32"
    : "linux";
  const arch = Deno.build.arch === "aarch64" ? "arm64" : "amd64";
  const exe = Deno.build.os === "windows" ? "anvil.exe" : "anvil";
  const url = new URL(
    `../../node_modules/@foundry-rs/anvil-${os}-${arch}/bin/${exe}`,
    import.meta.url,
  );
  return decodeURIComponent(url.pathname);
}

async function waitForRpc(rpcUrl: string, signal: AbortSignal | undefined): Promise<number> {
  for (;;) {
    signal?.throwIfAborted();
    try {
      const response = await fetch(rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
        ...(signal === undefined ? {} : { signal }),
      });
      const body = await response.json() as { result?: string };
      if (typeof body.result === "string") return Number.parseInt(body.result, 16);
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
