/**
 * The consumer-facing task protocol, transport-free: what a request is, how it
 * is signed (EIP-712) and verified, and the handler interface that src/agent
 * implements. The libp2p streams (and any local transport used by tests) carry
 * exactly these envelopes; the decisions (is the signer the deal's consumer,
 * is the deal open, does the spec fit the plan) belong to the handler.
 *
 * @module
 */
import { z } from "zod";
import { AgentError } from "../errors.ts";
import { canonicalJson } from "../internal/mod.ts";
import {
  type Address,
  getAddress,
  type Hex,
  keccak256,
  type LocalAccount,
  recoverTypedDataAddress,
  toBytes,
} from "viem";

/** libp2p protocol id of request/response actions (one request per stream). */
export const TASK_PROTOCOL_ID = "/sonm/task/1.0.0";
/** libp2p protocol id of a port forward: one signed `forward` request, then raw bytes. */
export const FORWARD_PROTOCOL_ID = "/sonm/forward/1.0.0";
/**
 * libp2p protocol id of an exec or a shell: one signed `exec` request, then
 * binary exec frames both ways (see `exec_frames.ts`).
 */
export const EXEC_PROTOCOL_ID = "/sonm/exec/1.0.0";
/** The largest request envelope accepted on the wire, in bytes (JSON). */
export const MAX_REQUEST_BYTES = 128 * 1024;
/** The largest response message, in bytes (JSON). */
export const MAX_RESPONSE_BYTES = 256 * 1024;
/** The largest binary frame of log output (after a `stream` answer), in bytes. */
export const MAX_LOG_FRAME_BYTES = 256 * 1024;
/** The most seconds a request may be valid ahead of now, and after it was signed. */
export const MAX_EXPIRY_AHEAD_SECONDS = 3600;
/** How far ahead of the rig's clock a signer's clock may be, seconds. */
export const MAX_CLOCK_SKEW_SECONDS = 60;

/** Actions of a deal's consumer. */
export const CONSUMER_ACTIONS = [
  "submit",
  "status",
  "logs",
  "stop",
  "forward",
  "report",
  "exec",
] as const;
/** Actions of the rig's administrative accounts (config `admins`). */
export const ADMIN_ACTIONS = [
  "admin.status",
  "admin.pause-plan",
  "admin.resume-plan",
  "admin.set-price",
  "admin.stop-task",
] as const;
export type ConsumerAction = (typeof CONSUMER_ACTIONS)[number];
export type AdminAction = (typeof ADMIN_ACTIONS)[number];
export type RequestAction = ConsumerAction | AdminAction;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * What a consumer may ask to run. The limits are not the consumer's to set:
 * the agent takes them from the plan the deal bought.
 */
export const consumerTaskSpecSchema = z.strictObject({
  image: z.string().min(1).max(512),
  command: z.array(z.string().max(4096)).max(256).optional(),
  entrypoint: z.array(z.string().max(4096)).max(256).optional(),
  env: z.record(
    z.string().regex(ENV_NAME, "must be a valid environment variable name"),
    z.string().max(65536),
  )
    .optional(),
  workingDir: z.string().startsWith("/").max(4096).optional(),
  /** Container ports to publish (only when the plan sells `incoming`). */
  ports: z.array(z.strictObject({
    containerPort: z.number().int().min(1).max(65535),
    protocol: z.enum(["tcp", "udp"]).default("tcp"),
  })).max(16).optional(),
});
export type ConsumerTaskSpec = z.output<typeof consumerTaskSpecSchema>;

/** Arguments of each action (hashed into the signed `payload`). */
export const actionArgsSchemas = {
  submit: z.strictObject({ spec: consumerTaskSpecSchema }),
  status: z.strictObject({}),
  logs: z.strictObject({
    follow: z.boolean().default(false),
    tail: z.number().int().min(0).max(100_000).optional(),
  }),
  stop: z.strictObject({}),
  forward: z.strictObject({ containerPort: z.number().int().min(1).max(65535) }),
  /** The rig's latest signed bench report (any of its deals' consumers may ask). */
  report: z.strictObject({}),
  exec: z.strictObject({
    /** The command and its arguments, run in the task's container as its user. */
    command: z.array(z.string().max(4096)).min(1).max(256),
    /** A pseudo-terminal (a shell): one output stream, resizable. */
    tty: z.boolean().default(false),
    /** The terminal's size at the start (with `tty`). */
    size: z.strictObject({
      cols: z.number().int().min(1).max(10_000),
      rows: z.number().int().min(1).max(10_000),
    }).optional(),
  }),
  "admin.status": z.strictObject({}),
  "admin.pause-plan": z.strictObject({ plan: z.string().min(1).max(64) }),
  "admin.resume-plan": z.strictObject({ plan: z.string().min(1).max(64) }),
  "admin.set-price": z.strictObject({
    plan: z.string().min(1).max(64),
    /** Exact decimal USD per hour, e.g. "0.25". */
    priceUsdPerHour: z.string().regex(/^\d{1,12}(\.\d{1,18})?$/, 'must be a decimal like "0.25"'),
  }),
  "admin.stop-task": z.strictObject({ dealId: z.string().regex(/^\d{1,78}$/) }),
} as const satisfies Record<RequestAction, z.ZodType>;

