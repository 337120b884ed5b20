import { z } from "zod";
import { quoteValue } from "../internal/mod.ts";
import {
  isLoopbackAddress,
  isLoopbackHost,
  refuseStateChange,
  SECURITY_HEADERS,
} from "./_security.ts";
import { readBody } from "./_read_body.ts";
import { diffSnapshot } from "./_snapshot_patch.ts";
import { renderMetrics } from "./render_metrics.ts";
import type { DashboardAction, DashboardSource, StatusSnapshot } from "./types.ts";

/** One static file of the page. */
export type DashboardAsset = { body: Uint8Array<ArrayBuffer>; type: string };

/** Options of {@linkcode createDashboardHandler}. */
export type DashboardHandlerOptions = {
  source: DashboardSource;
  /** The secret a state change must carry (`X-Sonm-Token`). */
  token: string;
  /** Serve peers other than loopback (config `dashboard.allow_remote`). @default {false} */
  allowRemote?: boolean | undefined;
  /** The page's files by URL path (`/`, `/assets/app.js`, ...). */
  assets: ReadonlyMap<string, DashboardAsset>;
  /** How long a snapshot is reused, and the live-update period, ms. @default {1000} */
  refreshMs?: number | undefined;
};

/** The peer of a request, as Deno.serve reports it. */
export type DashboardPeer = { remoteAddr: { hostname: string } | Deno.Addr };

/** A running handler: `fetch` plus `close` for its live-update streams. */
export type DashboardHandler = {
  fetch(request: Request, peer: DashboardPeer): Promise<Response>;
  /** Ends every open live-update stream (before the server shuts down). */
  close(): void;
};

const SECTIONS = [
  "agent",
  "chain",
  "plans",
  "deals",
  "earnings",
  "tasks",
  "connectivity",
  "errors",
  "hardware",
  "benchmarks",
  "gpus",
] as const satisfies readonly (keyof StatusSnapshot)[];

const pauseBody = z.strictObject({ paused: z.boolean() });
const MAX_BODY = 4096;
/** A 4 KiB body on loopback takes microseconds; one still missing after this is not coming. */
const BODY_TIMEOUT_MS = 5000;

/**
 * The dashboard as a `fetch(Request) => Response` function (Hono's shape;
 * tests call it with `new Request(...)`): the page and its assets, the JSON
 * API (`/api/status`, one path per section such as `/api/deals`), live
 * updates as server-sent events (`/api/events`: a `snapshot` first, then a
 * `patch` of what changed, see `_snapshot_patch.ts`), Prometheus `/metrics`, and
 * the two state changes (`POST /api/plans/NAME/pause`,
 * `POST /api/deals/DEAL/tasks/ID/stop`), which need the token and the page's own origin.
 * Peers other than loopback, and Host names other than loopback (DNS
 * rebinding), are refused unless `allowRemote`. No CORS headers, ever.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createDashboardHandler, emptySnapshot } from "./mod.ts";
 * const handler = createDashboardHandler({
 *   source: { snapshot: () => Promise.resolve(emptySnapshot(0)) },
 *   token: "t",
 *   assets: new Map(),
 * });
 * const peer = { remoteAddr: { hostname: "127.0.0.1" } };
 * const res = await handler.fetch(new Request("http://127.0.0.1/api/deals"), peer);
 * assert.deepEqual(await res.json(), []);
 * ```
 */
