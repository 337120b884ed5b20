// `client verify`'s pure half: the probe's output read, each benchmark the ASK
// promises judged against it by one table of tolerances, the signed report
// compared with the ASK. No I/O (private to src/agent/commands).
import { z } from "zod";
import type { Address } from "viem";
import { BENCHMARKS, type VerifyBenchReportReturnType } from "../../bench/mod.ts";

/** How close a measurement must come to the promise, per benchmark id. */
export type VerifyTolerance = {
  id: number;
  /** measured / promised must be at least this. */
  minRatio: number;
  /** Why this tolerance, for people. */
  why: string;
};

/**
 * The tolerances, as data: CPU scores within the noise of sysbench on a
 * shared CPU (runs of the same probe on one rig, minutes apart, differ by up
 * to 30%: `bench/results/verify_*.json`), sizes exact to what the limits
 * give, GPU count exact, hash rates within 10%.
 */
export const VERIFY_TOLERANCES: readonly VerifyTolerance[] = [
  { id: 0, minRatio: 0.7, why: "sysbench noise on a shared CPU (30%)" },
  { id: 1, minRatio: 0.7, why: "sysbench noise on a shared CPU (30%)" },
  { id: 2, minRatio: 1, why: "exact: the CPU limit the deal's container got" },
  { id: 3, minRatio: 1, why: "exact: the memory limit the deal's container got" },
  { id: 4, minRatio: 1, why: "exact: the filesystem the deal's container got" },
  { id: 7, minRatio: 1, why: "exact: GPUs visible in the container" },
  { id: 8, minRatio: 1, why: "exact: memory of the GPUs in the container" },
  { id: 9, minRatio: 0.9, why: "hash rate within 10%" },
  { id: 15, minRatio: 0.9, why: "FP32 throughput within 10%" },
];

const num = z.number().finite().nonnegative();

/** One line of the probe's output (`verify_probe.sh`); other lines are ignored. */
const probeLineSchema = z.union([
  z.object({
    probe: z.literal("verify"),
    step: z.literal("limits"),
    at: num,
    cpuMax: z.string().max(64),
    memoryMax: z.string().max(32),
    memTotal: num,
    threadsOnline: num,
    rootBytes: num,
    scratchBytes: num,
    /** GPU device nodes in the container (NVIDIA /dev/nvidiaN, AMD /dev/dri/renderD*). */
    gpus: num.optional(),
  }),
  z.object({
    probe: z.literal("sysbench"),
    ok: z.literal(true),
    benchmarkId: z.union([z.literal(0), z.literal(1)]),
    threads: num,
    eventsPerSecond: num,
    at: num,
    ms: num,
  }),
  z.object({ probe: z.literal("sysbench"), ok: z.literal(false), error: z.string().max(512) }),
  z.object({ probe: z.literal("verify"), step: z.literal("done"), at: num }),
]);

/** A measurement inside the deal, or why there is none. */
export type Measurement = { value: number; note: string } | { reason: string };

/** What the probe's output says, by benchmark id, and how long each part took. */
export type ProbeReadings = {
  measured: Map<number, Measurement>;
  /** The CPU share the container got (cores; `undefined`: no limit found). */
  cpuShare: number | undefined;
  /** ms each probe took: limits, sysbench single, sysbench multi. */
  timings: Record<string, number>;
};

/**
 * Reads the probe's output (the task's logs): the container's limits and the
 * sysbench scores. A line that is not the probe's is skipped; a benchmark
 * with no line is not measured.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readProbeOutput } from "./_verify_verdicts.ts";
 * const out = [
 *   '{"probe":"verify","step":"limits","at":1000,"cpuMax":"100000 100000","memoryMax":"67108864","memTotal":8e9,"threadsOnline":2,"rootBytes":1e10,"scratchBytes":0}',
 *   '{"probe":"sysbench","ok":true,"benchmarkId":1,"threads":1,"eventsPerSecond":900.5,"at":1010,"ms":2000}',
 * ].join("\n");
 * const { measured, cpuShare } = readProbeOutput(out);
 * assert.equal(cpuShare, 1);
 * assert.deepEqual(measured.get(3), { value: 67108864, note: "memory limit" });
 * assert.equal((measured.get(1) as { value: number }).value, 900.5);
 * ```
 */
