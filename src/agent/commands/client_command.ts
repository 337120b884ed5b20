/**
 * `sonm-agent client ...`: the consumer's commands. Each one finds the rig
 * from the deal alone: it reads the deal's supplier on chain, looks the
 * supplier's signed record up on the relays' directory (or takes `--rig`),
 * connects (the rig's direct addresses first, else a relay's circuit and the
 * punch), and refuses to send anything unless the record is signed by the
 * supplier and the peer connected is the record's. Then it signs one request
 * per action with the consumer's keystore (EIP-712, bound to the chain and
 * market) and prints the answer.
 *
 * @module
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Address, LocalAccount } from "viem";
import { multiaddr } from "@multiformats/multiaddr";
import {
  connectChain,
  createMarketClient,
  getDeal,
  type MarketClient,
  unlockKeystore,
} from "../../chain/mod.ts";
import { ZERO_ADDRESS } from "../../internal/mod.ts";
import { AgentError } from "../../errors.ts";
import {
  connectToRig,
  type ConsumerTaskSpec,
  consumerTaskSpecSchema,
  createNatHost,
  decodeRigRecord,
  fetchRigRecord,
  findRigRecord,
  followTaskLogs,
  forwardPort,
  MAX_RIG_RECORD_BYTES,
  NatError,
  type NatHost,
  type RequestAction,
  type RigConnection,
  sendTaskRequest,
  type SignedRigRecord,
  signRequest,
  type SignRequestParameters,
  verifyRigRecord,
} from "../../nat/mod.ts";
import { ConfigError } from "../base/mod.ts";
import type { PassphraseSource } from "../config/mod.ts";
import { readInputFile } from "./_read_input_file.ts";
import { readPassphrase } from "../setup/mod.ts";

/** A task spec is a few lines of YAML (its wire form is at most 128 KiB). */
const MAX_TASK_FILE_BYTES = 128 * 1024;

/**
 * Who the rig must prove to be: the supplier of the deal, read on chain
 * through `market`, or (an administrator's requests, which concern no deal)
 * the rig's address given outright. `rpcUrl` reads the deal through a
 * reader made here ({@linkcode clientMarketReader}).
 */
export type ClientRigIdentity =
  | { market: MarketClient }
  | { rpcUrl: string }
  | { supplier: Address };

/** What every client command needs: which deal, whose key, how to find the rig. */
export type ClientTarget = {
  dealId: bigint;
  chainId: number;
  market: `0x${string}`;
  keystorePath: string;
  passphrase: PassphraseSource;
  /** Whom the rig must prove to be (see {@linkcode ClientRigIdentity}). */
  identity: ClientRigIdentity;
  /** Relays (multiaddrs with `/p2p/<id>`) to look the rig's record up through. */
  relays?: readonly string[] | undefined;
  /**
   * Record files rigs on this machine wrote (a devnet rig's
   * `<data_dir>/rig-record.json`): the supplier's is used before the relays'
   * directory, checked the same way; the others are ignored.
   */
  recordFiles?: readonly string[] | undefined;
  /**
   * Override of the lookup: the rig's address (`<relay>/p2p-circuit/p2p/<id>`,
   * or a direct one). The rig's record, asked from the peer, is checked all the same.
   */
  rigAddr?: string | undefined;
  /** Skip the direct paths and stay on the relay. */
  relayOnly?: boolean | undefined;
  /**
   * Called once the rig proved who it is, before any request: the path and
   * the peer, for the CLI to print.
   */
  onConnected?: ((path: ClientPath) => void) | undefined;
  /**
   * Called as each step ends, with the ms since the process started (the
   * CLI prints them with `--verbose`: where a command's time goes).
   */
  onStep?: ((step: string, atMs: number) => void) | undefined;
};

/** The path a command took to the rig, and whom it reached. */
export type ClientPath = {
  path: "direct" | "relay";
  /** The rig's Ethereum address (the deal's supplier). */
  supplier: Address;
  peerId: string;
  /** The connection's remote address (a circuit's ends with `/p2p-circuit/...`). */
  remoteAddr: string;
  /** Where the rig's addresses came from. */
  found: "directory" | "--rig" | "file";
};

/** A session with a rig: the consumer's account, the host, the connection. */
export type ClientSession = {
  account: LocalAccount;
  host: NatHost;
  rig: RigConnection;
  record: SignedRigRecord;
  info: ClientPath;
  sign<A extends RequestAction>(
    action: A,
    args: SignRequestParameters<A>["args"],
  ): ReturnType<typeof signRequest<A>>;
  close(): Promise<void>;
};

