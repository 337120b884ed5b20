/**
 * `sonm-agent client verify --deal ID`: the buyer checks what it bought. From
 * the deal alone (the same lookup and identity check as every client
 * command) it reads the deal's ASK on chain, asks the rig for its signed bench
 * report and checks it against the supplier and the ASK, then runs the
 * project's probe inside the deal (a task whose image is the rig's
 * `sonm-probe/sysbench:1`, under the deal's own limits) and judges each
 * benchmark the ASK promises. The result is kept in the consumer's data
 * folder (`client verify --history`).
 *
 * @module
 */
import { join } from "node:path";
import { getDeal, getOrder } from "../../chain/mod.ts";
import { BenchReportError, verifyBenchReport } from "../../bench/mod.ts";
import {
  followTaskLogs,
  RequestRefusedError,
  sendTaskRequest,
  type TaskStatus,
} from "../../nat/mod.ts";
import { readBoundedFile } from "../../internal/mod.ts";
import { AgentError } from "../../errors.ts";
import { type ClientConfig, loadClientConfig } from "../config/mod.ts";
import { clientMarketReader, type ClientTarget, openClientSession } from "./client_command.ts";
import {
  checkReport,
  judge,
  overall,
  type ProbeReadings,
  readProbeOutput,
  type ReportCheck,
  type VerdictLine,
} from "./_verify_verdicts.ts";

export {
  checkReport,
  judge,
  readProbeOutput,
  type ReportCheck,
  type VerdictLine,
  VERIFY_TOLERANCES,
} from "./_verify_verdicts.ts";

/** The image `client verify` runs in the deal, and its entrypoint. */
export const VERIFY_PROBE_TASK = {
  image: "sonm-probe/sysbench:1",
  entrypoint: ["/bin/sh", "/probe/verify_probe.sh"],
} as const;

/** The file in the consumer's data folder holding one verify result a line. */
export const VERIFY_HISTORY_FILE = "verify-history.jsonl";

/** The probe's output is a few lines: more than this is not the probe's. */
const MAX_PROBE_OUTPUT_BYTES = 256 * 1024;

/** The result of one `client verify`. */
export type ClientVerifyResult = {
  dealId: string;
  supplier: string;
  askId: string;
  at: string;
  /** pass (exit 0): every measurable benchmark ok and the report agrees; fail (exit 1); inconclusive (exit 3): nothing could be measured. */
  result: "pass" | "fail" | "inconclusive";
  lines: VerdictLine[];
  report: ReportCheck;
  /** The probe task, as the rig last showed it. */
  task: { taskId: string; state: string; exitCode?: number | undefined; message?: string };
  /** Where the time went, ms: lookup, report, probe image start, each probe, total. */
  timings: Record<string, number>;
  /** What the consumer can do next. */
  next: string[];
};

/** Options of {@linkcode runClientVerify}. */
export type RunClientVerifyOptions = {
  /** The client config (its data folder keeps the history); none: the result is not kept. */
  config: ClientConfig | undefined;
  /** Seconds per sysbench run inside the deal. @default {2} */
  benchSeconds?: number | undefined;
  /** How long the probe may run, ms. @default {120000} */
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
};

/**
 * Runs `client verify` against the deal of `target` (see the module doc).
 *
 * @throws {AgentError} when the deal is not open, or runs a task (verify before submitting)
 * @throws {RigIdentityError | NatError} when the rig cannot be reached or proved
 */