export type ActionArgs<A extends RequestAction> = z.output<(typeof actionArgsSchemas)[A]>;

const UINT = /^\d{1,78}$/;
const HEX_SIG = /^0x[0-9a-fA-F]{130}$/;

/** The signed part of a request (EIP-712 `TaskRequest`); integers as decimal strings on the wire. */
export const requestEnvelopeSchema = z.strictObject({
  action: z.enum([...CONSUMER_ACTIONS, ...ADMIN_ACTIONS]),
  /** The deal the request is about ("0" for admin actions that concern no deal). */
  dealId: z.string().regex(UINT, "must be a decimal integer"),
  /** Arguments of the action; `payload` in the signature is keccak256 of their canonical JSON. */
  args: z.unknown(),
  /** Unique per signer: a nonce seen before is a replay. */
  nonce: z.string().regex(UINT, "must be a decimal integer"),
  /** Unix seconds after which the request is refused. */
  expiry: z.string().regex(/^\d{1,20}$/, "must be a decimal integer"),
  /**
   * Unix seconds when it was signed: a rig refuses requests signed before its record of
   * used nonces begins (a state lost or new), so a captured request cannot be replayed.
   */
  issuedAt: z.string().regex(/^\d{1,20}$/, "must be a decimal integer"),
  signature: z.string().regex(HEX_SIG, "must be a 65-byte hex signature"),
});
export type RequestEnvelope = z.output<typeof requestEnvelopeSchema>;

/** Which chain and market a signature is bound to (EIP-712 domain). */
export type ProtocolDomain = { chainId: number; market: Address };

/** The EIP-712 types of a request. */
export const TASK_REQUEST_TYPES = {
  TaskRequest: [
    { name: "action", type: "string" },
    { name: "dealId", type: "uint256" },
    { name: "payload", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "expiry", type: "uint64" },
    { name: "issuedAt", type: "uint64" },
  ],
} as const;

function typedDomain(domain: ProtocolDomain) {
  return {
    name: "sonm-agent",
    version: "1",
    chainId: domain.chainId,
    verifyingContract: domain.market,
  } as const;
}

/** keccak256 of the canonical JSON of an action's arguments. */
export function payloadHash(args: unknown): Hex {
  return keccak256(toBytes(canonicalJson(args ?? {})));
}

/** Parameters of {@linkcode signRequest}. */
export type SignRequestParameters<A extends RequestAction> = {
  action: A;
  dealId: bigint;
  args: z.input<(typeof actionArgsSchemas)[A]>;
  nonce: bigint;
  expiry: bigint;
  /** Unix seconds when it is signed. @default {now} */
  issuedAt?: bigint | undefined;
};

/**
 * Signs a request with the consumer's (or an administrator's) key.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { privateKeyToAccount } from "viem/accounts";
 * import { signRequest, verifyRequest } from "./task_protocol.ts";
 * const account = privateKeyToAccount(`0x${"11".repeat(32)}`);
 * const domain = { chainId: 31337, market: "0x00000000000000000000000000000000000000aa" } as const;
 * const envelope = await signRequest(account, domain, {
 *   action: "status", dealId: 7n, args: {}, nonce: 1n, expiry: 2_000_000_000n,
 *   issuedAt: 1_999_998_990n,
 * });
 * const verified = await verifyRequest(envelope, domain, { nowSeconds: 1_999_999_000n });
 * assert.equal(verified.signer, account.address);
 * ```
 */