/**
 * A reader of the market at `rpcUrl` for the client (only the market's
 * address is needed to read a deal).
 *
 * @throws {ChainIdMismatchError | ChainRpcError} when the node is not the expected chain or does not answer
 */
export async function clientMarketReader(
  options: { rpcUrl: string; chainId: number; market: Address },
): Promise<MarketClient> {
  const chain = await connectChain({
    url: options.rpcUrl,
    chainId: options.chainId,
    retry: { attempts: 2 },
  });
  return createMarketClient(chain, {
    addresses: {
      market: options.market,
      token: ZERO_ADDRESS,
      oracle: ZERO_ADDRESS,
      blacklist: ZERO_ADDRESS,
      profiles: ZERO_ADDRESS,
    },
  });
}

/** The address the rig must prove to be: the deal's supplier on chain, or the one given. */
async function expectedSupplier(target: ClientTarget): Promise<Address> {
  const identity = target.identity;
  if ("supplier" in identity) return identity.supplier;
  const market = "market" in identity ? identity.market : await clientMarketReader({
    rpcUrl: identity.rpcUrl,
    chainId: target.chainId,
    market: target.market,
  });
  const deal = await getDeal(market, { dealId: target.dealId });
  if (deal === undefined || deal.supplier === ZERO_ADDRESS) {
    throw new AgentError(
      `Cannot find the rig of deal ${target.dealId}: there is no such deal on market ${target.market}`,
      { badInput: true, hints: ["Check --deal and the chain the client reads"] },
    );
  }
  return deal.supplier;
}

/** A fresh 128-bit nonce: the rig refuses one it has seen from this signer. */
function freshNonce(): bigint {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);
}

const nowSeconds = () => BigInt(Math.floor(Date.now() / 1000));

/**
 * Connects to the rig found from `--rig` or the directory and checks its
 * identity: nothing is sent to a peer before this returns.
 */
async function reachRig(
  host: NatHost,
  target: ClientTarget,
  supplierPromise: Promise<Address>,
  step: <T>(name: string, value: T) => T,
): Promise<{ rig: RigConnection; record: SignedRigRecord; info: ClientPath }> {
  const expect = { chainId: target.chainId, market: target.market };
  if (target.rigAddr !== undefined) {
    const [rig, supplier] = await Promise.all([
      connectToRig(host, { rigAddr: target.rigAddr, direct: !target.relayOnly }),
      supplierPromise,
    ]);
    step("connected", undefined);
    const record = await fetchRigRecord(rig.connection);
    const peerId = rig.connection.remotePeer.toString();
    await verifyRigRecord(record, { ...expect, supplier, nowSeconds: nowSeconds(), peerId });
    return { rig, record, info: pathInfo(rig, supplier, "--rig") };
  }
  const relays = target.relays ?? [];
  // the directory's servers: dialled while the deal is read
  const dialled = Promise.allSettled(
    relays.map((addr) => host.node.dial(multiaddr(addr), { signal: AbortSignal.timeout(5_000) })),
  );
  const supplier = await supplierPromise;
  const local = await localRecord(target, supplier);
  if (local !== undefined) {
    step("record found", undefined);
    return await connectByRecord(host, target, { record: local, supplier }, "file", step);
  }
  if (relays.length === 0) {
    throw new AgentError("Cannot look the rig up: no relay to ask", {
      badInput: true,
      hints: [
        "Give the relays of the market (client.yaml relays, or --relay), or the rig's --rig",
        "A rig on this machine: --rig-record <its data_dir>/rig-record.json",
      ],
    });
  }
  const reachable = step(
    "relays dialled",
    (await dialled).filter((r) => r.status === "fulfilled").length,
  );
  if (reachable === 0) {
    throw new NatError(`Cannot look the rig up: no relay answered (${relays.join(", ")})`, {
      hints: ["Allow outbound UDP (QUIC) or TCP to the relays' ports"],
    });
  }
  const record = step(
    "record found",
    await findRigRecord(host.node.services.dht, { ...expect, address: supplier }),
  );
  if (record === undefined) {
    throw new NatError(
      `Cannot find the rig of supplier ${supplier}: no relay has its record (asked ${relays.length})`,
      {
        hints: [
          "Is the rig running, with at least one relay of this market in nat.relays?",
          "Give its address with --rig to skip the lookup",
        ],
      },
    );
  }
  return await connectByRecord(host, target, { record, supplier }, "directory", step);
}

