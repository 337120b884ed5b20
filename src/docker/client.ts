import { rawRequest } from "./_raw_http.ts";
import {
  DockerApiError,
  DockerSocketError,
  DockerTimeoutError,
  DockerVersionError,
} from "./errors.ts";

/** The newest Engine API version this client is written against. */
export const MAX_API_VERSION = "1.41";
/** The oldest Engine API version this client accepts (`DeviceRequests` came in 1.40). */
export const MIN_API_VERSION = "1.40";

/** Options of {@linkcode createDockerClient}. */
export type DockerClientOptions = {
  /**
   * Path of the daemon's unix socket.
   * @default {"/var/run/docker.sock"}
   */
  socketPath?: string | undefined;
  /**
   * Time limit of a plain request, in milliseconds (streams: until the headers arrive).
   * @default {30000}
   */
  timeoutMs?: number | undefined;
  /**
   * Pin the API version instead of negotiating it with `/version`.
   * @default {undefined}
   */
  apiVersion?: string | undefined;
};

/** Query string values; `undefined` entries are left out. */
export type DockerQuery = Record<string, string | number | boolean | undefined>;

/** One request to the Engine API. */
export type DockerRequest = {
  /** HTTP method. */
  method: "GET" | "POST" | "PUT" | "DELETE" | "HEAD";
  /** Path below the version prefix, e.g. `/containers/json`. */
  path: string;
  /** Query parameters. */
  query?: DockerQuery | undefined;
  /** JSON body (objects) or raw bytes (a tar for `/build`). */
  body?: unknown;
  /** Extra headers (`X-Registry-Auth`, ...). */
  headers?: Record<string, string> | undefined;
  /** Cancels the request (and, for streams, the body). */
  signal?: AbortSignal | undefined;
  /** Overrides the client's time limit; `null` means none (long waits). */
  timeoutMs?: number | null | undefined;
  /** Send without the `/vX.Y` prefix (only `/version` and `/_ping` need that). */
  unversioned?: boolean | undefined;
};

/** A Docker Engine API client bound to one unix socket. */
export type DockerClient = {
  /** Path of the daemon's unix socket. */
  readonly socketPath: string;
  /** Sends a request and parses the JSON answer (`undefined` for an empty body). */
  request<T = unknown>(req: DockerRequest): Promise<T>;
  /**
   * Sends a request on a connection of its own and returns the response whose
   * body the caller reads (status checked; 304 counts as success). The time
   * limit covers the response head only; `signal` also cancels the body.
   */
  stream(req: DockerRequest): Promise<Response>;
  /** The negotiated API version (asks `/version` once, again after a failure). */
  apiVersion(options?: { signal?: AbortSignal | undefined }): Promise<string>;
  /** Closes the pooled connections. */
  close(): void;
};

/**
 * Creates a client for the Docker Engine API over its unix socket. It uses
 * Deno's `fetch` with a unix-socket HTTP client; no docker CLI. The API
 * version is negotiated on first use (`min(daemon, 1.41)`, at least 1.40).
 *
 * @param options Socket path, time limit, optional pinned API version.
 * @returns The client; call `close()` when done.
 *
 * @example
 * ```ts
 * import { createDockerClient, ping } from "./mod.ts";
 * const docker = createDockerClient({ socketPath: "/var/run/docker.sock" });
 * await ping(docker);
 * docker.close();
 * ```
 */