export async function signRequest<A extends RequestAction>(
  account: LocalAccount,
  domain: ProtocolDomain,
  parameters: SignRequestParameters<A>,
): Promise<RequestEnvelope> {
  const args = actionArgsSchemas[parameters.action].parse(parameters.args);
  const issuedAt = parameters.issuedAt ?? BigInt(Math.floor(Date.now() / 1000));
  const signature = await account.signTypedData({
    domain: typedDomain(domain),
    types: TASK_REQUEST_TYPES,
    primaryType: "TaskRequest",
    message: {
      action: parameters.action,
      dealId: parameters.dealId,
      payload: payloadHash(args),
      nonce: parameters.nonce,
      expiry: parameters.expiry,
      issuedAt,
    },
  });
  return {
    action: parameters.action,
    dealId: parameters.dealId.toString(),
    args,
    nonce: parameters.nonce.toString(),
    expiry: parameters.expiry.toString(),
    issuedAt: issuedAt.toString(),
    signature,
  };
}

/** A request whose signature checked out: the handler decides whether to honour it. */
export type VerifiedRequest<A extends RequestAction = RequestAction> = {
  action: A;
  /** The recovered signer (checksummed). */
  signer: Address;
  dealId: bigint;
  args: ActionArgs<A>;
  nonce: bigint;
  expiry: bigint;
  /** Unix seconds when the signer says it signed it (bound by the signature). */
  issuedAt: bigint;
};

/** Why a request was refused; the code travels on the wire, the message is for people. */
export type RefusalCode =
  | "malformed"
  | "too-large"
  | "bad-signature"
  | "expired"
  | "replay"
  | "not-authorized"
  | "deal-not-open"
  | "unknown-task"
  | "policy"
  | "bad-request"
  | "over-limits"
  | "unavailable"
  | "internal";

/** A request refused: changes nothing, answered with its code and message. */
export class RequestRefusedError extends AgentError {
  override name = "RequestRefusedError";
  constructor(readonly code: RefusalCode, message: string) {
    super(message); // an AgentError, so the consumer's CLI prints it as the rig's answer
  }
}

/**
 * Parses an envelope (unknown JSON), checks its size, arguments, expiry and
 * signature, and returns the verified request. Does not check the nonce or
 * who the signer is: that is the handler's decision.
 *
 * @throws {RequestRefusedError} "malformed", "expired" or "bad-signature"
 */
export async function verifyRequest(
  input: unknown,
  domain: ProtocolDomain,
  options: { nowSeconds: bigint },
): Promise<VerifiedRequest> {
  const parsed = requestEnvelopeSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RequestRefusedError(
      "malformed",
      `request ${issue?.path.join(".") || "(envelope)"}: ${issue?.message ?? "invalid"}`,
    );
  }
  const envelope = parsed.data;
  const argsResult = actionArgsSchemas[envelope.action].safeParse(envelope.args ?? {});
  if (!argsResult.success) {
    const issue = argsResult.error.issues[0];
    throw new RequestRefusedError(
      "malformed",
      `request args.${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`,
    );
  }
  const expiry = BigInt(envelope.expiry);
  if (expiry <= options.nowSeconds) {
    throw new RequestRefusedError(
      "expired",
      `request expired at ${expiry} (now ${options.nowSeconds})`,
    );
  }
  if (expiry > options.nowSeconds + BigInt(MAX_EXPIRY_AHEAD_SECONDS)) {
    throw new RequestRefusedError(
      "expired",
      `request expiry ${expiry} is more than ${MAX_EXPIRY_AHEAD_SECONDS} s ahead`,
    );
  }
  const issuedAt = BigInt(envelope.issuedAt);
  if (issuedAt > options.nowSeconds + BigInt(MAX_CLOCK_SKEW_SECONDS)) {
    throw new RequestRefusedError(
      "malformed",
      `request issuedAt ${issuedAt} is ahead of the rig's clock (now ${options.nowSeconds})`,
    );
  }
  if (expiry - issuedAt > BigInt(MAX_EXPIRY_AHEAD_SECONDS)) {
    throw new RequestRefusedError(
      "expired",
      `request is valid for ${
        expiry - issuedAt
      } s after it was signed, more than ${MAX_EXPIRY_AHEAD_SECONDS} s`,
    );
  }
  const dealId = BigInt(envelope.dealId);
  const nonce = BigInt(envelope.nonce);
  if (dealId >= 2n ** 256n || nonce >= 2n ** 256n) {
    throw new RequestRefusedError("malformed", "request dealId and nonce must fit in uint256");
  }
  let signer: Address;
  try {
    signer = await recoverTypedDataAddress({
      domain: typedDomain(domain),
      types: TASK_REQUEST_TYPES,
      primaryType: "TaskRequest",
      message: {
        action: envelope.action,
        dealId,
        payload: payloadHash(argsResult.data),
        nonce,
        expiry,
        issuedAt,
      },
      signature: envelope.signature as Hex,
    });
  } catch {
    throw new RequestRefusedError("bad-signature", "request signature cannot be recovered");
  }
  return {
    action: envelope.action,
    signer: getAddress(signer),
    dealId,
    args: argsResult.data,
    nonce,
    expiry,
    issuedAt,
  } as VerifiedRequest;
}