/** Checks a record found for the supplier, connects to its addresses, checks the peer. */
async function connectByRecord(
  host: NatHost,
  target: ClientTarget,
  { record, supplier }: { record: SignedRigRecord; supplier: Address },
  found: ClientPath["found"],
  step: <T>(name: string, value: T) => T,
): Promise<{ rig: RigConnection; record: SignedRigRecord; info: ClientPath }> {
  const expect = { chainId: target.chainId, market: target.market, supplier };
  await verifyRigRecord(record, { ...expect, nowSeconds: nowSeconds() });
  const rig = step(
    "connected",
    await connectToRig(host, { addrs: record.addrs, direct: !target.relayOnly }),
  );
  await verifyRigRecord(record, {
    ...expect,
    nowSeconds: nowSeconds(),
    peerId: rig.connection.remotePeer.toString(),
  });
  return { rig, record, info: pathInfo(rig, supplier, found) };
}

/**
 * The supplier's record among the local record files, when one is there and
 * proves it (a file for another rig, or a stale one, is passed over).
 */
async function localRecord(
  target: ClientTarget,
  supplier: Address,
): Promise<SignedRigRecord | undefined> {
  for (const path of target.recordFiles ?? []) {
    try {
      const text = await readInputFile(path, {
        what: "rig record",
        maxBytes: MAX_RIG_RECORD_BYTES,
      });
      const bytes = new TextEncoder().encode(text);
      const record = decodeRigRecord(bytes);
      await verifyRigRecord(record, {
        chainId: target.chainId,
        market: target.market,
        supplier,
        nowSeconds: nowSeconds(),
      });
      return record;
    } catch {
      continue; // no file, another rig's, expired: the directory decides
    }
  }
  return undefined;
}

function pathInfo(rig: RigConnection, supplier: Address, found: ClientPath["found"]): ClientPath {
  return {
    path: rig.path,
    supplier,
    peerId: rig.connection.remotePeer.toString(),
    remoteAddr: rig.connection.remoteAddr.toString(),
    found,
  };
}

/**
 * Finds the rig and proves its identity, while the keystore unlocks: the
 * session's requests go only to a rig whose record the deal's supplier signed.
 *
 * @throws {RigIdentityError} when the rig cannot prove it is the deal's supplier (nothing sent)
 * @throws {NatError} when the relays or the rig cannot be reached
 */
export async function openClientSession(target: ClientTarget): Promise<ClientSession> {
  const step = <T>(name: string, value: T): T => {
    target.onStep?.(name, performance.now());
    return value;
  };
  step("modules loaded", undefined);
  // the key derivation runs while the rig is found (scrypt and pbkdf2 leave the thread free)
  const unlocking = readPassphrase(target.passphrase, {
    names: { env: "--passphrase-env", file: "--passphrase-file" },
  }).then((passphrase) => unlockKeystore({ path: target.keystorePath, passphrase }))
    .then((account) => step("keystore unlocked", account));
  unlocking.catch(() => {}); // awaited below; an early failure must not go unhandled meanwhile
  const supplier = expectedSupplier(target).then((address) => step("supplier known", address));
  supplier.catch(() => {});
  const host = await createNatHost({
    privateKey: await generateKeyPair("Ed25519"),
    listen: [],
    classifyAtStart: false,
  });
  step("libp2p host started", undefined);
  let reached: Awaited<ReturnType<typeof reachRig>>;
  let account: LocalAccount;
  try {
    reached = await reachRig(host, target, supplier, step);
    account = await unlocking;
  } catch (error) {
    await host.stop();
    throw error;
  }
  target.onConnected?.(reached.info);
  const domain = { chainId: target.chainId, market: target.market };
  return {
    account,
    host,
    rig: reached.rig,
    record: reached.record,
    info: reached.info,
    sign: (action, args) =>
      signRequest(account, domain, {
        action,
        dealId: target.dealId,
        args,
        nonce: freshNonce(),
        expiry: nowSeconds() + 300n,
      }),
    // the answer is complete by then: a QUIC stream the peer closed while the host shuts
    // down ("closed by peer") must not turn a finished command into a failure
    close: () => host.stop().catch(() => {}),
  };
}