export function createDockerClient(options: DockerClientOptions = {}): DockerClient {
  const { socketPath = "/var/run/docker.sock", timeoutMs = 30_000, apiVersion: pinned } = options;
  const http = Deno.createHttpClient({ proxy: { transport: "unix", path: socketPath } });
  let negotiated: Promise<string> | undefined = pinned ? Promise.resolve(pinned) : undefined;

  async function send(req: DockerRequest, keepBody: boolean): Promise<Response> {
    const version = req.unversioned ? undefined : await apiVersion({ signal: req.signal });
    const url = buildUrl(version, req.path, req.query);
    const limit = req.timeoutMs === null ? undefined : req.timeoutMs ?? timeoutMs;
    const idempotent = req.method === "GET" || req.method === "HEAD";
    for (let attempt = 0;; attempt++) {
      const timer = new AbortController();
      const handle = limit === undefined
        ? undefined
        : setTimeout(() => timer.abort(new Error("timeout")), limit);
      const signal = req.signal ? AbortSignal.any([req.signal, timer.signal]) : timer.signal;
      try {
        const res = await fetch(url, {
          method: req.method,
          client: http,
          signal,
          headers: { ...bodyHeaders(req.body), ...req.headers },
          body: encodeBody(req.body),
        });
        if (!res.ok && res.status !== 304) {
          const text = await res.text();
          throw new DockerApiError({
            method: req.method,
            path: req.path,
            status: res.status,
            daemonMessage: daemonMessage(text, res.statusText),
          });
        }
        if (keepBody) {
          clearTimeout(handle);
          return res;
        }
        // Read the whole body under the time limit, then hand out a copy.
        const bytes = new Uint8Array(await res.arrayBuffer());
        clearTimeout(handle);
        return new Response(bytes.length ? bytes : null, { status: res.status });
      } catch (e) {
        clearTimeout(handle);
        const known = knownFailure(e, req, timer.signal, limit);
        if (known !== undefined) throw known;
        // A pooled connection may have died with a restarted daemon: retry reads once.
        if (idempotent && attempt === 0) continue;
        if (!req.unversioned && !pinned) negotiated = undefined;
        throw new DockerSocketError({ socketPath, method: req.method, path: req.path, cause: e });
      }
    }
  }

  // Streams go over a connection of their own, read in large pieces (see _raw_http.ts).
  async function sendRaw(req: DockerRequest): Promise<Response> {
    const version = req.unversioned ? undefined : await apiVersion({ signal: req.signal });
    const url = new URL(buildUrl(version, req.path, req.query));
    const limit = req.timeoutMs === null ? undefined : req.timeoutMs ?? timeoutMs;
    const timer = new AbortController();
    const handle = limit === undefined
      ? undefined
      : setTimeout(() => timer.abort(new Error("timeout")), limit);
    const signal = req.signal ? AbortSignal.any([req.signal, timer.signal]) : timer.signal;
    try {
      const res = await rawRequest(socketPath, {
        method: req.method,
        target: url.pathname + url.search,
        headers: { ...bodyHeaders(req.body), ...req.headers },
        body: await bodyBytes(req.body),
        signal,
      });
      if (res.status >= 400) {
        const text = await new Response(res.body).text();
        throw new DockerApiError({
          method: req.method,
          path: req.path,
          status: res.status,
          daemonMessage: daemonMessage(text, res.statusText),
        });
      }
      clearTimeout(handle);
      if (res.status === 204 || res.status === 304 || res.status < 200) {
        await res.body.cancel();
        return new Response(null, { status: res.status === 304 ? 304 : 204 });
      }
      return new Response(res.body, { status: res.status, headers: res.headers });
    } catch (e) {
      clearTimeout(handle);
      const known = knownFailure(e, req, timer.signal, limit);
      if (known !== undefined) throw known;
      if (!req.unversioned && !pinned) negotiated = undefined;
      throw new DockerSocketError({ socketPath, method: req.method, path: req.path, cause: e });
    }
  }

  function apiVersion(o: { signal?: AbortSignal | undefined } = {}): Promise<string> {
    if (negotiated) return negotiated;
    const p = send({ method: "GET", path: "/version", unversioned: true, signal: o.signal }, false)
      .then((r) => r.json())
      .then((v: { ApiVersion?: string }) => pickVersion(String(v.ApiVersion ?? "")));
    negotiated = p;
    p.catch(() => {
      if (negotiated === p) negotiated = undefined;
    });
    return p;
  }

  return {
    socketPath,
    async request<T>(req: DockerRequest): Promise<T> {
      const res = await send(req, false);
      const text = await res.text();
      return (text ? JSON.parse(text) : undefined) as T;
    },
    stream: (req) => sendRaw(req),
    apiVersion,
    close: () => http.close(),
  };
}

function pickVersion(server: string): string {
  if (!/^\d+\.\d+$/.test(server) || compareVersions(server, MIN_API_VERSION) < 0) {
    throw new DockerVersionError({ serverVersion: server || "unknown", minimum: MIN_API_VERSION });
  }
  return compareVersions(server, MAX_API_VERSION) < 0 ? server : MAX_API_VERSION;
}

function compareVersions(a: string, b: string): number {
  const [a1 = 0, a2 = 0] = a.split(".").map(Number);
  const [b1 = 0, b2 = 0] = b.split(".").map(Number);
  return a1 - b1 || a2 - b2;
}

function buildUrl(version: string | undefined, path: string, query?: DockerQuery): string {
  const url = new URL(`http://docker${version ? `/v${version}` : ""}${path}`);
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined) url.searchParams.set(k, String(v));
  }
  return url.toString();
}

function bodyHeaders(body: unknown): Record<string, string> {
  if (body === undefined) return {};
  if (body instanceof Uint8Array || body instanceof ReadableStream) {
    return { "content-type": "application/x-tar" };
  }
  return { "content-type": "application/json" };
}

async function bodyBytes(body: unknown): Promise<Uint8Array | undefined> {
  if (body === undefined) return undefined;
  if (body instanceof Uint8Array) return body;
  if (body instanceof ReadableStream) return new Uint8Array(await new Response(body).arrayBuffer());
  return new TextEncoder().encode(JSON.stringify(body));
}

function encodeBody(body: unknown): BodyInit | null {
  if (body === undefined) return null;
  if (body instanceof Uint8Array) return body as Uint8Array<ArrayBuffer>;
  if (body instanceof ReadableStream) return body;
  return JSON.stringify(body);
}

function daemonMessage(text: string, fallback: string): string {
  try {
    const j = JSON.parse(text) as { message?: unknown };
    if (typeof j.message === "string") return j.message.trim();
  } catch {
    // not JSON
  }
  return text.trim() || fallback;
}

/**
 * What a failed request throws when the cause is known: the daemon's answer,
 * the caller's abort, or our time limit. Undefined means the socket failed.
 */
function knownFailure(
  error: unknown,
  req: DockerRequest,
  timer: AbortSignal,
  limit: number | undefined,
): unknown {
  if (error instanceof DockerApiError) return error;
  if (req.signal?.aborted) return req.signal.reason;
  if (timer.aborted) {
    return new DockerTimeoutError({
      method: req.method,
      path: req.path,
      timeoutMs: limit ?? 0,
      cause: error,
    });
  }
  return undefined;
}