/** A task as its consumer (or an administrator) sees it. */
export type TaskStatus = {
  dealId: string;
  taskId: string;
  image: string;
  /** `none`: the deal has no task yet (taskId and image are then ""). */
  state:
    | "none"
    | "pending"
    | "pulling"
    | "starting"
    | "running"
    | "exited"
    | "oom-killed"
    | "failed"
    | "stopped";
  exitCode?: number | undefined;
  /** Host ports of the task's published container ports. */
  ports: { containerPort: number; protocol: "tcp" | "udp" }[];
  startedAt?: string | undefined;
  finishedAt?: string | undefined;
  message?: string | undefined;
  /** Each time the rig lost the task (a dockerd restart, its container removed) and started it again. */
  restarts?: { at: string; reason: string }[] | undefined;
};

/**
 * An exec the handler accepted and started: the transport pumps frames
 * between it and the consumer, and calls `close` exactly once when the
 * session ends for any reason (the process exited, the consumer's connection
 * broke, the idle timeout, a protocol error).
 */
export type ExecSession = {
  readonly tty: boolean;
  /** The process's output until it exits (with a TTY: all of it as `stdout`). */
  output: AsyncIterable<{ stream: "stdout" | "stderr"; data: Uint8Array }>;
  /** Writes to the process's stdin; resolves once taken (back-pressure). */
  write(data: Uint8Array): Promise<void>;
  /** Closes the process's stdin. */
  closeStdin(): Promise<void>;
  /** Sets the terminal's size (ignored without a TTY). */
  resize(size: { cols: number; rows: number }): Promise<void>;
  /** The exit code, once the output ended. */
  exitCode(): Promise<number>;
  /** Ends the session: a process still running is killed. Told how it ended (for the log). */
  close(end: { exitCode?: number | undefined; reason: string }): Promise<void>;
};

/**
 * What src/agent implements and the transports call, once per verified
 * request. Each method throws {@linkcode RequestRefusedError} to refuse (the
 * transport answers with its code) and must leave nothing changed when it does.
 */
export interface TaskRequestHandler {
  submit(request: VerifiedRequest<"submit">, signal: AbortSignal): Promise<TaskStatus>;
  status(request: VerifiedRequest<"status">, signal: AbortSignal): Promise<TaskStatus>;
  /** The task's output (stdout and stderr interleaved); ends when the task does or when not following. */
  logs(request: VerifiedRequest<"logs">, signal: AbortSignal): AsyncIterable<Uint8Array>;
  stop(request: VerifiedRequest<"stop">, signal: AbortSignal): Promise<TaskStatus>;
  /** Where on the rig the transport connects for a forward (the task's published port). */
  forward(
    request: VerifiedRequest<"forward">,
    signal: AbortSignal,
  ): Promise<{ hostname: string; port: number }>;
  /**
   * The rig's latest signed bench report (`sonm-bench-report/1` JSON, as signed), for the
   * consumer of one of its deals to check against the deal's ASK.
   */
  report(request: VerifiedRequest<"report">, signal: AbortSignal): Promise<unknown>;
  /** Starts an exec (or a shell) in the deal's task; the transport carries its frames. */
  exec(request: VerifiedRequest<"exec">, signal: AbortSignal): Promise<ExecSession>;
  /** An administrator's request; the result is JSON. */
  admin(request: VerifiedRequest<AdminAction>, signal: AbortSignal): Promise<unknown>;
}

/**
 * A response message on the wire (one JSON frame). `logs` answers `stream`,
 * then the output as binary frames (raw bytes, each at most
 * {@linkcode MAX_LOG_FRAME_BYTES}, never empty), an empty frame, and `end`
 * (or `refused` when the output broke off).
 */
export const responseSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("ok"), result: z.unknown() }),
  z.strictObject({ kind: z.literal("stream") }),
  z.strictObject({ kind: z.literal("end") }),
  z.strictObject({
    kind: z.literal("refused"),
    code: z.string().max(64),
    message: z.string().max(4096),
  }),
]);
export type ProtocolResponse = z.output<typeof responseSchema>;
