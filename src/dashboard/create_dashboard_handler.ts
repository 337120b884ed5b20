import { z } from "zod";
import {
  isLoopbackAddress,
  isLoopbackHost,
  refuseStateChange,
  SECURITY_HEADERS,
} from "./_security.ts";
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

/**
 * The dashboard as a `fetch(Request) => Response` function (Hono's shape;
 * tests call it with `new Request(...)`): the page and its assets, the JSON
 * API (`/api/status`, one path per section such as `/api/deals`), live
 * updates as server-sent events (`/api/events`), Prometheus `/metrics`, and
 * the two state changes (`POST /api/plans/NAME/pause`,
 * `POST /api/tasks/ID/stop`), which need the token and the page's own origin.
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

  async function route(request: Request): Promise<Response> {
    const url = new URL(request.url);
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
    if (typeof action === "string") {
      return text(action.startsWith("Cannot find") ? 404 : 400, action);
    }
    try {
      await source.act(action);
    } catch (error) {
      return text(409, error instanceof Error ? error.message : String(error));
    }
    cached = undefined;
    return json(200, { ok: true, action });
  }

  function events(): Response {
    let timer: ReturnType<typeof setInterval> | undefined;
    let closed = false;
    let busy = false;
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
            put(`event: snapshot\ndata: ${JSON.stringify(await snapshot())}\n\n`);
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
      let response: Response;
      if (!allowRemote && !isLoopbackAddress(remote)) {
        response = text(403, `Cannot serve "${remote}": the dashboard answers loopback only`);
      } else if (!allowRemote && !isLoopbackHost(hostOf(request))) {
        response = text(421, `Cannot serve host "${hostOf(request)}": use http://127.0.0.1`);
      } else {
        try {
          response = await route(request);
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

async function parseAction(request: Request, path: string): Promise<DashboardAction | string> {
  const pause = path.match(/^\/api\/plans\/([^/]+)\/pause$/);
  const stop = path.match(/^\/api\/tasks\/([^/]+)\/stop$/);
  if (pause === null && stop === null) return `Cannot find "${path}"`;
  if (stop !== null) return { kind: "stop-task", taskId: decodeURIComponent(stop[1]!) };
  if (!(request.headers.get("content-type") ?? "").startsWith("application/json")) {
    return "Cannot pause a plan: the body must be application/json";
  }
  const raw = await request.text();
  if (raw.length > MAX_BODY) return `Cannot pause a plan: the body is over ${MAX_BODY} bytes`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return "Cannot pause a plan: the body is not JSON";
  }
  const body = pauseBody.safeParse(parsed);
  if (!body.success) return 'Cannot pause a plan: the body must be {"paused": true|false}';
  return { kind: "pause-plan", plan: decodeURIComponent(pause![1]!), paused: body.data.paused };
}

/** The Host header, or the URL's host for a request built in code (tests). */
function hostOf(request: Request): string {
  return request.headers.get("host") ?? new URL(request.url).host;
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
