import { dirname } from "node:path";
import {
  normalizePciAddress,
  NVIDIA_SMI_FIELDS,
  parseClinfoRaw,
  parseNvidiaSmi,
  parseRocmSmi,
} from "./_parse_gpu_tools.ts";
import { parseCpuinfo, parseMeminfo } from "./_parse_proc.ts";
import { createSystemSources, type HardwareSources } from "./hardware_sources.ts";
import type { GpuInfo, Hardware, NetworkInterfaceInfo, OpenClDevice } from "./types.ts";
import { BenchError } from "./errors.ts";

/** Options of {@linkcode discoverHardware}. */
export type DiscoverHardwareOptions = {
  /** The agent's data directory: storage is measured on its filesystem. */
  dataDir: string;
  /**
   * Where to read from.
   * @default {createSystemSources()}
   */
  sources?: HardwareSources | undefined;
  signal?: AbortSignal | undefined;
};

/**
 * Finds the rig's hardware: CPU, RAM, the data directory's storage, network
 * interfaces (from /proc, /sys and the OS), NVIDIA GPUs (nvidia-smi), AMD
 * GPUs (sysfs, with rocm-smi's names when installed) and OpenCL devices
 * (clinfo). Devices are identified by what they report, never by a table of
 * models. A missing tool is a note, not an error.
 *
 * @throws {BenchError} when /proc/cpuinfo or /proc/meminfo cannot be read
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { discoverHardware } from "./discover_hardware.ts";
 * const hw = await discoverHardware({ dataDir: "." });
 * assert.ok(hw.cpu.threads >= 1);
 * ```
 */
export async function discoverHardware(options: DiscoverHardwareOptions): Promise<Hardware> {
  const { dataDir, sources = createSystemSources(), signal } = options;
  const notes: string[] = [];
  const cpuinfo = await sources.readText("/proc/cpuinfo");
  const meminfo = await sources.readText("/proc/meminfo");
  if (cpuinfo === undefined || meminfo === undefined) {
    throw new BenchError("Cannot discover hardware: /proc/cpuinfo or /proc/meminfo is unreadable", {
      hints: ["Run the agent on Linux with /proc mounted"],
    });
  }
  const cpu = parseCpuinfo(cpuinfo);
  const memory = parseMeminfo(meminfo);
  // the data directory may not exist yet: measure the filesystem it will be created on
  let fs = await sources.statfs(dataDir);
  for (let dir = dirname(dataDir); fs === undefined && dir !== dirname(dir); dir = dirname(dir)) {
    fs = await sources.statfs(dir);
  }
  if (fs === undefined) notes.push(`storage: cannot stat "${dataDir}" or a parent`);
  const storage = { path: dataDir, totalBytes: fs?.totalBytes ?? 0, freeBytes: fs?.freeBytes ?? 0 };
  const network = await discoverNetwork(sources);
  const nvidia = await discoverNvidia(sources, notes, signal);
  const amd = await discoverAmd(sources, notes, signal);
  const opencl = await discoverOpenCl(sources, notes, signal);
  const gpus = [...nvidia, ...amd];
  if (gpus.length === 0) notes.push("gpu: no NVIDIA or AMD GPU found");
  return { cpu, memory, storage, network, gpus, opencl, notes };
}

/** Options of {@linkcode discoverGpus}. */
export type DiscoverGpusOptions = {
  /** Where to read from. @default {createSystemSources()} */
  sources?: HardwareSources | undefined;
  signal?: AbortSignal | undefined;
};

/**
 * The rig's NVIDIA and AMD GPUs only (nvidia-smi, rocm-smi, sysfs), without
 * the rest of discovery: no OpenCL runtime is loaded, so it is quick enough
 * for `config check` to name a plan's GPU the rig does not have.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { discoverGpus } from "./discover_hardware.ts";
 * const { gpus } = await discoverGpus();
 * assert.ok(gpus.every((g) => Number.isInteger(g.index)));
 * ```
 */
export async function discoverGpus(
  options: DiscoverGpusOptions = {},
): Promise<{ gpus: GpuInfo[]; notes: string[] }> {
  const { sources = createSystemSources(), signal } = options;
  const notes: string[] = [];
  const nvidia = await discoverNvidia(sources, notes, signal);
  const amd = await discoverAmd(sources, notes, signal);
  return { gpus: [...nvidia, ...amd], notes };
}