export async function runClientVerify(
  target: ClientTarget,
  options: RunClientVerifyOptions,
): Promise<ClientVerifyResult> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const mark = (
    name: string,
    since: number,
  ) => (timings[name] = Math.round(performance.now() - since));
  const rpcUrl = "rpcUrl" in target.identity
    ? target.identity.rpcUrl
    : options.config?.chain.rpcUrl;
  if (rpcUrl === undefined) {
    throw new AgentError("client verify reads the deal's ASK on chain: give --rpc or client.yaml", {
      badInput: true,
    });
  }
  const market = await clientMarketReader({
    rpcUrl,
    chainId: target.chainId,
    market: target.market,
  });
  const dealRead = getDeal(market, { dealId: target.dealId });
  dealRead.catch(() => {});
  const session = await openClientSession({ ...target, identity: { market } });
  mark("lookup", t0);
  try {
    const deal = await dealRead;
    if (deal === undefined || deal.status !== "ACCEPTED") {
      throw new AgentError(`Cannot verify deal ${target.dealId}: it is not open`, {
        badInput: true,
      });
    }
    const ask = await getOrder(market, { orderId: deal.askId });
    const askBenchmarks = [...(ask?.benchmarks ?? [])];

    // the signed report, checked against the supplier and the ASK
    let t = performance.now();
    let report: ReportCheck;
    try {
      const raw = await sendTaskRequest(session.rig.connection, await session.sign("report", {}));
      report = checkReport(await verifyBenchReport(raw), {
        supplier: deal.supplier,
        ask: askBenchmarks,
      });
    } catch (error) {
      if (error instanceof BenchReportError) {
        report = { status: "refused", reason: error.message, rows: [], beyond: [] };
      } else if (error instanceof RequestRefusedError && error.code === "unavailable") {
        report = { status: "unavailable", reason: error.message, rows: [], beyond: [] };
      } else throw error;
    }
    mark("report", t);

    // the probe, inside the deal, under its limits
    const current = await sendTaskRequest(
      session.rig.connection,
      await session.sign("status", {}),
    ) as TaskStatus;
    if (!["none", "exited", "oom-killed", "failed", "stopped"].includes(current.state)) {
      throw new AgentError(
        `Cannot verify deal ${target.dealId}: it runs task ${current.taskId} (${current.state})`,
        {
          hints: [
            "verify before submitting, or stop the task first (client stop --deal ID)",
          ],
        },
      );
    }
    t = performance.now();
    let task: ClientVerifyResult["task"] = { taskId: "", state: "none" };
    let readings: ProbeReadings = { measured: new Map(), cpuShare: undefined, timings: {} };
    let notMeasurable: string | undefined;
    try {
      const started = await sendTaskRequest(
        session.rig.connection,
        await session.sign("submit", {
          spec: {
            ...VERIFY_PROBE_TASK,
            entrypoint: [...VERIFY_PROBE_TASK.entrypoint],
            env: { SONM_BENCH_SECONDS: String(options.benchSeconds ?? 2) },
          },
        }),
      ) as TaskStatus;
      task = { taskId: started.taskId, state: started.state, exitCode: started.exitCode };
      if (started.message !== undefined) task.message = started.message;
      mark("probe image start", t);
      if (started.state === "failed" || started.state === "pending") {
        notMeasurable = `the rig could not start the probe image: ${
          started.message ?? started.state
        }`;
      }
    } catch (error) {
      if (!(error instanceof RequestRefusedError)) throw error;
      notMeasurable = `the rig refused the probe image (${error.code}): ${error.message}`;
    }
    if (notMeasurable === undefined) {
      t = performance.now();
      const text = await probeOutput(session, options);
      mark("probe run", t);
      readings = readProbeOutput(text);
      for (const [name, ms] of Object.entries(readings.timings)) timings[`probe ${name}`] = ms;
      const after = await sendTaskRequest(
        session.rig.connection,
        await session.sign("status", {}),
      ) as TaskStatus;
      task = { taskId: after.taskId, state: after.state, exitCode: after.exitCode };
      if (after.message !== undefined) task.message = after.message;
      if (readings.measured.size === 0) {
        notMeasurable = `the probe printed nothing the client could read (task ${after.state}${
          after.exitCode === undefined ? "" : `, exit ${after.exitCode}`
        })`;
      }
    }
    const lines = judge(askBenchmarks, readings, notMeasurable);
    const result = overall(lines, report);
    mark("total", t0);
    const verdict: ClientVerifyResult = {
      dealId: target.dealId.toString(),
      supplier: deal.supplier,
      askId: deal.askId.toString(),
      at: new Date().toISOString(),
      result,
      lines,
      report,
      task,
      timings,
      next: nextSteps(target.dealId, result),
    };
    if (options.config !== undefined) await keep(options.config.dataDir, verdict);
    return verdict;
  } finally {
    await session.close();
  }
}

