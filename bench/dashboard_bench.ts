/**
 * The dashboard's figures: page load time to a rendered earnings chart
 * (headless Chromium), the total size of the page's assets, and the
 * response times of `/api/status` and `/metrics` with 1,000 deals in the
 * agent's state (real sqlite, snapshot recomputed on every request: the
 * cache is off), against two baselines in the same run: a static asset from
 * the same server (the HTTP floor) and `sonm-agent deals --json` on the same
 * state (the existing read path). Then `/metrics` as the running agent serves
 * it, its chain link fed by a real indexer polling a real anvil, with the RPC
 * healthy and then frozen (SIGSTOP on anvil), in the same run: the page,
 * the API and /metrics never wait on the chain. Writes bench/results/dashboard.json.
 *
 *   deno run -A bench/dashboard_bench.ts [--quick]
 */
import { dirname, join } from "node:path";
import { chromium } from "playwright-core";
import { runDealsCommand } from "../src/agent/commands/mod.ts";
import { createChainStore, openState } from "../src/agent/state/mod.ts";
import { createChainHealth } from "../src/agent/market/mod.ts";
import { createLogger, systemClock } from "../src/agent/base/mod.ts";
import { startDevnet } from "../src/agent/setup/mod.ts";
import { connectChain, createIndexer, createMarketClient, getRate } from "../src/chain/mod.ts";
import { createDashboardSource, readStatusSnapshot } from "../src/agent/status/mod.ts";
import { loadDashboardAssets, startDashboard } from "../src/dashboard/mod.ts";
import { anvilPid } from "../tests/_fixtures/agent_rig.ts";
import { AGENT, seedStatusState } from "../tests/_fixtures/status_state.ts";

const ROOT = join(dirname(new URL(import.meta.url).pathname), "..");
const quick = Deno.args.includes("--quick");
const DEALS = 1000;
const OPEN = 100;
const REQUESTS = quick ? 10 : 50;
const PAGE_LOADS = quick ? 2 : 7;

function stats(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  const round = (v: number) => Math.round(v * 100) / 100;
  return { medianMs: round(at(0.5)), p95Ms: round(at(0.95)), n: s.length };
}

async function timeRequests(url: string): Promise<ReturnType<typeof stats> & { bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < REQUESTS + 2; i++) {
    const t = performance.now();
    const body = await (await fetch(url)).arrayBuffer();
    if (i >= 2) times.push(performance.now() - t); // two warm-up requests
    bytes = body.byteLength;
  }
  return { ...stats(times), bytes };
}

/**
 * `/metrics` over the seeded state as the running agent serves it: the chain's
 * head and reachability from a real indexer polling a real anvil, the oracle
 * rate read from it in the background. Timed with the RPC healthy, then with
 * anvil frozen (SIGSTOP) for a while, in the same run.
 */
async function metricsWithRpc() {
  const logger = createLogger({ level: "error", write: () => {} });
  const devnet = await startDevnet({ logger, fund: [] });
  const chain = await connectChain({ url: devnet.rpcUrl, chainId: devnet.chainId });
  const market = createMarketClient(chain, { addresses: devnet.contracts });
  const index = openState({ path: ":memory:" });
  const health = createChainHealth({ clock: systemClock, logger });
  const following = new AbortController();
  const indexer = createIndexer(market, { store: createChainStore(index.db), pollIntervalMs: 200 });
  const polling = indexer.run({
    signal: following.signal,
    onSync: (r) => health.succeeded(r.indexedTo),
    onError: (e) => health.failed(e),
  });
  const live = createDashboardSource({
    statePath: state.path,
    db: state.db,
    chain: () => health.current(),
    readRate: (signal) => getRate(market, { signal }),
  }, { address: AGENT, power: { idleWatts: 60, loadWatts: 250, pricePerKwh: "0.12" } });
  const server = await startDashboard({ source: live, port: 0, dataDir: dir, refreshMs: 0 });
  const pid = await anvilPid(devnet);
  try {
    while (health.current().seenAt === undefined) await new Promise((r) => setTimeout(r, 50));
    const healthy = await timeRequests(`${server.url}/metrics`);
    Deno.kill(pid, "SIGSTOP");
    try {
      await new Promise((r) => setTimeout(r, 2_000)); // the indexer's poll and the rate read now hang
      const frozen = await timeRequests(`${server.url}/metrics`);
      return { healthy, frozen };
    } finally {
      Deno.kill(pid, "SIGCONT");
    }
  } finally {
    await server.stop();
    live.close();
    following.abort();
    await polling;
    index.close();
    await chain.close();
    await devnet.stop();
  }
}

