import {
  discoverHardware,
  type Hardware,
  hardwareFingerprint,
  type HardwareSources,
} from "../../bench/mod.ts";

/** Options of {@linkcode runHardwareCommand}. */
export type RunHardwareCommandOptions = {
  /** The agent's data directory (storage is that of its filesystem). */
  dataDir: string;
  /** Where discovery reads from. @default {the live system} */
  sources?: HardwareSources | undefined;
  signal?: AbortSignal | undefined;
};

/** Return type of {@linkcode runHardwareCommand}. */
export type RunHardwareCommandReturnType = {
  hardware: Hardware;
  /** sha256 of the hardware identity (the results cache key). */
  hardwareHash: string;
  /** The table for people, one line each. */
  lines: string[];
};

/**
 * `sonm-agent hardware [--json]`: discovers the rig's hardware and lays it
 * out for people (main.ts prints `lines`, or `hardware` as JSON).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runHardwareCommand } from "./hardware_command.ts";
 * const { hardware, lines } = await runHardwareCommand({ dataDir: "." });
 * assert.ok(hardware.cpu.threads >= 1 && lines.length > 0);
 * ```
 */
export async function runHardwareCommand(
  options: RunHardwareCommandOptions,
): Promise<RunHardwareCommandReturnType> {
  const hardware = await discoverHardware(options);
  const { hash } = hardwareFingerprint(hardware);
  const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;
  const { cpu, memory, storage } = hardware;
  const lines = [
    `cpu      ${
      cpu.model || "(unknown model)"
    }: ${cpu.sockets} socket(s), ${cpu.cores} cores, ${cpu.threads} threads, ${cpu.flags.length} flags`,
    `ram      ${gib(memory.totalBytes)} (${gib(memory.availableBytes)} available)`,
    `storage  ${gib(storage.totalBytes)} (${gib(storage.freeBytes)} free) on ${storage.path}`,
  ];
  for (const n of hardware.network) {
    const speed = n.speedMbps === undefined ? "" : `, ${n.speedMbps} Mbit/s`;
    lines.push(`net      ${n.name} ${n.mac}${speed}: ${n.addresses.join(" ")}`);
  }
  if (hardware.gpus.length === 0) lines.push("gpu      none (GPU benchmarks report 0)");
  for (const g of hardware.gpus) {
    const extra = [
      g.computeCapability && `cc ${g.computeCapability}`,
      g.driverVersion && `driver ${g.driverVersion}`,
      g.cudaVersion && `cuda ${g.cudaVersion}`,
      g.powerLimitW !== undefined && `${g.powerLimitW} W`,
    ].filter(Boolean).join(", ");
    lines.push(
      `gpu ${g.index}    ${g.name} ${
        gib(g.memBytes)
      } ${g.pciBusId} [${g.pciDeviceId} ${g.pciSubsystemId}] ${g.uuid}${
        extra ? ` (${extra})` : ""
      }`,
    );
  }
  for (const d of hardware.opencl) {
    lines.push(
      `opencl   ${d.platform}: ${d.name} (${d.type}, ${d.computeUnits} CUs, driver ${d.driverVersion})`,
    );
  }
  for (const note of hardware.notes) lines.push(`note     ${note}`);
  lines.push(`hash     ${hash}`);
  return { hardware, hardwareHash: hash, lines };
}