/** The probe task's output, followed until it ends (bounded in size and time). */
async function probeOutput(
  session: Awaited<ReturnType<typeof openClientSession>>,
  options: RunClientVerifyOptions,
): Promise<string> {
  const deadline = AbortSignal.timeout(options.timeoutMs ?? 120_000);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const logs = followTaskLogs(
    session.rig.connection,
    await session.sign("logs", { follow: true }),
  );
  for await (const chunk of logs) {
    chunks.push(chunk);
    size += chunk.byteLength;
    if (size > MAX_PROBE_OUTPUT_BYTES || deadline.aborted || options.signal?.aborted) break;
  }
  const all = new Uint8Array(Math.min(size, MAX_PROBE_OUTPUT_BYTES));
  let at = 0;
  for (const c of chunks) {
    const part = c.subarray(0, all.byteLength - at);
    all.set(part, at);
    at += part.byteLength;
  }
  return new TextDecoder().decode(all);
}

/** What the consumer can do next, by the result. */
function nextSteps(dealId: bigint, result: ClientVerifyResult["result"]): string[] {
  const id = dealId.toString();
  if (result === "pass") {
    return [
      `the deal delivers what its ASK promises: submit your task (client submit --deal ${id} --task task.yaml)`,
    ];
  }
  if (result === "inconclusive") {
    return [
      "nothing could be measured inside the deal: ask the rig's owner to allow the probe image (docker.allow_probe_images)",
      `or close the deal: client close --deal ${id}`,
    ];
  }
  return [
    `close the deal: client close --deal ${id} (a last bill; the rest of the lock comes back)`,
    `and never match this supplier again: client close --deal ${id} --blacklist`,
  ];
}

/** Appends a result to the consumer's history file. */
async function keep(dataDir: string, verdict: ClientVerifyResult): Promise<void> {
  await Deno.mkdir(dataDir, { recursive: true });
  await Deno.writeTextFile(join(dataDir, VERIFY_HISTORY_FILE), JSON.stringify(verdict) + "\n", {
    append: true,
  });
}

/**
 * `client verify --history`: the results kept in the consumer's data folder
 * (`dataDir`, or that of the client config at `configPath`), oldest first (a
 * line that is not a result is skipped); `dealId` filters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readVerifyHistory } from "./client_verify.ts";
 * const dir = await Deno.makeTempDir();
 * assert.deepEqual(await readVerifyHistory({ dataDir: dir }), []);
 * await Deno.writeTextFile(`${dir}/verify-history.jsonl`, '{"dealId":"3","result":"pass"}\nbroken\n');
 * assert.equal((await readVerifyHistory({ dataDir: dir }))[0]!.result, "pass");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readVerifyHistory(
  options: { dataDir?: string; configPath?: string; dealId?: bigint | undefined },
): Promise<ClientVerifyResult[]> {
  const dataDir = options.dataDir ?? (await loadClientConfig(options.configPath!)).dataDir;
  const read = await readBoundedFile(join(dataDir, VERIFY_HISTORY_FILE), {
    maxBytes: 64 * 1024 * 1024,
  });
  if (!read.ok) return [];
  const out: ClientVerifyResult[] = [];
  for (const line of read.text.split("\n")) {
    try {
      const value = JSON.parse(line) as ClientVerifyResult;
      if (typeof value?.dealId !== "string" || typeof value.result !== "string") continue;
      if (options.dealId !== undefined && value.dealId !== options.dealId.toString()) continue;
      out.push(value);
    } catch {
      continue;
    }
  }
  return out;
}
