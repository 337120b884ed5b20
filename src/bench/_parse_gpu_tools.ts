// Parsers of nvidia-smi, rocm-smi and clinfo output (private to src/bench).
import type { GpuInfo, OpenClDevice } from "./types.ts";

/** The fields our nvidia-smi query asks for (`--format=csv`, header and units kept). */
export const NVIDIA_SMI_FIELDS = [
  "index",
  "name",
  "uuid",
  "pci.bus_id",
  "pci.device_id",
  "pci.sub_device_id",
  "memory.total",
  "compute_cap",
  "driver_version",
  "power.limit",
] as const;

const MISSING =
  /^\[?(N\/A|Not Supported|Unknown Error|Requested functionality has been deprecated|Insufficient Permissions)\]?$/i;

/** One row of nvidia-smi's CSV: a field by its header name, blank or "[N/A]" as undefined. */
export type NvidiaSmiCells = {
  get(field: string): string | undefined;
  number(field: string): number | undefined;
};

/**
 * The rows of `nvidia-smi --query-gpu=... --format=csv[,nounits]` output,
 * each field found by its header's name (any order, extra columns, units in
 * brackets dropped); undefined without a header. The one CSV reader of the
 * GPU's inventory and of its live readings.
 */
export function nvidiaSmiRows(
  csv: string,
): { header: string; names: string[]; cells: NvidiaSmiCells[] } | undefined {
  const lines = csv.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const header = lines[0];
  if (header === undefined) return undefined;
  const names = header.split(",").map((h) => h.trim().replace(/\s*\[.*\]$/, ""));
  const cells = lines.slice(1).map((line): NvidiaSmiCells => {
    const values = line.split(",").map((c) => c.trim());
    const get = (field: string): string | undefined => {
      const i = names.indexOf(field);
      const v = i < 0 ? undefined : values[i];
      return v === undefined || v === "" || MISSING.test(v) ? undefined : v;
    };
    const number = (field: string): number | undefined => {
      const v = get(field);
      const n = v === undefined ? NaN : Number.parseFloat(v);
      return Number.isFinite(n) ? n : undefined;
    };
    return { get, number };
  });
  return { header, names, cells };
}

/**
 * Parses `nvidia-smi --query-gpu=... --format=csv[,nounits]` output (any
 * column order and any extra columns: columns are found by header name) and
 * the `CUDA Version` line of `nvidia-smi --version` or of the plain table.
 */
export function parseNvidiaSmi(csv: string, versionText: string): GpuInfo[] {
  const rows = nvidiaSmiRows(csv);
  if (rows === undefined) return [];
  if (!rows.names.includes("name") || !rows.names.includes("memory.total")) {
    throw new SyntaxError(
      `Cannot parse nvidia-smi output: header lacks name or memory.total: "${
        rows.header.slice(0, 80)
      }"`,
    );
  }
  const cuda = versionText.match(/CUDA Version\s*:\s*([\d.]+)/)?.[1] ?? "";
  return rows.cells.map(({ get, number }, row) => {
    const memMiB = number("memory.total") ?? 0;
    return {
      vendor: "nvidia" as const,
      index: number("index") ?? row,
      name: get("name") ?? "",
      uuid: get("uuid") ?? "",
      pciBusId: normalizePciAddress(get("pci.bus_id") ?? ""),
      pciDeviceId: nvidiaPciId(get("pci.device_id")),
      pciSubsystemId: nvidiaPciId(get("pci.sub_device_id")),
      memBytes: Math.round(memMiB * 1024 * 1024),
      computeCapability: get("compute_cap") ?? "",
      driverVersion: get("driver_version") ?? "",
      cudaVersion: cuda,
      powerLimitW: number("power.limit"),
      source: "nvidia-smi" as const,
    };
  });
}

/** `0x233010DE` (device in the high half, vendor in the low) to `10de:2330`. */
function nvidiaPciId(value: string | undefined): string {
  if (value === undefined || !/^0x[0-9a-f]{8}$/i.test(value)) return "";
  const n = Number.parseInt(value.slice(2), 16);
  const hex = (x: number) => x.toString(16).padStart(4, "0");
  return `${hex(n & 0xffff)}:${hex(n >>> 16)}`;
}