const dir = await Deno.makeTempDir({ prefix: "dash-bench-" });
const state = openState({ path: join(dir, "agent.sqlite") });
const now = Math.floor(Date.now() / 1000);
seedStatusState(state.db, {
  deals: DEALS,
  open: OPEN,
  start: now - 20_000,
  billEvery: 600,
  bills: 3,
});
const source = createDashboardSource({ statePath: state.path, db: state.db }, {
  address: AGENT,
  power: { idleWatts: 60, loadWatts: 250, pricePerKwh: "0.12" },
});
const dash = await startDashboard({ source, port: 0, dataDir: dir, refreshMs: 0 });
try {
  // the snapshot itself, in-process
  const readDb = (await import("../src/agent/status/mod.ts")).openStatusDatabase(state.path);
  const snapTimes: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    readStatusSnapshot(readDb, {});
    snapTimes.push(performance.now() - t);
  }
  readDb.close();
  const dealsTimes: number[] = [];
  for (let i = 0; i < Math.min(REQUESTS, 10); i++) {
    const t = performance.now();
    await runDealsCommand({ dataDir: dir });
    dealsTimes.push(performance.now() - t);
  }

  const api = await timeRequests(`${dash.url}/api/status`);
  const metrics = await timeRequests(`${dash.url}/metrics`);
  const staticAsset = await timeRequests(`${dash.url}/assets/app.css`);

  const assets = await loadDashboardAssets();
  const assetBytes = Object.fromEntries([...assets].map(([path, a]) => [path, a.body.byteLength]));
  const totalAssetBytes = Object.values(assetBytes).reduce((a, b) => a + b, 0);

  // page load to a rendered chart, each in a fresh browser context (no cache)
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu"],
  });
  const loads: number[] = [];
  const inPage: number[] = [];
  let transferred = 0;
  try {
    for (let i = 0; i < PAGE_LOADS; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
      const page = await context.newPage();
      let bytes = 0;
      page.on("response", async (r) => {
        bytes += (await r.body().catch(() => new Uint8Array())).byteLength;
      });
      const t = performance.now();
      await page.goto(dash.url);
      await page.waitForSelector("#chart canvas");
      while (Number(await page.getAttribute("#chart", "data-points")) < 2) {
        await new Promise((r) => setTimeout(r, 5));
      }
      loads.push(performance.now() - t);
      inPage.push(
        await page.evaluate(
          `performance.getEntriesByName("chart-rendered")[0].startTime`,
        ) as number,
      );
      transferred = bytes;
      await context.close();
    }
  } finally {
    await browser.close();
  }
  const load = stats(loads.slice(1)); // the first load also warms Chromium up
  const loadInPage = stats(inPage.slice(1));
  const rpc = await metricsWithRpc();

  const figures = {
    deals: DEALS,
    openDeals: OPEN,
    bills: DEALS * 3,
    // from navigation start to the chart drawn, as the page measures it (performance.mark)
    pageLoadToChartMs: loadInPage,
    // the same seen from the test driver (adds CDP round trips and its polling)
    pageLoadToChartDriverMs: load,
    assets: { totalBytes: totalAssetBytes, byPath: assetBytes },
    firstLoadTransferredBytes: transferred,
    apiStatus: api,
    metrics,
    baselineStaticAsset: staticAsset,
    snapshotInProcess: stats(snapTimes),
    baselineDealsCommand: stats(dealsTimes),
    // the agent's own source, its chain link fed by an indexer polling anvil (cache off)
    metricsRpcHealthy: rpc.healthy,
    metricsRpcFrozen: rpc.frozen,
    ratios: {
      apiStatusVsStaticAsset: Math.round(api.medianMs / staticAsset.medianMs * 10) / 10,
      metricsVsStaticAsset: Math.round(metrics.medianMs / staticAsset.medianMs * 10) / 10,
      snapshotVsDealsCommand: Math.round(
        stats(snapTimes).medianMs / stats(dealsTimes).medianMs * 100,
      ) / 100,
      metricsRpcFrozenVsHealthy: Math.round(rpc.frozen.medianMs / rpc.healthy.medianMs * 100) / 100,
    },
    screenshot: "bench/results/dashboard.png (written by tests/dashboard_browser_test.ts)",
  };
  await Deno.writeTextFile(
    join(ROOT, "bench/results/dashboard.json"),
    JSON.stringify(figures, null, 2) + "\n",
  );
  Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(figures, null, 2) + "\n"));
} finally {
  await dash.stop();
  source.close();
  state.close();
  await Deno.remove(dir, { recursive: true });
}