/**
 * Reads and checks a task file (YAML): the image, command, env, ports.
 *
 * @throws {ConfigError} naming the field and value that are wrong
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { readTaskFile } from "./client_command.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/task.yaml`, "image: busybox\ncommand: [sleep, '60']\n");
 * const spec = await readTaskFile(`${dir}/task.yaml`);
 * assert.deepEqual(spec.command, ["sleep", "60"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readTaskFile(path: string): Promise<ConsumerTaskSpec> {
  const text = await readInputFile(path, { what: "task file", maxBytes: MAX_TASK_FILE_BYTES });
  let raw: unknown;
  try {
    const { parse: parseYaml } = await import("yaml"); // only submit reads YAML: loaded then
    raw = parseYaml(text);
  } catch (cause) {
    throw new ConfigError({
      file: path,
      problems: [{
        path: "(file)",
        message: `cannot read YAML: ${(cause as Error).message}`,
        value: undefined,
      }],
    });
  }
  const parsed = consumerTaskSpecSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError({
      file: path,
      problems: parsed.error.issues.map((issue) => ({
        path: issue.path.join(".") || "(task)",
        message: issue.message,
        value: valueAt(raw, issue.path),
      })),
    });
  }
  return parsed.data;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** The answer of a one-shot client command, and the path it took. */
export type ClientCommandResult = { path: "direct" | "relay"; result: unknown };

/** `client submit|status|stop`: one request, one answer. */
export async function runClientRequest(
  target: ClientTarget,
  request: { action: "submit"; spec: ConsumerTaskSpec } | { action: "status" | "stop" },
): Promise<ClientCommandResult> {
  const session = await openClientSession(target);
  try {
    const envelope = request.action === "submit"
      ? await session.sign("submit", { spec: request.spec })
      : await session.sign(request.action, {});
    const result = await sendTaskRequest(session.rig.connection, envelope);
    target.onStep?.("answered", performance.now());
    return { path: session.rig.path, result };
  } finally {
    await session.close();
    target.onStep?.("closed", performance.now());
  }
}

/** An administrator's request: the action and its arguments (see `actionArgsSchemas`). */
export type ClientAdminRequest =
  | { action: "admin.status" }
  | { action: "admin.pause-plan" | "admin.resume-plan"; plan: string }
  | { action: "admin.set-price"; plan: string; priceUsdPerHour: string }
  | { action: "admin.stop-task"; dealId: string };

/**
 * `client admin ...`: one request signed by one of the rig's administrative
 * accounts (config `admins`); the rig refuses anything else from them.
 */
export async function runClientAdmin(
  target: ClientTarget,
  request: ClientAdminRequest,
): Promise<ClientCommandResult> {
  const session = await openClientSession(target);
  try {
    const { action, ...args } = request;
    const envelope = await session.sign(action, args as never);
    return {
      path: session.rig.path,
      result: await sendTaskRequest(session.rig.connection, envelope),
    };
  } finally {
    await session.close();
  }
}

/** `client logs`: writes the task's output to `write` as it arrives. */
export async function runClientLogs(
  target: ClientTarget,
  options: { follow: boolean; tail?: number; write: (bytes: Uint8Array) => void },
): Promise<void> {
  const session = await openClientSession(target);
  try {
    const envelope = await session.sign("logs", {
      follow: options.follow,
      ...(options.tail === undefined ? {} : { tail: options.tail }),
    });
    for await (const chunk of followTaskLogs(session.rig.connection, envelope)) {
      options.write(chunk);
    }
  } finally {
    await session.close();
  }
}

/** `client forward`: a local port that reaches the task's published port, until `signal`. */
export async function runClientForward(
  target: ClientTarget,
  options: {
    containerPort: number;
    localPort: number;
    signal: AbortSignal;
    onReady?: (info: { port: number; path: "direct" | "relay" }) => void;
    onError?: (error: Error) => void;
  },
): Promise<void> {
  const session = await openClientSession(target);
  try {
    const forward = forwardPort({
      localPort: options.localPort,
      connection: () => session.rig.connection,
      sign: () => session.sign("forward", { containerPort: options.containerPort }),
      ...(options.onError === undefined ? {} : { onError: options.onError }),
    });
    options.onReady?.({ port: forward.port, path: session.rig.path });
    if (!options.signal.aborted) {
      await new Promise((resolve) => options.signal.addEventListener("abort", resolve));
    }
    forward.close();
    await forward.closed;
  } finally {
    await session.close();
  }
}
