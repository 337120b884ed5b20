import {
  BaseError,
  HttpRequestError,
  InternalRpcError,
  LimitExceededRpcError,
  ResourceUnavailableRpcError,
  SocketClosedError,
  TimeoutError,
  WebSocketRequestError,
} from "viem";
import { ChainError, ChainRpcError } from "./errors.ts";
import { classifyRpcError } from "./rpc_dialects.ts";

/** What withRetry needs of a client. */
type RetryClient = { url: string; retry: { attempts: number; backoffMs: number } };

/**
 * Whether an RPC failure may pass by itself: the network, a timeout, a 5xx
 * or 429, a rate limit, a header or state the node does not have yet.
 * Reverts and other answers of the node are not.
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof BaseError)) {
    return error instanceof TypeError; // fetch's "connection refused"
  }
  const kind = classifyRpcError(error);
  // a node behind a balancer that lags (header not found) catches up; a pruned state does not,
  // and the attempts run out into a ChainRpcError: a world failure either way
  if (kind === "state-unavailable") return true;
  if (kind !== undefined) return false;
  const found = error.walk((e) =>
    e instanceof HttpRequestError || e instanceof TimeoutError ||
    e instanceof WebSocketRequestError || e instanceof SocketClosedError ||
    e instanceof LimitExceededRpcError || e instanceof ResourceUnavailableRpcError
  );
  if (found instanceof HttpRequestError) {
    return found.status === undefined || found.status >= 500 || found.status === 429;
  }
  if (found !== null) return true;
  // some nodes report a dropped backend as a bare internal error without data
  const internal = error.walk((e) => e instanceof InternalRpcError);
  return internal !== null && !/revert/i.test(error.message);
}

/** Sleeps `ms`, ending early (with the signal's reason) when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Short text of an error for messages: viem's shortMessage or the message. */
export function shortText(error: unknown): string {
  if (error instanceof BaseError) return error.shortMessage;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs `fn`, retrying transient RPC failures with exponential backoff.
 * Non-transient errors pass through at once; when the attempts run out it
 * throws {@linkcode ChainRpcError}.
 */
export async function withRetry<T>(
  client: RetryClient,
  a: { action: string; fn: () => Promise<T>; signal?: AbortSignal | undefined },
): Promise<T> {
  const { attempts, backoffMs } = client.retry;
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    a.signal?.throwIfAborted();
    try {
      return await a.fn();
    } catch (e) {
      if (!isTransient(e)) throw e;
      last = e;
      if (i + 1 < attempts) await sleep(backoffMs * 2 ** i, a.signal);
    }
  }
  throw new ChainRpcError(
    { action: a.action, url: client.url, attempts, detail: shortText(last) },
    { cause: last },
  );
}

/**
 * An answer of the node that nobody classified (not a revert, not a known
 * dialect) as a {@linkcode ChainError}: a failure of the world for the step,
 * which backs off and logs once, never a reason to stop. Errors that are not
 * viem's (a bug of ours) pass through unchanged.
 */
export function asWorldFailure(error: unknown, action: string): unknown {
  if (error instanceof ChainError || !(error instanceof BaseError)) return error;
  return new ChainError(`Cannot ${action}: the node answered: ${shortText(error)}`, {
    cause: error,
  });
}
