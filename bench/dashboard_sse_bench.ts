/**
 * Bytes a dashboard tab receives per second on its live stream (`/api/events`,
 * the agent's refresh of one second), on a state of realistic size (a rig with
 * `OPEN` open deals among `DEALS`, bills every 10 minutes: each open deal's
 * pending money moves every second), against the baseline measured in the
 * same run: the whole snapshot sent on every update, as the stream did before
 * it sent changes. Writes bench/results/dashboard_sse.json.
 *
 *   deno run -A bench/dashboard_sse_bench.ts [--quick]
 */
import { dirname, join } from "node:path";
import { openState } from "../src/agent/state/mod.ts";
import { createDashboardSource } from "../src/agent/status/mod.ts";
import { startDashboard, type StatusSnapshot } from "../src/dashboard/mod.ts";
import { AGENT, seedStatusState } from "../tests/_fixtures/status_state.ts";

const ROOT = join(dirname(new URL(import.meta.url).pathname), "..");
const quick = Deno.args.includes("--quick");
const SECONDS = quick ? 4 : 20;
const RUNS = quick ? 1 : 3;

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
}

/** One rig of `deals` deals, `open` of them open; a tab's bytes per second, and the baseline's. */
async function measure(deals: number, open: number) {
  const dir = await Deno.makeTempDir({ prefix: "dash-sse-bench-" });
  const state = openState({ path: join(dir, "agent.sqlite") });
  seedStatusState(state.db, {
    deals,
    open,
    start: Math.floor(Date.now() / 1000) - 20_000,
    billEvery: 600,
    bills: 3,
  });
  const inner = createDashboardSource({ statePath: state.path, db: state.db }, {
    address: AGENT,
    power: { idleWatts: 60, loadWatts: 250, pricePerKwh: "0.12" },
  });
  // the baseline: every update the stream sends, as the whole snapshot
  const wholeSizes: number[] = [];
  const source = {
    snapshot: async (): Promise<StatusSnapshot> => {
      const s = await inner.snapshot();
      wholeSizes.push(
        new TextEncoder().encode(`event: snapshot\ndata: ${JSON.stringify(s)}\n\n`).byteLength,
      );
      return s;
    },
  };
  const dash = await startDashboard({ source, port: 0, dataDir: dir, refreshMs: 1000 });
  try {
    const response = await fetch(`${dash.url}/api/events`);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    // the first snapshot, then SECONDS of updates
    while (
      !text.includes("event: snapshot") ||
      !text.slice(text.indexOf("event: snapshot")).includes("\n\n")
    ) {
      text += (await reader.read()).value ?? "";
    }
    const snapshotCalls = wholeSizes.length;
    text = text.slice(text.indexOf("\n\n", text.indexOf("event: snapshot")) + 2);
    const started = Date.now();
    while (Date.now() - started < SECONDS * 1000) text += (await reader.read()).value ?? "";
    const seconds = (Date.now() - started) / 1000;
    await reader.cancel();
    const events = text.split("\n\n").filter((e) => e.startsWith("event: patch"));
    const patchBytes = events.reduce(
      (n, e) => n + new TextEncoder().encode(e + "\n\n").byteLength,
      0,
    );
    const whole = wholeSizes.slice(snapshotCalls, snapshotCalls + events.length);
    return {
      deals,
      open,
      seconds: Math.round(seconds * 10) / 10,
      updates: events.length,
      firstSnapshotBytes: wholeSizes[0] ?? 0,
      medianPatchBytes: median(events.map((e) => e.length)),
      streamBytesPerSecond: Math.round(patchBytes / seconds),
      baselineWholeSnapshotBytesPerSecond: Math.round(whole.reduce((a, b) => a + b, 0) / seconds),
    };
  } finally {
    await dash.stop();
    inner.close();
    state.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const rigs: Record<string, unknown> = {};
for (const [deals, open] of [[5, 1], [1000, 100]] as const) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await measure(deals, open));
  const stream = median(runs.map((r) => r.streamBytesPerSecond));
  const whole = median(runs.map((r) => r.baselineWholeSnapshotBytesPerSecond));
  rigs[`${deals}deals_${open}open`] = {
    runs,
    medianStreamBytesPerSecond: stream,
    medianBaselineBytesPerSecond: whole,
    ratioStreamVsBaseline: Math.round(stream / whole * 1000) / 1000,
  };
}
const figures = {
  what: "bytes per second one dashboard tab receives on /api/events (refresh 1 s)",
  rigs,
};
await Deno.writeTextFile(
  join(ROOT, "bench/results/dashboard_sse.json"),
  JSON.stringify(figures, null, 2) + "\n",
);
Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(figures, null, 2) + "\n"));
