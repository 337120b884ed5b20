import {
  type AdminAction,
  EXEC_PROTOCOL_ID,
  type ProtocolDomain,
  RequestRefusedError,
  type TaskRequestHandler,
  type VerifiedRequest,
  verifyRequest,
} from "./mod.ts";

/** Options of {@linkcode dispatchTaskRequest}. */
export type DispatchTaskRequestOptions = {
  /** The chain and market the signatures are bound to. */
  domain: ProtocolDomain;
  /** Unix seconds now. @default {wall clock} */
  nowSeconds?: bigint | undefined;
  signal?: AbortSignal | undefined;
  /** Told about failures that are not refusals (the reply says only "internal"). */
  onInternalError?: ((error: unknown) => void) | undefined;
};

/** The answer to one request: a result, a byte stream (`logs`), or a refusal. */
export type DispatchResult =
  | { kind: "ok"; result: unknown }
  | { kind: "stream"; chunks: AsyncIterable<Uint8Array> }
  | { kind: "refused"; code: RequestRefusedError["code"]; message: string };

/**
 * Verifies a request envelope (size, shape, expiry, EIP-712 signature) and
 * hands it to the handler's method for its action: the one path from a
 * transport (libp2p streams, or the in-process path of the tests) to the
 * agent's decisions. Refusals come back as `refused` with their code; any
 * other failure as `internal`, without its details.
 *
 * @example
 * ```ts ignore
 * const reply = await dispatchTaskRequest(handler, JSON.parse(text), { domain });
 * if (reply.kind === "refused") console.log(reply.code, reply.message);
 * ```
 */
export async function dispatchTaskRequest(
  handler: TaskRequestHandler,
  envelope: unknown,
  options: DispatchTaskRequestOptions,
): Promise<DispatchResult> {
  const signal = options.signal ?? new AbortController().signal;
  const nowSeconds = options.nowSeconds ?? BigInt(Math.floor(Date.now() / 1000));
  try {
    const request = await verifyRequest(envelope, options.domain, { nowSeconds });
    switch (request.action) {
      case "submit":
        return ok(await handler.submit(request as VerifiedRequest<"submit">, signal));
      case "status":
        return ok(await handler.status(request as VerifiedRequest<"status">, signal));
      case "stop":
        return ok(await handler.stop(request as VerifiedRequest<"stop">, signal));
      case "forward":
        return ok(await handler.forward(request as VerifiedRequest<"forward">, signal));
      case "report":
        return ok(await handler.report(request as VerifiedRequest<"report">, signal));
      case "exec":
        throw new RequestRefusedError("malformed", `exec goes over ${EXEC_PROTOCOL_ID}`);
      case "logs":
        return {
          kind: "stream",
          chunks: await acceptedStream(
            handler.logs(request as VerifiedRequest<"logs">, signal),
          ),
        };
      default:
        return ok(await handler.admin(request as VerifiedRequest<AdminAction>, signal));
    }
  } catch (error) {
    if (error instanceof RequestRefusedError) {
      return { kind: "refused", code: error.code, message: error.message };
    }
    options.onInternalError?.(error);
    return { kind: "refused", code: "internal", message: "the rig failed to handle the request" };
  }
}

/**
 * Waits for a stream's first item, so that a refusal (thrown before the
 * handler accepts) is answered as one; empty chunks (the handler's "accepted"
 * mark) are not passed on.
 */
async function acceptedStream(
  stream: AsyncIterable<Uint8Array>,
): Promise<AsyncIterable<Uint8Array>> {
  const it = stream[Symbol.asyncIterator]();
  const first = await it.next();
  return {
    async *[Symbol.asyncIterator]() {
      if (first.done) return;
      if (first.value.length > 0) yield first.value;
      for (;;) {
        const next = await it.next();
        if (next.done) return;
        if (next.value.length > 0) yield next.value;
      }
    },
  };
}

function ok(result: unknown): DispatchResult {
  return { kind: "ok", result };
}
