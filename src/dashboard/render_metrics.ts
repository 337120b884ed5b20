import type { StatusSnapshot } from "./types.ts";

type Sample = { labels?: Record<string, string>; value: number };
type Family = { name: string; help: string; type: "gauge" | "counter"; samples: Sample[] };

/**
 * Renders a status snapshot as Prometheus text exposition (version 0.0.4):
 * earnings, deals by state, tasks by state, benchmark values, connectivity
 * class, chain head lag, RPC errors, reconcile duration and GPU readings.
 * A figure the snapshot does not know (no head yet, no GPU tool) is left
 * out rather than reported as 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderMetrics } from "./render_metrics.ts";
 * import { emptySnapshot } from "./empty_snapshot.ts";
 * const text = renderMetrics({ ...emptySnapshot(0), dealCounts: { open: 2, closed: 5 } });
 * assert.match(text, /^sonm_agent_deals\{state="open"\} 2$/m);
 * ```
 */
export function renderMetrics(snapshot: StatusSnapshot): string {
  return metricFamilies(snapshot).filter((f) => f.samples.length > 0).map(renderFamily).join("");
}

function metricFamilies(s: StatusSnapshot): Family[] {
  const g = (name: string, help: string, samples: Sample[]): Family => ({
    name,
    help,
    type: "gauge",
    samples,
  });
  const one = (value: number | null | undefined): Sample[] =>
    value === null || value === undefined || !Number.isFinite(value) ? [] : [{ value }];
  const e = s.earnings;
  const tasksByState = new Map<string, number>();
  for (const t of s.tasks) tasksByState.set(t.state, (tasksByState.get(t.state) ?? 0) + 1);
  const gpu = (pick: (r: StatusSnapshot["gpus"][number]) => number | undefined) =>
    s.gpus.flatMap((r) => {
      const v = pick(r);
      return v === undefined ? [] : [{ labels: { gpu: String(r.index) }, value: v }];
    });
  return [
    g("sonm_agent_up", "1 while the agent serves metrics", [{ value: 1 }]),
    g("sonm_agent_earnings_settled_tokens", "Tokens billed to consumers so far", [{
      value: Number(e.settledTokens),
    }]),
    g("sonm_agent_earnings_pending_tokens", "Tokens accrued by open deals, not billed yet", [{
      value: Number(e.pendingTokens),
    }]),
    g("sonm_agent_earnings_settled_usd", "USD value of the settled tokens", one(e.settledUsd)),
    g("sonm_agent_earnings_pending_usd", "USD accrued by open deals", one(e.pendingUsd)),
    g(
      "sonm_agent_electricity_usd",
      "Electricity spent since the first run, USD",
      one(
        e.electricityUsd,
      ),
    ),
    g("sonm_agent_net_profit_usd", "Settled plus pending minus electricity, USD", one(e.netUsd)),
    g("sonm_agent_deals", "Deals on the agent's ASKs by state", [
      { labels: { state: "open" }, value: s.dealCounts.open },
      { labels: { state: "closed" }, value: s.dealCounts.closed },
    ]),
    g(
      "sonm_agent_tasks",
      "Consumer tasks by state",
      [...tasksByState].map(([state, value]) => ({ labels: { state }, value })),
    ),
    g(
      "sonm_agent_plan_ask_active",
      "1 when the plan's ASK stands on chain",
      s.plans.map((p) => ({ labels: { plan: p.plan }, value: p.active ? 1 : 0 })),
    ),
    g(
      "sonm_agent_plan_paused",
      "1 when the rig owner paused the plan (its ASK is kept off the market)",
      s.plans.map((p) => ({ labels: { plan: p.plan }, value: p.paused ? 1 : 0 })),
    ),
    g(
      "sonm_agent_benchmark_value",
      "Benchmark results offered on the market",
      s.benchmarks.map((b) => ({
        labels: { benchmark: b.key, unit: b.unit },
        value: Number(b.value),
      })),
    ),
    g(
      "sonm_agent_selftest_ok",
      "1 when the self-test check passes (ok, warn or skipped), 0 when it failed; plan is empty for a rig-wide check",
      (s.selftest?.results ?? []).map((r) => ({
        labels: { check: r.check, plan: r.plan ?? "" },
        value: r.status === "failed" ? 0 : 1,
      })),
    ),
    g(
      "sonm_agent_selftest_seconds",
      "Wall time of the last self-test, seconds",
      one(s.selftest === null ? null : s.selftest.ms / 1000),
    ),
    g(
      "sonm_agent_connectivity_class",
      "1 for the rig's current connectivity class",
      s.connectivity === null ? [] : [{ labels: { class: s.connectivity.class }, value: 1 }],
    ),
    g(
      "sonm_agent_chain_indexed_block",
      "Last block the agent indexed",
      one(
        s.chain.indexedBlock === null ? null : Number(s.chain.indexedBlock),
      ),
    ),
    g(
      "sonm_agent_chain_head_block",
      "The RPC's latest block",
      one(
        s.chain.headBlock === null ? null : Number(s.chain.headBlock),
      ),
    ),
    g("sonm_agent_chain_head_lag_blocks", "Head minus indexed block", one(s.chain.lagBlocks)),
    g(
      "sonm_agent_chain_head_age_seconds",
      "Seconds since the agent last heard the chain (grows while the RPC hangs)",
      one(s.chain.headAgeSeconds),
    ),
    g(
      "sonm_agent_chain_reachable",
      "1 while the agent hears the chain, 0 when its RPC fails or hangs",
      s.chain.headSeenAt === null && s.chain.unreachableSince === null
        ? []
        : [{ value: s.chain.unreachableSince === null ? 1 : 0 }],
    ),
    g(
      "sonm_agent_chain_changed",
      "1 while the node serves another chain than the one the agent indexed (reset under it)",
      s.chain.headSeenAt === null && s.chain.changedSince === null
        ? []
        : [{ value: s.chain.changedSince === null ? 0 : 1 }],
    ),
    g(
      "sonm_agent_chain_unreachable_since_seconds",
      "Unix time since which the agent cannot reach the chain (absent while it can)",
      one(s.chain.unreachableSince === null ? null : s.chain.unreachableSince / 1000),
    ),
    {
      name: "sonm_agent_rpc_errors_total",
      help: "Chain RPC failures logged since start",
      type: "counter",
      samples: one(s.counters?.rpcErrors),
    },
    {
      name: "sonm_agent_docker_errors_total",
      help: "Docker failures (daemon unreachable, API errors) logged since start",
      type: "counter",
      samples: one(s.counters?.dockerErrors),
    },
    {
      name: "sonm_agent_log_errors_total",
      help: "Warnings and errors logged since start",
      type: "counter",
      samples: s.counters === null ? [] : [
        { labels: { level: "warn" }, value: s.counters.warnings },
        { labels: { level: "error" }, value: s.counters.errors },
      ],
    },
    {
      name: "sonm_agent_deal_races_lost_total",
      help: "BIDs another supplier took first since start (normal in a busy market)",
      type: "counter",
      samples: one(s.counters?.dealRacesLost),
    },
    {
      name: "sonm_agent_task_requests_refused_total",
      help: "Consumers' task requests refused since start, by code (their mistakes, not the rig's)",
      type: "counter",
      samples: Object.entries(s.counters?.refusedRequests ?? {}).map(([code, value]) => ({
        labels: { code },
        value,
      })),
    },
    g(
      "sonm_agent_reconcile_duration_seconds",
      "Duration of the last reconcile step",
      one(s.counters?.reconcileSeconds),
    ),
    g("sonm_agent_gpu_temperature_celsius", "GPU temperature", gpu((r) => r.temperatureC)),
    g("sonm_agent_gpu_power_watts", "GPU power draw", gpu((r) => r.powerW)),
    g(
      "sonm_agent_gpu_utilization_ratio",
      "GPU utilisation, 0 to 1",
      gpu((r) => r.utilizationPercent === undefined ? undefined : r.utilizationPercent / 100),
    ),
  ];
}

function renderFamily(f: Family): string {
  const lines = [`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`];
  for (const sample of f.samples) {
    const labels = Object.entries(sample.labels ?? {})
      .map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",");
    lines.push(`${f.name}${labels === "" ? "" : `{${labels}}`} ${formatValue(sample.value)}`);
  }
  return lines.join("\n") + "\n";
}

function escapeLabel(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
