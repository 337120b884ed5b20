import { z } from "zod";
import type { Address, Hex } from "viem";

const HexString = z.string().regex(/^0x[0-9a-fA-F]*$/, "must be 0x-prefixed hex");

/**
 * Schema of a signed benchmark report file (`sonm-agent bench --report FILE`).
 * Strict at every level: a key added after signing is refused, never
 * stripped, so what is verified is exactly what was signed.
 */
export const SignedBenchReportSchema = z.strictObject({
  report: z.strictObject({
    format: z.literal("sonm-bench-report/1"),
    createdAt: z.string(),
    agent: HexString.length(42),
    hardwareHash: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex digits"),
    hardware: z.strictObject({
      cpu: z.strictObject({
        model: z.string(),
        sockets: z.number(),
        cores: z.number(),
        threads: z.number(),
      }),
      ramGiB: z.number(),
      gpus: z.array(z.strictObject({
        vendor: z.string(),
        name: z.string(),
        uuid: z.string(),
        pciBusId: z.string(),
        pciDeviceId: z.string(),
        pciSubsystemId: z.string(),
        memBytes: z.number(),
        driverVersion: z.string(),
        cudaVersion: z.string(),
      })),
      opencl: z.array(
        z.strictObject({ platform: z.string(), name: z.string(), driverVersion: z.string() }),
      ),
    }),
    probes: z.record(z.string(), z.string()),
    results: z.array(z.strictObject({
      id: z.number().int().nonnegative(),
      key: z.string(),
      /** int64 as a decimal string. */
      value: z.string().regex(/^\d+$/, "must be a decimal integer"),
      unit: z.string(),
      status: z.enum(["measured", "cached", "absent", "failed"]),
      note: z.string(),
      probe: z.string(),
      measuredAt: z.number().int(),
    })),
    /**
     * The rig's last self-test (`sonm-agent selftest`, as the agent last ran it), when one ran:
     * signed with the rest, so a buyer sees what the rig could deliver when it benchmarked.
     */
    selftest: z.strictObject({
      at: z.number(),
      ms: z.number(),
      results: z.array(z.strictObject({
        check: z.string(),
        plan: z.string().optional(),
        status: z.enum(["ok", "warn", "failed", "skipped"]),
        detail: z.string(),
        fix: z.string().optional(),
        gates: z.boolean(),
        ms: z.number(),
      })),
    }).optional(),
  }),
  signature: HexString,
});

/** The signed part of a report: results, hardware identity and probe versions. */
export type BenchReport = z.infer<typeof SignedBenchReportSchema>["report"] & { agent: Address };

/** A report and the agent's EIP-191 signature of its canonical JSON. */
export type SignedBenchReport = { report: BenchReport; signature: Hex };
