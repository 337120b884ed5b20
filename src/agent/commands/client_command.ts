/**
 * `sonm-agent client ...`: the consumer's commands. Each one reaches the rig
 * at the address the supplier gave out of band (its circuit multiaddr, see
 * README "Reaching a rig"), going direct when both NATs allow it, signs one
 * request per action with the consumer's keystore (EIP-712, bound to the
 * chain and market), and prints the answer.
 *
 * @module
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { LocalAccount } from "viem";
import { parse as parseYaml } from "yaml";
import { unlockKeystore } from "../../chain/mod.ts";
import {
  connectToRig,
  type ConsumerTaskSpec,
  consumerTaskSpecSchema,
  createNatHost,
  followTaskLogs,
  forwardPort,
  type NatHost,
  type RequestAction,
  type RigConnection,
  sendTaskRequest,
  signRequest,
  type SignRequestParameters,
} from "../../nat/mod.ts";
import { ConfigError } from "../base/mod.ts";
import type { PassphraseSource } from "../config/mod.ts";
import { readPassphrase } from "../setup/mod.ts";

/** What every client command needs: where the rig is, which deal, whose key. */
export type ClientTarget = {
  /** `<relay multiaddr>/p2p-circuit/p2p/<rig peer id>`, from the supplier. */
  rigAddr: string;
  dealId: bigint;
  chainId: number;
  market: `0x${string}`;
  keystorePath: string;
  passphrase: PassphraseSource;
  /** Skip the punch and stay on the relay. */
  relayOnly?: boolean;
};

/** A session with a rig: the consumer's account, the host, the connection. */
export type ClientSession = {
  account: LocalAccount;
  host: NatHost;
  rig: RigConnection;
  sign<A extends RequestAction>(
    action: A,
    args: SignRequestParameters<A>["args"],
  ): ReturnType<typeof signRequest<A>>;
  close(): Promise<void>;
};

/** A fresh 128-bit nonce: the rig refuses one it has seen from this signer. */
function freshNonce(): bigint {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);
}

/**
 * Unlocks the keystore, starts a dial-only host and connects to the rig.
 *
 * @throws {NatError} when the relay or the rig cannot be reached
 */
export async function openClientSession(target: ClientTarget): Promise<ClientSession> {
  const account = await unlockKeystore({
    path: target.keystorePath,
    passphrase: await readPassphrase(target.passphrase),
  });
  const relayIp = target.rigAddr.match(/^\/ip4\/([^/]+)\//)?.[1];
  const host = await createNatHost({
    privateKey: await generateKeyPair("Ed25519"),
    listen: [],
    ...(relayIp === undefined ? {} : { echoHost: relayIp }),
  });
  let rig: RigConnection;
  try {
    rig = await connectToRig(host, { rigAddr: target.rigAddr, direct: !target.relayOnly });
  } catch (error) {
    await host.stop();
    throw error;
  }
  const domain = { chainId: target.chainId, market: target.market };
  return {
    account,
    host,
    rig,
    sign: (action, args) =>
      signRequest(account, domain, {
        action,
        dealId: target.dealId,
        args,
        nonce: freshNonce(),
        expiry: BigInt(Math.floor(Date.now() / 1000) + 300),
      }),
    close: () => host.stop(),
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
  let raw: unknown;
  try {
    raw = parseYaml(await Deno.readTextFile(path));
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
    return { path: session.rig.path, result };
  } finally {
    await session.close();
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