export function readProbeOutput(text: string): ProbeReadings {
  const measured = new Map<number, Measurement>();
  const timings: Record<string, number> = {};
  let cpuShare: number | undefined;
  let limitsAt: number | undefined;
  for (const line of text.split("\n").slice(0, 1000)) {
    if (!line.trimStart().startsWith("{") || line.length > 4096) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    const parsed = probeLineSchema.safeParse(value);
    if (!parsed.success) continue;
    const p = parsed.data;
    if (p.probe === "verify" && p.step === "limits") {
      limitsAt = p.at;
      const [quota, period] = p.cpuMax.split(" ").map(Number);
      const limited = quota !== undefined && period !== undefined && quota > 0 && period > 0;
      cpuShare = limited ? quota / period : undefined;
      const cores = cpuShare ?? p.threadsOnline;
      measured.set(2, { value: cores, note: limited ? "CPU limit" : "no CPU limit: all threads" });
      const limit = Number(p.memoryMax);
      const ram = Number.isFinite(limit) && limit > 0 ? Math.min(limit, p.memTotal) : p.memTotal;
      measured.set(3, { value: ram, note: ram < p.memTotal ? "memory limit" : "no memory limit" });
      const disk = Math.max(p.rootBytes, p.scratchBytes);
      measured.set(4, {
        value: disk,
        note: p.scratchBytes >= p.rootBytes ? "/scratch volume" : "root filesystem",
      });
      if (p.gpus !== undefined) {
        measured.set(7, { value: p.gpus, note: "GPU device nodes in the container" });
      }
    } else if (p.probe === "sysbench" && p.ok) {
      measured.set(p.benchmarkId, {
        value: p.eventsPerSecond,
        note: `sysbench, ${p.threads} thread${p.threads === 1 ? "" : "s"}`,
      });
      timings[p.benchmarkId === 1 ? "sysbench-single" : "sysbench-multi"] = p.ms;
      if (p.benchmarkId === 1 && limitsAt !== undefined) timings.limits = p.at - limitsAt;
    } else if (p.probe === "sysbench" && !p.ok) {
      for (const id of [0, 1]) {
        if (!measured.has(id)) measured.set(id, { reason: `sysbench failed: ${p.error}` });
      }
    }
  }
  return { measured, cpuShare, timings };
}

/** Why a benchmark cannot be measured inside a deal by this probe. */
const NOT_PROBED: Readonly<Record<string, string>> = {
  network: "needs a network probe endpoint; the verify task has none",
  gpu: "the verify probe counts GPUs but has no GPU hashing step yet",
};

/** One benchmark the ASK promises, judged. */
export type VerdictLine = {
  id: number;
  key: string;
  unit: string;
  promised: string;
  /** What the limits let the promise be (the one-thread score on a fraction of a core). */
  expected: string;
  measured: string | null;
  ratio: number | null;
  verdict: "ok" | "short" | "not measurable";
  reason: string;
};

/**
 * Judges every benchmark the ASK promises (a value above 0) against the
 * measurements: `ok` when measured / expected reaches the tolerance, `short`
 * below it, `not measurable` (with the reason) when there is no measurement.
 * The one-thread score is expected scaled by the CPU share when the deal
 * bought less than a core.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { judge } from "./_verify_verdicts.ts";
 * const ask = [4000n, 1000n, 1n, 67108864n];
 * const measured = new Map([[0, { value: 1000, note: "" }], [1, { value: 980, note: "" }],
 *   [2, { value: 1, note: "" }], [3, { value: 67108864, note: "" }]]);
 * const lines = judge(ask, { measured, cpuShare: 1 });
 * assert.deepEqual(lines.map((l) => l.verdict), ["short", "ok", "ok", "ok"]);
 * assert.equal(lines[0]!.ratio, 0.25);
 * ```
 */
export function judge(
  ask: readonly bigint[],
  readings: { measured: ReadonlyMap<number, Measurement>; cpuShare: number | undefined },
  notMeasurable?: string,
): VerdictLine[] {
  const lines: VerdictLine[] = [];
  for (const [id, promised] of ask.entries()) {
    if (promised <= 0n) continue;
    const b = BENCHMARKS.find((x) => x.id === id);
    const key = b?.key ?? `benchmark-${id}`;
    const unit = b?.unit ?? "";
    let expected = Number(promised);
    let scaled = "";
    if (id === 1 && readings.cpuShare !== undefined && readings.cpuShare < 1) {
      expected = expected * readings.cpuShare;
      scaled = ` (one thread's speed on ${readings.cpuShare} of a core)`;
    }
    const base = { id, key, unit, promised: promised.toString(), expected: fmt(expected) };
    const m = readings.measured.get(id);
    const tolerance = VERIFY_TOLERANCES.find((t) => t.id === id);
    if (m === undefined || "reason" in m || tolerance === undefined) {
      const reason = notMeasurable ??
        (m !== undefined && "reason" in m
          ? m.reason
          : NOT_PROBED[b?.device ?? ""] ?? "no probe measures it inside a deal");
      lines.push({ ...base, measured: null, ratio: null, verdict: "not measurable", reason });
      continue;
    }
    const ratio = Math.round((m.value / expected) * 1000) / 1000;
    const ok = m.value >= expected * tolerance.minRatio;
    lines.push({
      ...base,
      measured: fmt(m.value),
      ratio,
      verdict: ok ? "ok" : "short",
      reason: `${m.note}${scaled}; ${
        ok ? "within" : "below"
      } ${tolerance.minRatio} of expected (${tolerance.why})`,
    });
  }
  return lines;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? n.toString() : n.toFixed(2);
}

