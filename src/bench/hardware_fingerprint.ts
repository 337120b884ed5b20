import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { canonicalJson } from "../internal/mod.ts";
import type { Hardware } from "./types.ts";

/** What identifies a rig's hardware for the results cache and the signed report. */
export type HardwareIdentity = {
  cpu: { model: string; sockets: number; cores: number; threads: number };
  /** RAM in whole GiB (the exact figure moves with kernel reservations). */
  ramGiB: number;
  gpus: {
    vendor: string;
    name: string;
    uuid: string;
    pciBusId: string;
    pciDeviceId: string;
    pciSubsystemId: string;
    memBytes: number;
    driverVersion: string;
    cudaVersion: string;
  }[];
  opencl: { platform: string; name: string; driverVersion: string }[];
};

/** Return type of {@linkcode hardwareFingerprint}. */
export type HardwareFingerprint = {
  identity: HardwareIdentity;
  /** sha256 of the identity's canonical JSON, hex. */
  hash: string;
};

/**
 * The hardware's identity (CPU, RAM, GPUs with UUIDs, PCI ids and driver
 * versions, OpenCL devices) and its hash: cached results are keyed by it, so
 * a new GPU or driver means a new run. Free space and addresses are left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { discoverHardware } from "./discover_hardware.ts";
 * import { hardwareFingerprint } from "./hardware_fingerprint.ts";
 * const { hash } = hardwareFingerprint(await discoverHardware({ dataDir: "." }));
 * assert.equal(hash.length, 64);
 * ```
 */
export function hardwareFingerprint(hardware: Hardware): HardwareFingerprint {
  const identity: HardwareIdentity = {
    cpu: {
      model: hardware.cpu.model,
      sockets: hardware.cpu.sockets,
      cores: hardware.cpu.cores,
      threads: hardware.cpu.threads,
    },
    ramGiB: Math.floor(hardware.memory.totalBytes / 2 ** 30),
    gpus: hardware.gpus.map((g) => ({
      vendor: g.vendor,
      name: g.name,
      uuid: g.uuid,
      pciBusId: g.pciBusId,
      pciDeviceId: g.pciDeviceId,
      pciSubsystemId: g.pciSubsystemId,
      memBytes: g.memBytes,
      driverVersion: g.driverVersion,
      cudaVersion: g.cudaVersion,
    })),
    opencl: hardware.opencl.map((d) => ({
      platform: d.platform,
      name: d.name,
      driverVersion: d.driverVersion,
    })),
  };
  const hash = bytesToHex(sha256(new TextEncoder().encode(canonicalJson(identity))));
  return { identity, hash };
}
