import { join } from "node:path";
import type { StatusSnapshot } from "../../dashboard/mod.ts";
import { loadConfig } from "../config/mod.ts";
import { readNatStatusFile, toConnectivity } from "../state/mod.ts";
import { openStatusDatabase, planSharesOf, readStatusSnapshot } from "../status/mod.ts";

/** Options of {@linkcode runStatusCommand}. */
export type RunStatusCommandOptions = {
  /** `--config`: the rig's config (its data directory and `power`). */
  configPath?: string | undefined;
  /** The data directory, instead of the config's. */
  dataDir?: string | undefined;
};

/** What {@linkcode runStatusCommand} returns. */
export type RunStatusCommandReturnType = { snapshot: StatusSnapshot; lines: string[] };

/**
 * `sonm-agent status [--json]`: the agent's status from its state database,
 * opened read-only, so it works while the agent runs: chain head and lag,
 * plans and their orders, open deals with time left and billed so far,
 * earnings, tasks, the last errors. The JSON is the dashboard's `/api/status`.
 *
 * @throws {AgentError} when the data directory has no agent state
 * @example
 * ```ts ignore
 * const { lines } = await runStatusCommand({ configPath: "rig.yaml" });
 * ```
 */
export async function runStatusCommand(
  options: RunStatusCommandOptions,
): Promise<RunStatusCommandReturnType> {
  const config = options.configPath === undefined
    ? undefined
    : await loadConfig(options.configPath);
  const dataDir = options.dataDir ?? config?.dataDir ?? "./.data";
  const db = openStatusDatabase(join(dataDir, "agent.sqlite"));
  try {
    const nat = await readNatStatusFile(dataDir); // written by the running agent's NAT host
    const plans = config?.plans ?? [];
    const snapshot = readStatusSnapshot(db, {
      power: config?.power,
      // this machine is the rig: its threads; its GPUs, as far as the plans name them
      planShares: planSharesOf(plans, {
        threads: navigator.hardwareConcurrency,
        gpuCount: new Set(plans.flatMap((p) => p.resources.gpus)).size,
      }),
      ...(nat === undefined ? {} : { connectivity: toConnectivity(nat) }),
    });
    return { snapshot, lines: formatStatus(snapshot) };
  } finally {
    db.close();
  }
}

/**
 * The status for people: one block per part, one line per item.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptySnapshot } from "../../dashboard/mod.ts";
 * import { formatStatus } from "./status_command.ts";
 * assert.match(formatStatus(emptySnapshot(0)).join("\n"), /deals\s+none open/);
 * ```
 */
export function formatStatus(s: StatusSnapshot): string[] {
  const e = s.earnings;
  const usd = (v: number) => `$${v.toFixed(4)}`;
  const ago = (ms: number) => `${Math.max(0, Math.round((s.generatedAt - ms) / 1000))}s ago`;
  const lines = [
    `agent      ${s.agent.running ? `running (pid ${s.agent.pid})` : "not running"}` +
    (s.agent.address === null ? "" : `, ${s.agent.address}`),
    `chain      indexed ${s.chain.indexedBlock ?? "-"}, head ${s.chain.headBlock ?? "unknown"}` +
    (s.chain.lagBlocks === null ? "" : `, lag ${s.chain.lagBlocks}`) +
    (s.chain.headSeenAt === null ? "" : ` (chain heard ${ago(s.chain.headSeenAt)})`) +
    (s.chain.unreachableSince === null
      ? ""
      : `, UNREACHABLE since ${new Date(s.chain.unreachableSince).toISOString()}${
        s.chain.unreachableReason === null ? "" : `: ${s.chain.unreachableReason}`
      }`) +
    (s.chain.changedSince === null
      ? ""
      : `, CHAIN CHANGED UNDER THE AGENT since ${new Date(s.chain.changedSince).toISOString()}${
        s.chain.changedReason === null ? "" : `: ${s.chain.changedReason}`
      }`),
    `earnings   settled ${e.settledTokens} SNMT (${
      usd(e.settledUsd)
    }), pending ${e.pendingTokens} SNMT (${usd(e.pendingUsd)}), electricity ${
      usd(e.electricityUsd)
    }, net ${usd(e.netUsd)}`,
  ];
  if (s.connectivity !== null) {
    const relay = s.connectivity.relay === undefined
      ? "no relay"
      : `relay ${s.connectivity.relay.state}`;
    lines.push(`reach      ${s.connectivity.class}, ${relay}`);
    for (const address of s.connectivity.addresses?.slice(0, 3) ?? []) lines.push(`  ${address}`);
  }
  if (s.selftest !== null) {
    const failed = s.selftest.results.filter((r) => r.status === "failed");
    lines.push(
      `selftest   ${failed.length === 0 ? "passes" : `${failed.length} failed`} (${
        ago(s.selftest.at)
      }, ${(s.selftest.ms / 1000).toFixed(1)} s)`,
    );
    for (const r of failed) {
      const what = r.plan === undefined ? r.check : `${r.check}[${r.plan}]`;
      const gate = r.gates ? (r.plan === undefined ? "every plan withheld" : "plan withheld") : "";
      lines.push(`  ${what}: ${r.detail}${gate === "" ? "" : ` (${gate})`}`);
      if (r.fix !== undefined) lines.push(`    fix: ${r.fix}`);
    }
  }
  lines.push(`plans      ${s.plans.length === 0 ? "none placed yet" : ""}`.trimEnd());
  for (const p of s.plans) {
    // a paused plan's deal runs on (and its ASK stands until the cancel is mined)
    const order = p.dealId !== null ? `in deal ${p.dealId}` : p.active ? "ASK active" : "no ASK";
    const state = p.paused ? (order === "no ASK" ? "paused" : `paused, ${order}`) : order;
    // the plan's asking price now (an administrator's change shows at once), then the ASK's
    const asks = p.priceUsdPerHour === null ? "" : `asks ${p.priceUsdPerHour} USD/h, `;
    lines.push(
      `  ${p.plan}: ${state}, ${asks}order ${p.orderId ?? "-"}, ${p.usdPerHour ?? "-"} USD/h`,
    );
    for (const v of p.verdicts) {
      lines.push(`    BID ${v.bidId}: ${v.matched ? "matches" : `${v.rule}: ${v.why}`}`);
    }
  }
  const open = s.deals.filter((d) => d.status === "ACCEPTED");
  lines.push(`deals      ${open.length === 0 ? "none open" : `${open.length} open`}`);
  for (const d of open) {
    const left = d.timeLeft === null ? "spot" : `${d.timeLeft}s left`;
    lines.push(
      `  ${d.dealId} ${
        d.plan ?? "-"
      } ${d.usdPerHour} USD/h, ${left}, billed ${d.billedTokens} SNMT in ${d.bills} bills, consumer ${d.consumer}`,
    );
  }
  lines.push(`tasks      ${s.tasks.length === 0 ? "none" : s.tasks.length}`);
  for (const t of s.tasks) {
    const use = t.usage === undefined
      ? ""
      : `, cpu ${t.usage.cpuPercent.toFixed(1)}%, mem ${t.usage.memBytes} B`;
    lines.push(`  ${t.taskId} deal ${t.dealId} ${t.image}: ${t.state}${use}`);
  }
  lines.push(
    `errors     ${s.errors.length === 0 ? "none" : `last ${Math.min(5, s.errors.length)}`}`,
  );
  for (const err of s.errors.slice(0, 5)) {
    lines.push(`  ${new Date(err.at).toISOString()} ${err.level} ${err.component}: ${err.message}`);
  }
  return lines;
}
