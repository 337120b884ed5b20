// Parsers of /proc/cpuinfo and /proc/meminfo (private to src/bench).
import type { CpuInfo, MemoryInfo } from "./types.ts";

/** Parses /proc/cpuinfo of x86, ARM, POWER and s390x kernels. */
export function parseCpuinfo(text: string): CpuInfo {
  const blocks = text.split(/\n\s*\n/).map(parseBlock).filter((b) => b.size > 0);
  const processors = blocks.filter((b) => b.has("processor"));
  const first = processors[0] ?? blocks[0] ?? new Map<string, string>();
  const all = new Map<string, string>();
  for (const b of blocks) for (const [k, v] of b) if (!all.has(k)) all.set(k, v);
  const model = first.get("model name") ?? all.get("model name") ?? all.get("hardware") ??
    all.get("cpu model") ?? all.get("cpu") ?? all.get("machine") ?? "";
  const vendor = first.get("vendor_id") ?? all.get("cpu implementer") ?? all.get("vendor_id") ?? "";
  const flagsText = first.get("flags") ?? first.get("features") ?? all.get("features") ?? "";
  const flags = [...new Set(flagsText.split(/\s+/).filter((f) => f !== ""))].sort();
  // s390x lists processors on "processor N:" lines of one block
  let threads = processors.length;
  const s390 = text.match(/^processor \d+:/gm);
  if (s390 !== null) threads = s390.length;
  const sockets = new Set<string>();
  const cores = new Set<string>();
  for (const b of processors) {
    const socket = b.get("physical id");
    const core = b.get("core id");
    if (socket !== undefined) sockets.add(socket);
    if (socket !== undefined && core !== undefined) cores.add(`${socket}/${core}`);
  }
  return {
    model: model.replace(/\s+/g, " ").trim(),
    vendor,
    sockets: Math.max(sockets.size, 1),
    cores: cores.size > 0 ? cores.size : threads,
    threads,
    flags,
  };
}

function parseBlock(block: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of block.split("\n")) {
    const i = line.indexOf(":");
    if (i < 0) continue;
    const key = line.slice(0, i).trim().toLowerCase();
    if (key === "" || out.has(key)) continue;
    out.set(key, line.slice(i + 1).trim());
  }
  return out;
}

/** Parses /proc/meminfo (kB values). */
export function parseMeminfo(text: string): MemoryInfo {
  const kb = (key: string): number | undefined => {
    const m = text.match(new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, "m"));
    return m?.[1] === undefined ? undefined : Number(m[1]) * 1024;
  };
  const totalBytes = kb("MemTotal");
  if (totalBytes === undefined) {
    throw new SyntaxError("Cannot parse /proc/meminfo: no MemTotal line");
  }
  return { totalBytes, availableBytes: kb("MemAvailable") ?? kb("MemFree") ?? 0 };
}