/** What the rig's signed report says of the ASK. */
export type ReportCheck = {
  status: "agrees" | "disagrees" | "refused" | "unavailable";
  reason: string;
  /** Figures of the ASK set beside the report's. */
  rows: { id: number; key: string; ask: string; report: string | null; agrees: boolean }[];
  /** Keys of benchmarks the ASK claims that the report has no figure for. */
  beyond: string[];
  createdAt?: string | undefined;
};

/**
 * Checks the rig's signed report against the deal: signed by the deal's
 * supplier, its hardware hash that of its identity (both in `verified`), and
 * each figure of the ASK backed by it: a figure offered as measured equal to
 * the report's, a plan's share (cores, RAM, scaled scores) at most the rig's
 * figure. A figure the ASK claims that the report lacks is listed in `beyond`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkReport } from "./_verify_verdicts.ts";
 * const supplier = "0x00000000000000000000000000000000000000a1";
 * const verified = { valid: true, signer: supplier, reason: "", report: { agent: supplier,
 *   createdAt: "", results: [{ id: 1, key: "cpu-sysbench-single", value: "1000", status: "cached" }] } };
 * const check = checkReport(verified as never, { supplier, ask: [0n, 1000n, 1n] });
 * assert.equal(check.status, "agrees");
 * assert.deepEqual(check.beyond, ["cpu-cores"]);
 * ```
 */
export function checkReport(
  verified: VerifyBenchReportReturnType,
  deal: { supplier: Address; ask: readonly bigint[] },
): ReportCheck {
  const empty = { rows: [], beyond: [] };
  if (!verified.valid) {
    return { status: "refused", reason: verified.reason, ...empty };
  }
  if (verified.signer?.toLowerCase() !== deal.supplier.toLowerCase()) {
    return {
      status: "refused",
      reason: `signed by ${verified.signer}, not by the deal's supplier ${deal.supplier}`,
      ...empty,
    };
  }
  const figures = new Map<number, bigint>();
  for (const r of verified.report.results) {
    if ((r.status === "measured" || r.status === "cached") && BigInt(r.value) > 0n) {
      figures.set(r.id, BigInt(r.value));
    }
  }
  const rows: ReportCheck["rows"] = [];
  const beyond: string[] = [];
  for (const [id, ask] of deal.ask.entries()) {
    if (ask <= 0n) continue;
    const b = BENCHMARKS.find((x) => x.id === id);
    const key = b?.key ?? `benchmark-${id}`;
    const figure = figures.get(id);
    if (figure === undefined) {
      beyond.push(key);
      rows.push({ id, key, ask: ask.toString(), report: null, agrees: true });
      continue;
    }
    // gpu-mem: the report has the smallest GPU's, the ASK the plan's GPUs together
    const most = id === 8 ? figure * (figures.get(7) ?? 1n) : figure;
    const agrees = b?.scale.kind === "as-measured" ? ask === figure : ask <= most;
    rows.push({ id, key, ask: ask.toString(), report: figure.toString(), agrees });
  }
  const bad = rows.filter((r) => !r.agrees);
  return {
    status: bad.length === 0 ? "agrees" : "disagrees",
    reason: bad.length === 0
      ? ""
      : `the ASK claims more than the signed report: ${
        bad.map((r) => `${r.key} ${r.ask} > ${r.report}`).join(", ")
      }`,
    rows,
    beyond,
    createdAt: verified.report.createdAt,
  };
}

/** The overall result: pass (exit 0), fail (exit 1), or inconclusive (exit 3: nothing measured). */
export function overall(
  lines: readonly VerdictLine[],
  report: ReportCheck,
): "pass" | "fail" | "inconclusive" {
  if (lines.some((l) => l.verdict === "short")) return "fail";
  if (report.status === "refused" || report.status === "disagrees") return "fail";
  if (lines.length > 0 && lines.every((l) => l.verdict === "not measurable")) {
    return "inconclusive";
  }
  return "pass";
}
