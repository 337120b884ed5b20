/**
 * Errors of the Docker client and the task runtime. Every one extends
 * {@linkcode DockerError}, which extends the agent's shared `AgentError`.
 *
 * @module
 */
import { AgentError, type AgentErrorOptions } from "../errors.ts";
import { quoteValue } from "../internal/mod.ts";

/** Base class of every error raised by `src/docker`. */
export class DockerError extends AgentError {
  override name = "DockerError";
  constructor(message: string, options: AgentErrorOptions = {}) {
    super(message, options);
  }
}

/** The daemon answered a request with an HTTP error status (404, 409, 500, ...). */
export class DockerApiError extends DockerError {
  override name = "DockerApiError";
  /** HTTP method of the failed request. */
  readonly method: string;
  /** Path of the failed request, without the API version prefix. */
  readonly path: string;
  /** HTTP status that the daemon answered. */
  readonly status: number;
  /** The daemon's own message (`{"message": ...}` in the body). */
  readonly daemonMessage: string;

  constructor(
    a: { method: string; path: string; status: number; daemonMessage: string; cause?: unknown },
  ) {
    super(
      `Cannot ${a.method} "${a.path}": daemon answered ${a.status}: ${a.daemonMessage}`,
      { cause: a.cause, hints: hintsFor(a.status, a.daemonMessage) },
    );
    this.method = a.method;
    this.path = a.path;
    this.status = a.status;
    this.daemonMessage = a.daemonMessage;
  }

  /** True for 404 (no such image, container, network, volume or exec). */
  get isNotFound(): boolean {
    return this.status === 404;
  }

  /** True for 409 (name in use, container running, image in use, ...). */
  get isConflict(): boolean {
    return this.status === 409;
  }
}

const AUTH = /unauthori[sz]ed|authentication required|no basic auth credentials|denied/i;

function hintsFor(status: number, message: string): string[] {
  if (status === 401 || AUTH.test(message)) return ["Check the registry credentials of this image"];
  if (status === 404) return ["The object does not exist (any more) on this daemon"];
  if (status === 409) return ["The object is in use or in a state that forbids this action"];
  return [];
}

/** The socket cannot be reached: the daemon is down, restarting or the path is wrong. */
export class DockerSocketError extends DockerError {
  override name = "DockerSocketError";
  /** Path of the unix socket. */
  readonly socketPath: string;
  constructor(a: { socketPath: string; method: string; path: string; cause?: unknown }) {
    const detail = describeCause(a.cause);
    super(`Cannot ${a.method} "${a.path}": daemon socket "${a.socketPath}" failed: ${detail}`, {
      cause: a.cause,
      hints: ["Check that dockerd runs and that this user may open its socket"],
    });
    this.socketPath = a.socketPath;
  }
}

/** A request got no complete answer within its time limit. */
export class DockerTimeoutError extends DockerError {
  override name = "DockerTimeoutError";
  /** The limit that was exceeded, in milliseconds. */
  readonly timeoutMs: number;
  constructor(a: { method: string; path: string; timeoutMs: number; cause?: unknown }) {
    super(`Cannot ${a.method} "${a.path}": no answer within ${a.timeoutMs} ms`, {
      cause: a.cause,
      hints: ["The daemon may be overloaded or hung; check `journalctl -u docker`"],
    });
    this.timeoutMs = a.timeoutMs;
  }
}

/** A streamed operation (pull, build) reported an error inside its 200 response. */
export class DockerStreamError extends DockerError {
  override name = "DockerStreamError";
  /** What was being done, e.g. `pull "reg/app:1"`. */
  readonly action: string;
  /** The daemon's message from the stream. */
  readonly daemonMessage: string;
  constructor(a: { action: string; daemonMessage: string }) {
    super(`Cannot ${a.action}: ${a.daemonMessage}`, {
      hints: AUTH.test(a.daemonMessage) ? ["Check the registry credentials of this image"] : [],
    });
    this.action = a.action;
    this.daemonMessage = a.daemonMessage;
  }
}

/** The daemon speaks an API version older than this client needs. */
export class DockerVersionError extends DockerError {
  override name = "DockerVersionError";
  constructor(a: { serverVersion: string; minimum: string }) {
    super(
      `Cannot negotiate the Docker API version: daemon speaks "${a.serverVersion}", the agent needs "${a.minimum}" or newer`,
      { hints: ["Upgrade dockerd"] },
    );
  }
}

/** A task spec, image policy or option failed validation. */
export class DockerValidationError extends DockerError {
  override name = "DockerValidationError";
  /** Dotted path of the offending field, e.g. `limits.memoryBytes`. */
  readonly field: string;
  /** The offending value. */
  readonly value: unknown;
  /** What is wrong with it, without the value ("must be lowercase ..."). */
  readonly detail: string;
  constructor(a: { what: string; field: string; value: unknown; detail: string }) {
    super(
      `Cannot accept ${a.what}: ${a.field || "(top level)"} ${a.detail}: current value is ${
        quoteValue(a.value, { maxLength: 120 })
      }`,
    );
    this.field = a.field;
    this.value = a.value;
    this.detail = a.detail;
  }
}

/** The rig's image policy refuses an image. */
export class ImagePolicyError extends DockerError {
  override name = "ImagePolicyError";
  /** The image reference of the task spec. */
  readonly reference: string;
  /** The digest it resolved to, if known. */
  readonly digest: string | undefined;
  constructor(a: { reference: string; digest?: string | undefined; detail: string }) {
    super(
      `Cannot run image "${a.reference}"${
        a.digest ? ` (digest "${a.digest}")` : ""
      }: refused by the rig's image policy: ${a.detail}`,
      { hints: ["Add the digest or a matching pattern to the image policy if you trust it"] },
    );
    this.reference = a.reference;
    this.digest = a.digest;
  }
}

/** The image that was pulled does not have the digest that the reference pins. */
export class ImageDigestMismatchError extends DockerError {
  override name = "ImageDigestMismatchError";
  /** The digest that was asked for. */
  readonly expected: string;
  /** The digests that the local image has. */
  readonly actual: readonly string[];
  constructor(a: { reference: string; expected: string; actual: readonly string[] }) {
    super(
      `Cannot run image "${a.reference}": digest mismatch: expected "${a.expected}", got ${
        a.actual.length ? a.actual.map((d) => `"${d}"`).join(", ") : "no digest"
      }`,
    );
    this.expected = a.expected;
    this.actual = a.actual;
  }
}

function describeCause(cause: unknown): string {
  const parts: string[] = [];
  for (let c = cause, i = 0; c !== undefined && i < 4; i++) {
    const m = c instanceof Error ? c.message : String(c);
    if (m && !parts.includes(m)) parts.push(m);
    c = c instanceof Error ? c.cause : undefined;
  }
  return parts.join(": ") || "unknown error";
}
