/**
 * /metrics scraped by a real Prometheus server (Debian `prometheus`, on
 * loopback, temp config and storage) from the real agent process on the
 * devnet with a billed deal; the test reads Prometheus's HTTP query API and
 * holds each value against the agent's own /api/status.
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { emptySnapshot, startDashboard } from "../src/dashboard/mod.ts";
import { CACHED_BENCH, freePort, startAgentProcess } from "./_fixtures/agent_process.ts";
import { until } from "./_fixtures/agent_rig.ts";

const PROMETHEUS = "/usr/bin/prometheus";
const ROOT = resolve(new URL(".", import.meta.url).pathname, "..");

type Prometheus = { url: string; stop(): Promise<void> };

async function startPrometheus(dir: string, ...targets: string[]): Promise<Prometheus> {
  const port = freePort();
  const config = join(dir, "prometheus.yml");
  await Deno.writeTextFile(
    config,
    `global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: sonm-agent
    metrics_path: /metrics
    static_configs: [{ targets: ${JSON.stringify(targets)} }]
`,
  );
  const child = new Deno.Command(PROMETHEUS, {
    args: [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log = child.stderr.pipeThrough(new TextDecoderStream());
  const logText: string[] = [];
  const draining = (async () => {
    for await (const chunk of log) logText.push(chunk);
  })();
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then(async (r) => {
      await r.body?.cancel();
      return r.ok;
    }).catch(() => false);
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`prometheus did not start:\n${logText.join("")}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await draining;
    },
  };
}

/** The value of an instant query with one series, or undefined when there is none. */
async function query(prom: Prometheus, q: string): Promise<number | undefined> {
  const r = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = await r.json() as {
    status: string;
    data: { result: { value: [number, string] }[] };
  };
  assert.equal(body.status, "success", JSON.stringify(body));
  const [first] = body.data.result;
  return first === undefined ? undefined : Number(first.value[1]);
}

Deno.test({
  name: "Prometheus scrapes the agent's /metrics and its values match the agent's state",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const agent = await startAgentProcess({ prefix: "dash-prom-" });
    let prom: Prometheus | undefined;
    try {
      const opened = await agent.waitFor("opened deal");
      await agent.advance(700);
      await agent.waitFor("billed deal", { dealId: opened.dealId });
      // the status once the bill is indexed: the figures stay put while the chain is idle
      const status = await until("the bill indexed", async () => {
        const s = await (await fetch(`${agent.url}/api/status`)).json();
        return s.deals[0]?.bills === 1 ? s : undefined;
      });
      prom = await startPrometheus(agent.dir, new URL(agent.url).host);
      const running = prom;
      await until(
        "a scrape",
        async () => await query(running, 'up{job="sonm-agent"}') === 1 || undefined,
      );
      const settled = Number(status.earnings.settledTokens);
      await until("settled tokens scraped", async () => {
        const v = await query(running, "sonm_agent_earnings_settled_tokens");
        return v === settled || undefined;
      });
      assert.ok(settled > 0);
      assert.equal(await query(prom, 'sonm_agent_deals{state="open"}'), status.dealCounts.open);
      assert.equal(await query(prom, 'sonm_agent_deals{state="open"}'), 1);
      assert.equal(await query(prom, 'sonm_agent_deals{state="closed"}'), 0);
      assert.equal(
        await query(prom, "sonm_agent_chain_indexed_block"),
        Number(status.chain.indexedBlock),
      );
      assert.equal(await query(prom, "sonm_agent_chain_head_lag_blocks"), status.chain.lagBlocks);
      assert.equal(await query(prom, 'sonm_agent_plan_ask_active{plan="cpu-dash"}'), 0);
      assert.equal(
        await query(prom, "sonm_agent_earnings_settled_usd"),
        status.earnings.settledUsd,
      );
      assert.equal(await query(prom, "sonm_agent_rpc_errors_total"), 0);
      assert.equal(
        await query(prom, 'sonm_agent_benchmark_value{benchmark="cpu-sysbench-single"}'),
        Number(CACHED_BENCH.value),
      );
      const reconcile = await query(prom, "sonm_agent_reconcile_duration_seconds");
      assert.ok(reconcile !== undefined && reconcile > 0 && reconcile < 60, String(reconcile));
      // `sonm-agent status --json` reads the same state from another process while the agent runs
      const cli = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          join(ROOT, "main.ts"),
          "status",
          "--json",
          "--config",
          join(agent.dir, "rig.yaml"),
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(cli.code, 0, new TextDecoder().decode(cli.stderr));
      const fromCli = JSON.parse(new TextDecoder().decode(cli.stdout));
      assert.equal(fromCli.agent.running, true);
      assert.deepEqual(fromCli.dealCounts, status.dealCounts);
      assert.deepEqual(
        fromCli.deals.map((
          d: { dealId: string; billedTokens: string },
        ) => [d.dealId, d.billedTokens]),
        status.deals.map((
          d: { dealId: string; billedTokens: string },
        ) => [d.dealId, d.billedTokens]),
      );
      assert.equal(fromCli.earnings.settledTokens, status.earnings.settledTokens);
      assert.equal(fromCli.chain.indexedBlock, status.chain.indexedBlock);
      assert.equal(fromCli.earnings.rate, status.earnings.rate, "the rate the agent recorded");
      // no nvidia-smi here: GPU readings are left out rather than reported as 0
      const gpus = await (await fetch(`${agent.url}/api/gpus`)).json();
      if (gpus.length === 0) {
        assert.equal(await query(prom, "sonm_agent_gpu_temperature_celsius"), undefined);
      }
    } finally {
      await prom?.stop();
      await agent.stop();
    }
  },
});

Deno.test({
  name: "the Grafana board's rigs up/down count a rig that does not answer its scrape",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "dash-prom-fleet-" });
    // one rig serving /metrics (the real dashboard server), one whose port answers nothing
    const rig = await startDashboard({
      source: { snapshot: () => Promise.resolve(emptySnapshot(Date.now())) },
      port: 0,
      dataDir: dir,
    });
    const down = `127.0.0.1:${freePort()}`;
    const board = JSON.parse(
      await Deno.readTextFile(join(ROOT, "deploy/grafana/sonm-agent.json")),
    ) as { panels: { title: string; targets: { expr: string; legendFormat: string }[] }[] };
    const panel = board.panels.find((p) => p.title.startsWith("Rigs up"));
    assert.ok(panel !== undefined, "the board has a rigs-up panel");
    // the board's variables as Grafana fills them for the job of the README's scrape config
    const expr = (legend: string) =>
      panel.targets.find((t) => t.legendFormat === legend)!.expr
        .replaceAll("$job", "sonm-agent").replaceAll("$instance", ".*");
    const prom = await startPrometheus(dir, new URL(rig.url).host, down);
    try {
      await until("both targets scraped", async () => {
        const r = await fetch(`${prom.url}/api/v1/targets`);
        const body = await r.json() as { data: { activeTargets: { health: string }[] } };
        const health = body.data.activeTargets.map((t) => t.health).sort();
        return health.join() === "down,up" || undefined;
      });
      assert.equal(await query(prom, expr("up")), 1);
      assert.equal(await query(prom, expr("down")), 1);
      // what the board showed before: the agent's own gauge knows nothing of the rig that is down
      assert.equal(await query(prom, "sum(sonm_agent_up)"), 1);
    } finally {
      await prom.stop();
      await rig.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
