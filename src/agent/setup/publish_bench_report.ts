import { join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import {
  BENCHMARKS,
  type BenchSigner,
  createSqliteResultCache,
  type Hardware,
  ProbeError,
  runBenchSuite,
  signBenchReport,
  type SignedBenchReport,
} from "../../bench/mod.ts";
import { readBoundedFile } from "../../internal/mod.ts";

/** The file in the data directory holding the rig's latest signed bench report. */
export const BENCH_REPORT_FILE = "bench-report.json";

/** A signed report is a few KiB; the rig serves nothing bigger than this. */
export const MAX_BENCH_REPORT_BYTES = 256 * 1024 - 1024;

/** Options of {@linkcode publishBenchReport}. */
export type PublishBenchReportOptions = {
  dataDir: string;
  hardware: Hardware;
  /** Benchmark ids with a cached measurement (what the ASKs offer). */
  measured: ReadonlySet<number>;
  /** @default {new Date()} */
  createdAt?: Date | undefined;
};

/**
 * Signs the rig's bench report at start, from what its ASKs are built on (the
 * hardware read now and the measurements `sonm-agent bench` cached; no probe
 * runs), and writes it to `<dataDir>/bench-report.json`: the report the task
 * protocol's `report` serves to the consumers of the rig's deals.
 *
 * @example
 * ```ts ignore
 * const report = await publishBenchReport(state.db, account, { dataDir, hardware, measured });
 * ```
 */
export async function publishBenchReport(
  db: DatabaseSync,
  signer: BenchSigner,
  options: PublishBenchReportOptions,
): Promise<SignedBenchReport> {
  const { dataDir, hardware, measured } = options;
  const only = BENCHMARKS.filter((b) => b.measure.kind === "host" || measured.has(b.id))
    .map((b) => b.id);
  const network = BENCHMARKS.some((b) => b.measure.kind === "network" && measured.has(b.id));
  const suite = await runBenchSuite({
    // only cached results are reported: a probe is never run at start
    runProbe: () => Promise.reject(new ProbeError({ probe: "any", reason: "not run at start" })),
    cache: createSqliteResultCache(db),
  }, {
    hardware,
    only,
    // a cached network result is reported only when an endpoint is named; none is asked
    netEndpoint: network ? "http://127.0.0.1:9/cached-only" : undefined,
  });
  const report = await signBenchReport(signer, { suite, createdAt: options.createdAt });
  const path = join(dataDir, BENCH_REPORT_FILE);
  await Deno.writeTextFile(`${path}.tmp`, JSON.stringify(report, null, 2) + "\n");
  await Deno.rename(`${path}.tmp`, path);
  return report;
}

/**
 * The rig's latest signed bench report as its file holds it (parsed JSON, not
 * checked: the consumer checks it), or undefined when there is none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readBenchReportFile } from "./publish_bench_report.ts";
 * const dir = await Deno.makeTempDir();
 * assert.equal(await readBenchReportFile(dir), undefined);
 * await Deno.writeTextFile(`${dir}/bench-report.json`, '{"report":{},"signature":"0x"}');
 * assert.deepEqual(await readBenchReportFile(dir), { report: {}, signature: "0x" });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readBenchReportFile(dataDir: string): Promise<unknown> {
  const read = await readBoundedFile(join(dataDir, BENCH_REPORT_FILE), {
    maxBytes: MAX_BENCH_REPORT_BYTES,
  });
  if (!read.ok) return undefined;
  try {
    return JSON.parse(read.text);
  } catch {
    return undefined;
  }
}