/** `00000000:00:09.0` or `0000:00:09.0` to `0000:00:09.0`, lower case. */
export function normalizePciAddress(value: string): string {
  const m = value.trim().match(/^(?:([0-9a-f]+):)?([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-7])$/i);
  if (m === null) return value.trim().toLowerCase();
  const domain = (m[1] ?? "0").slice(-4).padStart(4, "0");
  return `${domain}:${m[2]!.padStart(2, "0")}:${m[3]!.padStart(2, "0")}.${m[4]}`.toLowerCase();
}

/**
 * Parses `rocm-smi --showproductname --showmeminfo vram --showbus
 * --showuniqueid --showdriverversion --json`: one object per `cardN`, plus
 * `system` with the driver version. Key case varies between ROCm releases.
 */
export function parseRocmSmi(json: string): GpuInfo[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (cause) {
    throw new SyntaxError("Cannot parse rocm-smi output: not JSON", { cause });
  }
  if (typeof data !== "object" || data === null) return [];
  const entries = Object.entries(data as Record<string, unknown>);
  const lower = (o: unknown): Map<string, string> => {
    const m = new Map<string, string>();
    if (typeof o === "object" && o !== null) {
      for (const [k, v] of Object.entries(o)) m.set(k.toLowerCase(), String(v).trim());
    }
    return m;
  };
  const system = lower(entries.find(([k]) => k === "system")?.[1]);
  const driver = system.get("driver version") ?? "";
  return entries
    .filter(([k]) => /^card\d+$/.test(k))
    .sort(([a], [b]) => Number(a.slice(4)) - Number(b.slice(4)))
    .map(([k, v]) => {
      const c = lower(v);
      const vram = Number(c.get("vram total memory (b)") ?? "0");
      const uid = c.get("unique id") ?? "";
      return {
        vendor: "amd" as const,
        index: Number(k.slice(4)),
        name: c.get("card series") ?? c.get("card model") ?? "",
        uuid: uid === "N/A" ? "" : uid,
        pciBusId: normalizePciAddress(c.get("pci bus") ?? ""),
        pciDeviceId: "",
        pciSubsystemId: "",
        memBytes: Number.isFinite(vram) ? vram : 0,
        computeCapability: c.get("gfx version") ?? "",
        driverVersion: driver,
        cudaVersion: "",
        powerLimitW: undefined,
        source: "rocm-smi" as const,
      };
    });
}

/** Parses `clinfo --raw`: `[PLAT/n]  KEY  VALUE` lines, `[PLAT/*]` for the platform. */
export function parseClinfoRaw(text: string): OpenClDevice[] {
  const platforms = new Map<string, string>();
  const devices = new Map<string, Map<string, string>>();
  for (const line of text.split("\n")) {
    const m = line.match(/^\[([^/\]]+)\/([^\]]+)\]\s+(\S+)\s+(.*)$/);
    if (m === null) continue;
    const [, plat, dev, key, value] = m as unknown as [string, string, string, string, string];
    if (dev === "*") {
      if (key === "CL_PLATFORM_NAME") platforms.set(plat, value.trim());
      continue;
    }
    const id = `${plat}/${dev}`;
    let d = devices.get(id);
    if (d === undefined) devices.set(id, d = new Map());
    if (!d.has(key)) d.set(key, value.trim());
  }
  return [...devices.entries()].map(([id, d]) => ({
    platform: platforms.get(id.split("/")[0]!) ?? id.split("/")[0]!,
    name: d.get("CL_DEVICE_NAME") ?? "",
    vendor: d.get("CL_DEVICE_VENDOR") ?? "",
    type: (d.get("CL_DEVICE_TYPE") ?? "").replace(/^CL_DEVICE_TYPE_/, "").toLowerCase(),
    driverVersion: d.get("CL_DRIVER_VERSION") ?? "",
    memBytes: Number(d.get("CL_DEVICE_GLOBAL_MEM_SIZE") ?? "0") || 0,
    computeUnits: Number(d.get("CL_DEVICE_MAX_COMPUTE_UNITS") ?? "0") || 0,
  }));
}
