import type { Address, Hex } from "viem";
import { canonicalJson } from "../internal/mod.ts";
import type { BenchReport, SignedBenchReport } from "./bench_report.ts";
import type { BenchSuiteResult } from "./run_bench_suite.ts";

/** The agent's key, as a viem `LocalAccount` offers it. */
export type BenchSigner = {
  address: Address;
  signMessage(args: { message: { raw: Uint8Array } }): Promise<Hex>;
};

/** Options of {@linkcode signBenchReport}. */
export type SignBenchReportOptions = {
  suite: BenchSuiteResult;
  /** @default {new Date()} */
  createdAt?: Date | undefined;
};

/**
 * Builds the benchmark report (results, hardware identity with GPU UUIDs, PCI
 * ids and drivers, probe versions) and signs its canonical JSON with the
 * agent's key (EIP-191 personal message). Anyone can check it with
 * `verifyBenchReport` / `sonm-agent bench verify FILE`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { privateKeyToAccount } from "viem/accounts";
 * import { signBenchReport } from "./sign_bench_report.ts";
 * const signer = privateKeyToAccount(`0x${"11".repeat(32)}`);
 * const suite = {
 *   results: [], hardwareHash: "0".repeat(64), probes: {},
 *   identity: { cpu: { model: "x", sockets: 1, cores: 1, threads: 1 }, ramGiB: 1, gpus: [], opencl: [] },
 * };
 * const signed = await signBenchReport(signer, { suite });
 * assert.equal(signed.report.agent, signer.address);
 * ```
 */
export async function signBenchReport(
  signer: BenchSigner,
  options: SignBenchReportOptions,
): Promise<SignedBenchReport> {
  const { suite, createdAt = new Date() } = options;
  const report: BenchReport = {
    format: "sonm-bench-report/1",
    createdAt: createdAt.toISOString(),
    agent: signer.address,
    hardwareHash: suite.hardwareHash,
    hardware: suite.identity,
    probes: suite.probes,
    results: suite.results.map((r) => ({
      id: r.id,
      key: r.key,
      value: r.value.toString(),
      unit: r.unit,
      status: r.status,
      note: r.note,
      probe: r.probe,
      measuredAt: r.measuredAt,
    })),
  };
  const signature = await signer.signMessage({
    message: { raw: new TextEncoder().encode(canonicalJson(report)) },
  });
  return { report, signature };
}
