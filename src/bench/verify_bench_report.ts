import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { type Address, isAddressEqual, recoverMessageAddress } from "viem";
import { canonicalJson } from "../internal/mod.ts";
import { type BenchReport, SignedBenchReportSchema } from "./bench_report.ts";
import { issueProblems, quoteValue } from "../internal/mod.ts";
import { BenchReportError } from "./errors.ts";

/** Return type of {@linkcode verifyBenchReport}. */
export type VerifyBenchReportReturnType = {
  /** Signed by the agent it names, and its hardware hash matches its identity. */
  valid: boolean;
  /** Who signed it (`undefined` when the signature cannot be recovered). */
  signer: Address | undefined;
  /** Why it is not valid ("" when valid). */
  reason: string;
  report: BenchReport;
};

/**
 * Checks a signed benchmark report (the JSON text of a report file, or the
 * parsed object): the signature must recover to the report's `agent`, and the
 * hardware hash must be the hash of the hardware identity. Any edit after
 * signing makes it invalid.
 *
 * @throws {BenchReportError} when the input is not a report at all (bad JSON, missing field)
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { privateKeyToAccount } from "viem/accounts";
 * import { signBenchReport } from "./sign_bench_report.ts";
 * import { verifyBenchReport } from "./verify_bench_report.ts";
 * const signer = privateKeyToAccount(`0x${"11".repeat(32)}`);
 * const suite = {
 *   results: [], hardwareHash: "0".repeat(64), probes: {},
 *   identity: { cpu: { model: "x", sockets: 1, cores: 1, threads: 1 }, ramGiB: 1, gpus: [], opencl: [] },
 * };
 * const signed = await signBenchReport(signer, { suite });
 * const { signer: who } = await verifyBenchReport(JSON.stringify(signed));
 * assert.equal(who, signer.address);
 * ```
 */
export async function verifyBenchReport(
  input: string | unknown,
): Promise<VerifyBenchReportReturnType> {
  let value: unknown = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (cause) {
      throw new BenchReportError({ reason: "not JSON" }, { cause });
    }
  }
  const parsed = SignedBenchReportSchema.safeParse(value);
  if (!parsed.success) {
    const problem = issueProblems(parsed.error.issues, value)[0];
    throw new BenchReportError({
      field: problem?.field ?? "(top level)",
      reason: `${problem?.message ?? "is invalid"}${
        problem?.value === undefined ? "" : ` (got ${quoteValue(problem.value)})`
      }`,
    });
  }
  const { report, signature } = parsed.data as { report: BenchReport; signature: `0x${string}` };
  // The bytes checked are the canonical form of the report as the file holds
  // it (the strict schema refused any key the signer did not write).
  const signed = (value as { report: unknown }).report;
  let signer: Address | undefined;
  try {
    signer = await recoverMessageAddress({
      message: { raw: new TextEncoder().encode(canonicalJson(signed)) },
      signature,
    });
  } catch {
    return { valid: false, signer: undefined, reason: "the signature cannot be recovered", report };
  }
  if (!isAddressEqual(signer, report.agent)) {
    return {
      valid: false,
      signer,
      reason:
        `signed by ${signer}, not by the agent ${report.agent} it names: edited after signing?`,
      report,
    };
  }
  const hardware = (signed as { hardware: unknown }).hardware;
  const hash = bytesToHex(sha256(new TextEncoder().encode(canonicalJson(hardware))));
  if (hash !== report.hardwareHash) {
    return {
      valid: false,
      signer,
      reason: "the hardware hash does not match the hardware identity",
      report,
    };
  }
  return { valid: true, signer, reason: "", report };
}
