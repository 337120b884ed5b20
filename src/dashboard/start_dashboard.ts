import { join } from "node:path";
import { createDashboardHandler, type DashboardAsset } from "./create_dashboard_handler.ts";
import type { DashboardSource } from "./types.ts";

/** Options of {@linkcode startDashboard}. */
export type StartDashboardOptions = {
  source: DashboardSource;
  /** Address to bind. @default {"127.0.0.1"} */
  hostname?: string | undefined;
  /** Port; 0 picks a free one. @default {9337} */
  port?: number | undefined;
  /** Serve peers other than loopback (config `dashboard.allow_remote`). @default {false} */
  allowRemote?: boolean | undefined;
  /** The agent's data directory: the token file `dashboard.token` is written there (0600). */
  dataDir: string;
  /** Live-update period and snapshot reuse, ms. @default {1000} */
  refreshMs?: number | undefined;
  /** Where the server reports failures. @default {dropped} */
  onError?: ((error: unknown) => void) | undefined;
};

/** A running dashboard. */
export type RunningDashboard = {
  /** `http://HOST:PORT` as bound. */
  url: string;
  /** The token file a state change needs. */
  tokenPath: string;
  stop(): Promise<void>;
};

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/**
 * Starts the dashboard's HTTP server (Deno.serve) on 127.0.0.1 by default:
 * writes a fresh random token to `DATA_DIR/dashboard.token` (mode 0600; a
 * state change must carry it), reads the page's files (src/dashboard/assets
 * and uPlot from node_modules: nothing comes from a CDN) and serves
 * {@linkcode createDashboardHandler}.
 *
 * @example
 * ```ts ignore
 * const dash = await startDashboard({ source, dataDir: ".data", port: 0 });
 * console.log(dash.url);
 * await dash.stop();
 * ```
 */
export async function startDashboard(options: StartDashboardOptions): Promise<RunningDashboard> {
  const { source, hostname = "127.0.0.1", port = 9337, allowRemote = false, dataDir } = options;
  const tokenPath = join(dataDir, "dashboard.token");
  const token = await writeToken(tokenPath);
  const handler = createDashboardHandler({
    source,
    token,
    allowRemote,
    assets: await loadDashboardAssets(),
    refreshMs: options.refreshMs,
  });
  const server = Deno.serve({
    hostname,
    port,
    onListen: () => {},
    onError: (error) => {
      options.onError?.(error);
      return new Response("internal error\n", { status: 500 });
    },
  }, (request, info) => handler.fetch(request, info));
  const addr = server.addr;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  return {
    url: `http://${host}:${addr.port}`,
    tokenPath,
    async stop() {
      handler.close();
      await server.shutdown();
    },
  };
}

/**
 * The page's files, by URL path: `/` (index.html), `/assets/*` from
 * src/dashboard/assets, and `/assets/uPlot.iife.min.js` and
 * `/assets/uPlot.min.css` from the uplot npm package.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadDashboardAssets } from "./start_dashboard.ts";
 * const assets = await loadDashboardAssets();
 * assert.ok(assets.get("/")!.type.startsWith("text/html"));
 * ```
 */
export async function loadDashboardAssets(): Promise<Map<string, DashboardAsset>> {
  const own = new URL("./assets/", import.meta.url);
  const uplot = new URL("../../node_modules/uplot/dist/", import.meta.url);
  const files: [string, URL][] = [
    ["/", new URL("index.html", own)],
    ["/assets/app.js", new URL("app.js", own)],
    ["/assets/app.css", new URL("app.css", own)],
    ["/assets/favicon.svg", new URL("favicon.svg", own)],
    ["/assets/uPlot.iife.min.js", new URL("uPlot.iife.min.js", uplot)],
    ["/assets/uPlot.min.css", new URL("uPlot.min.css", uplot)],
  ];
  const out = new Map<string, DashboardAsset>();
  for (const [path, file] of files) {
    const ext = file.pathname.slice(file.pathname.lastIndexOf("."));
    out.set(path, {
      body: await Deno.readFile(file),
      type: TYPES[ext] ?? "application/octet-stream",
    });
  }
  return out;
}

async function writeToken(path: string): Promise<string> {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const token = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  await Deno.remove(path).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  // createNew + mode: the file is 0600 from its first byte, never world-readable
  await Deno.writeTextFile(path, token + "\n", { createNew: true, mode: 0o600 });
  await Deno.chmod(path, 0o600);
  return token;
}