export function createDashboardHandler(options: DashboardHandlerOptions): DashboardHandler {
  const { source, token, allowRemote = false, assets, refreshMs = 1000 } = options;
  let cached: { at: number; value: Promise<StatusSnapshot> } | undefined;
  const snapshot = (): Promise<StatusSnapshot> => {
    const now = Date.now();
    if (cached === undefined || now - cached.at >= refreshMs) {
      const value = source.snapshot();
      cached = { at: now, value };
      value.catch(() => (cached = undefined));
    }
    return cached.value;
  };
  const streams = new Set<() => void>();

  async function route(request: Request, url: URL): Promise<Response> {
    const path = url.pathname;
    if (request.method === "POST") return await change(request, path);
    if (request.method !== "GET" && request.method !== "HEAD") {
      return text(405, `Cannot ${request.method} "${path}": only GET and POST are served`);
    }
    const asset = assets.get(path);
    if (asset !== undefined) {
      return new Response(asset.body, {
        headers: { "content-type": asset.type, "cache-control": "no-cache" },
      });
    }
    if (path === "/metrics") {
      return new Response(renderMetrics(await snapshot()), {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      });
    }
    if (path === "/api/status") return json(200, await snapshot());
    if (path === "/api/events") return events();
    const section = SECTIONS.find((s) => path === `/api/${s}`);
    if (section !== undefined) return json(200, (await snapshot())[section]);
    return text(404, `Cannot find "${path}"`);
  }

  async function change(request: Request, path: string): Promise<Response> {
    const refused = refuseStateChange(request, token);
    if (refused !== undefined) return text(403, refused);
    if (source.act === undefined) return text(501, "This agent offers no state changes");
    const action = await parseAction(request, path);
    if ("status" in action) return text(action.status, action.message);
    let result: unknown;
    try {
      result = await source.act(action);
    } catch (error) {
      return text(409, error instanceof Error ? error.message : String(error));
    }
    cached = undefined;
    return json(200, { ok: true, action, ...(result === undefined ? {} : { result }) });
  }

  function events(): Response {
    let timer: ReturnType<typeof setInterval> | undefined;
    let closed = false;
    let busy = false;
    // what this stream's page holds: after the first snapshot, only the changes are sent
    let sent: StatusSnapshot | undefined;
    let stop = () => {};
    const encoder = new TextEncoder();
    const periodMs = Math.max(refreshMs, 250);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const put = (text: string) => {
          if (closed) return;
          try {
            controller.enqueue(encoder.encode(text));
          } catch {
            closed = true; // the client went away between two updates
          }
        };
        const send = async () => {
          if (busy || closed) return; // a slow snapshot never piles up requests
          busy = true;
          try {
            const next = await snapshot();
            if (next === sent) return; // the cached one again: nothing new
            if (sent === undefined) put(`event: snapshot\ndata: ${JSON.stringify(next)}\n\n`);
            else {
              const ops = diffSnapshot(sent, next);
              if (ops.length > 0) put(`event: patch\ndata: ${JSON.stringify(ops)}\n\n`);
            }
            sent = next;
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            put(`event: failure\ndata: ${JSON.stringify(message)}\n\n`);
          } finally {
            busy = false;
          }
        };
        stop = () => {
          closed = true;
          clearInterval(timer);
          streams.delete(stop);
          try {
            controller.close();
          } catch {
            // already closed by the client
          }
        };
        streams.add(stop);
        put(`retry: ${periodMs}\n\n`);
        void send();
        timer = setInterval(send, periodMs);
      },
      cancel() {
        closed = true;
        clearInterval(timer);
        streams.delete(stop);
      },
    });
    return new Response(body, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-store" },
    });
  }

  return {
    async fetch(request, peer) {
      const remote = "hostname" in peer.remoteAddr ? peer.remoteAddr.hostname : "";
      // Deno builds the URL from the Host header: a bad one (a port of 20 digits) is no URL
      const url = URL.parse(request.url);
      let response: Response;
      if (!allowRemote && !isLoopbackAddress(remote)) {
        response = text(403, `Cannot serve "${remote}": the dashboard answers loopback only`);
      } else if (url === null) {
        response = text(400, `Cannot serve host ${quoteValue(hostOf(request))}: it is not a host`);
      } else if (!allowRemote && !isLoopbackHost(hostOf(request))) {
        response = text(421, `Cannot serve host "${hostOf(request)}": use http://127.0.0.1`);
      } else {
        try {
          response = await route(request, url);
        } catch (error) {
          response = text(500, `Cannot read the agent's status: ${String(error)}`);
        }
      }
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) response.headers.set(k, v);
      return response;
    },
    close() {
      for (const stop of [...streams]) stop();
    },
  };
}

async function parseAction(request: Request, path: string): Promise<DashboardAction | Refusal> {
  const pause = path.match(/^\/api\/plans\/([^/]+)\/pause$/);
  const stop = path.match(/^\/api\/deals\/([^/]+)\/tasks\/([^/]+)\/stop$/);
  if (pause === null && stop === null) return { status: 404, message: `Cannot find "${path}"` };
  const badPath = {
    status: 400,
    message: `Cannot act on ${quoteValue(path)}: the path is not valid percent-encoding`,
  } as const;
  if (stop !== null) {
    const dealId = decodePathPart(stop[1]!);
    const taskId = decodePathPart(stop[2]!);
    if (dealId === undefined || taskId === undefined) return badPath;
    return { kind: "stop-task", dealId, taskId };
  }
  const plan = decodePathPart(pause![1]!);
  if (plan === undefined) return badPath;
  if (!(request.headers.get("content-type") ?? "").startsWith("application/json")) {
    return { status: 400, message: "Cannot pause a plan: the body must be application/json" };
  }
  const body = await readBody(request, { maxBytes: MAX_BODY, timeoutMs: BODY_TIMEOUT_MS });
  if (!body.ok) return { status: body.status, message: `Cannot pause a plan: ${body.message}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.text);
  } catch {
    return { status: 400, message: "Cannot pause a plan: the body is not JSON" };
  }
  const paused = pauseBody.safeParse(parsed);
  if (!paused.success) {
    return { status: 400, message: 'Cannot pause a plan: the body must be {"paused": true|false}' };
  }
  return { kind: "pause-plan", plan, paused: paused.data.paused };
}

/** Why a state change is refused before it reaches the agent. */
type Refusal = { status: 400 | 404 | 413; message: string };

/** A path segment decoded, or undefined when its percent-encoding is broken (`%E0%A4%A`). */
function decodePathPart(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/** The Host header, or the URL's host for a request built in code (tests). */
function hostOf(request: Request): string {
  return request.headers.get("host") ?? URL.parse(request.url)?.host ?? "";
}

function json(status: number, value: unknown): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

function text(status: number, message: string): Response {
  return new Response(message + "\n", {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
}
