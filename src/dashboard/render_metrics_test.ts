import assert from "node:assert/strict";
import { emptySnapshot } from "./empty_snapshot.ts";
import { renderMetrics } from "./render_metrics.ts";
import type { StatusSnapshot } from "./types.ts";

function snapshot(over: Partial<StatusSnapshot>): StatusSnapshot {
  return { ...emptySnapshot(0), ...over };
}

/** name{labels} -> value, from the exposition text. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

Deno.test("renderMetrics() writes earnings, deals, chain lag and counters", () => {
  const text = renderMetrics(snapshot({
    earnings: {
      ...emptySnapshot(0).earnings,
      settledTokens: "1.25",
      pendingTokens: "0.5",
      settledUsd: 0.625,
      netUsd: 0.5,
    },
    dealCounts: { open: 1, closed: 4 },
    chain: {
      indexedBlock: "90",
      headBlock: "100",
      headSeenAt: 1,
      lagBlocks: 10,
      headAgeSeconds: 42,
      unreachableSince: 5_000,
      unreachableReason: "HTTP request timed out",
      changedSince: null,
      changedReason: null,
    },
    counters: {
      rpcErrors: 3,
      dockerErrors: 5,
      warnings: 2,
      errors: 1,
      reconcileSeconds: 0.25,
      dealRacesLost: 7,
    },
  }));
  const m = samples(text);
  assert.equal(m.get("sonm_agent_earnings_settled_tokens"), 1.25);
  assert.equal(m.get("sonm_agent_earnings_pending_tokens"), 0.5);
  assert.equal(m.get("sonm_agent_net_profit_usd"), 0.5);
  assert.equal(m.get('sonm_agent_deals{state="closed"}'), 4);
  assert.equal(m.get("sonm_agent_chain_head_lag_blocks"), 10);
  assert.equal(m.get("sonm_agent_rpc_errors_total"), 3);
  assert.equal(m.get("sonm_agent_docker_errors_total"), 5, "Docker's errors are not the RPC's");
  assert.equal(m.get("sonm_agent_chain_head_age_seconds"), 42);
  assert.equal(m.get("sonm_agent_chain_reachable"), 0);
  assert.equal(m.get("sonm_agent_chain_unreachable_since_seconds"), 5);
  assert.equal(m.get('sonm_agent_log_errors_total{level="warn"}'), 2);
  assert.equal(m.get("sonm_agent_reconcile_duration_seconds"), 0.25);
  assert.equal(m.get("sonm_agent_deal_races_lost_total"), 7);
  assert.match(text, /^# TYPE sonm_agent_deal_races_lost_total counter$/m);
  assert.match(text, /^# TYPE sonm_agent_rpc_errors_total counter$/m);
});

Deno.test("renderMetrics() leaves out what the rig does not report", () => {
  const text = renderMetrics(snapshot({}));
  for (const name of ["chain_head_lag", "gpu_temperature", "rpc_errors", "connectivity", "tasks"]) {
    assert.doesNotMatch(text, new RegExp(`sonm_agent_${name}`), name);
  }
  assert.match(text, /^sonm_agent_up 1$/m);
});

Deno.test("renderMetrics() writes GPU readings, tasks, benchmarks and escapes label values", () => {
  const m = samples(renderMetrics(snapshot({
    gpus: [{ index: 0, temperatureC: 61, powerW: 250.5, utilizationPercent: 87 }, { index: 1 }],
    tasks: [
      {
        dealId: "1",
        taskId: "a",
        image: "x",
        state: "running",
        exitCode: null,
        message: "",
        createdAt: null,
        startedAt: null,
        finishedAt: null,
      },
      {
        dealId: "2",
        taskId: "b",
        image: "x",
        state: "running",
        exitCode: null,
        message: "",
        createdAt: null,
        startedAt: null,
        finishedAt: null,
      },
    ],
    benchmarks: [{
      id: 2,
      key: "cpu-cores",
      value: "8",
      unit: 'co"res\\',
      probe: "",
      measuredAt: 0,
    }],
    connectivity: { class: "cone" },
  })));
  assert.equal(m.get('sonm_agent_gpu_temperature_celsius{gpu="0"}'), 61);
  assert.equal(m.get('sonm_agent_gpu_power_watts{gpu="0"}'), 250.5);
  assert.equal(m.get('sonm_agent_gpu_utilization_ratio{gpu="0"}'), 0.87);
  assert.equal(m.has('sonm_agent_gpu_power_watts{gpu="1"}'), false);
  assert.equal(m.get('sonm_agent_tasks{state="running"}'), 2);
  assert.equal(m.get('sonm_agent_benchmark_value{benchmark="cpu-cores",unit="co\\"res\\\\"}'), 8);
  assert.equal(m.get('sonm_agent_connectivity_class{class="cone"}'), 1);
});

Deno.test("renderMetrics() writes sonm_agent_selftest_ok per check and plan", () => {
  const text = renderMetrics(snapshot({
    selftest: {
      at: 1,
      ms: 1500,
      results: [
        { check: "docker", status: "ok", detail: "", gates: true, ms: 1 },
        { check: "container", plan: "small", status: "failed", detail: "", gates: true, ms: 1 },
        { check: "live-restore", status: "warn", detail: "", gates: false, ms: 1 },
      ],
    },
  }));
  const s = samples(text);
  assert.equal(s.get('sonm_agent_selftest_ok{check="docker",plan=""}'), 1);
  assert.equal(s.get('sonm_agent_selftest_ok{check="container",plan="small"}'), 0);
  assert.equal(s.get('sonm_agent_selftest_ok{check="live-restore",plan=""}'), 1);
  assert.equal(s.get("sonm_agent_selftest_seconds"), 1.5);
  // no self-test yet: no samples
  assert.ok(!renderMetrics(snapshot({})).includes("sonm_agent_selftest_ok{"));
});