async function discoverNetwork(sources: HardwareSources): Promise<NetworkInterfaceInfo[]> {
  const byName = new Map<string, NetworkInterfaceInfo>();
  for (const i of sources.interfaces()) {
    let entry = byName.get(i.name);
    if (entry === undefined) {
      const speedText = (await sources.readText(`/sys/class/net/${i.name}/speed`))?.trim();
      const speed = speedText === undefined ? NaN : Number(speedText);
      entry = { name: i.name, mac: i.mac, speedMbps: speed > 0 ? speed : undefined, addresses: [] };
      byName.set(i.name, entry);
    }
    entry.addresses.push(i.address);
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

async function discoverNvidia(
  sources: HardwareSources,
  notes: string[],
  signal: AbortSignal | undefined,
): Promise<GpuInfo[]> {
  const query = async (fields: readonly string[]) =>
    await sources.run("nvidia-smi", [`--query-gpu=${fields.join(",")}`, "--format=csv"], {
      signal,
    });
  let out = await query(NVIDIA_SMI_FIELDS);
  if (out === undefined) {
    notes.push("nvidia: nvidia-smi not installed");
    return [];
  }
  if (out.code !== 0) {
    // drivers before 510 do not know compute_cap
    out = await query(NVIDIA_SMI_FIELDS.filter((f) => f !== "compute_cap"));
  }
  if (out === undefined || out.code !== 0) {
    notes.push(`nvidia: nvidia-smi failed (exit ${out?.code ?? "?"}): no driver loaded?`);
    return [];
  }
  const version = await sources.run("nvidia-smi", ["--version"], { signal });
  let versionText = version?.code === 0 ? version.stdout : "";
  if (!/CUDA Version/.test(versionText)) {
    versionText = (await sources.run("nvidia-smi", [], { signal }))?.stdout ?? "";
  }
  try {
    return parseNvidiaSmi(out.stdout, versionText);
  } catch (error) {
    notes.push(`nvidia: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  }
}

/** AMD GPUs from sysfs (ids, VRAM, PCI address), named by rocm-smi when it is installed. */
async function discoverAmd(
  sources: HardwareSources,
  notes: string[],
  signal: AbortSignal | undefined,
): Promise<GpuInfo[]> {
  const found: GpuInfo[] = [];
  const cards = (await sources.listDir("/sys/class/drm")).filter((n) => /^card\d+$/.test(n));
  for (const card of cards) {
    const dir = `/sys/class/drm/${card}/device`;
    const read = async (f: string) => (await sources.readText(`${dir}/${f}`))?.trim() ?? "";
    if ((await read("vendor")).toLowerCase() !== "0x1002") continue;
    const hex = (v: string) => v.toLowerCase().replace(/^0x/, "").padStart(4, "0");
    const slot = (await read("uevent")).match(/^PCI_SLOT_NAME=(.+)$/m)?.[1] ?? "";
    const vram = Number(await read("mem_info_vram_total"));
    found.push({
      vendor: "amd",
      index: Number(card.slice(4)),
      name: await read("product_name"),
      uuid: await read("unique_id"),
      pciBusId: normalizePciAddress(slot),
      pciDeviceId: `1002:${hex(await read("device"))}`,
      pciSubsystemId: `${hex(await read("subsystem_vendor"))}:${
        hex(await read("subsystem_device"))
      }`,
      memBytes: Number.isFinite(vram) ? vram : 0,
      computeCapability: "",
      driverVersion: (await sources.readText("/sys/module/amdgpu/version"))?.trim() ?? "",
      cudaVersion: "",
      powerLimitW: undefined,
      source: "sysfs",
    });
  }
  const out = await sources.run("rocm-smi", [
    "--showproductname",
    "--showmeminfo",
    "vram",
    "--showbus",
    "--showuniqueid",
    "--showdriverversion",
    "--json",
  ], { signal });
  if (out === undefined) {
    if (found.length > 0) notes.push("amd: rocm-smi not installed: names from sysfs only");
    return found.map((g) => ({ ...g, name: g.name || `AMD GPU ${g.pciDeviceId}` }));
  }
  let smi: GpuInfo[] = [];
  try {
    smi = out.code === 0 ? parseRocmSmi(out.stdout) : [];
  } catch (error) {
    notes.push(`amd: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (found.length === 0) return smi;
  // sysfs is authoritative for ids; rocm-smi adds names, gfx target and driver
  return found.map((g) => {
    const s = smi.find((x) => x.pciBusId === g.pciBusId);
    if (s === undefined) return { ...g, name: g.name || `AMD GPU ${g.pciDeviceId}` };
    return {
      ...g,
      name: s.name || g.name || `AMD GPU ${g.pciDeviceId}`,
      uuid: g.uuid || s.uuid,
      memBytes: g.memBytes || s.memBytes,
      computeCapability: s.computeCapability,
      driverVersion: s.driverVersion || g.driverVersion,
      source: "rocm-smi" as const,
    };
  });
}

async function discoverOpenCl(
  sources: HardwareSources,
  notes: string[],
  signal: AbortSignal | undefined,
): Promise<OpenClDevice[]> {
  const out = await sources.run("clinfo", ["--raw"], { signal });
  if (out === undefined) {
    notes.push("opencl: clinfo not installed");
    return [];
  }
  const devices = out.code === 0 ? parseClinfoRaw(out.stdout) : [];
  if (devices.length === 0) notes.push("opencl: no OpenCL device");
  return devices;
}
