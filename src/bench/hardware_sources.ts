import { statfs } from "node:fs/promises";

/** A finished command: exit code and standard output. */
export type ToolOutput = { code: number; stdout: string };

/**
 * Where hardware discovery reads from: the live system by default
 * ({@linkcode createSystemSources}), recorded outputs in tests.
 */
export type HardwareSources = {
  /** A file's text, `undefined` when it does not exist or cannot be read. */
  readText(path: string): Promise<string | undefined>;
  /** Names in a folder, `[]` when it does not exist. */
  listDir(path: string): Promise<string[]>;
  /** Runs a tool; `undefined` when it is not installed. */
  run(
    command: string,
    args: readonly string[],
    options?: { signal?: AbortSignal | undefined },
  ): Promise<ToolOutput | undefined>;
  /** Size and free space of the filesystem holding `path`, `undefined` when unknown. */
  statfs(path: string): Promise<{ totalBytes: number; freeBytes: number } | undefined>;
  /** Network interfaces: name, MAC and addresses. */
  interfaces(): { name: string; mac: string; address: string }[];
};

/** Options of {@linkcode createSystemSources}. */
export type SystemSourcesOptions = {
  /**
   * Time limit of one tool run (nvidia-smi can hang on a wedged GPU), in milliseconds.
   * @default {20000}
   */
  toolTimeoutMs?: number | undefined;
};

/**
 * The live system's sources: /proc and /sys files, tools on PATH, statfs,
 * and the OS's interface list. Needs no root.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSystemSources } from "./hardware_sources.ts";
 * const sources = createSystemSources();
 * const meminfo = await sources.readText("/proc/meminfo");
 * assert.ok(meminfo === undefined || meminfo.includes("MemTotal"));
 * ```
 */
export function createSystemSources(options: SystemSourcesOptions = {}): HardwareSources {
  const { toolTimeoutMs = 20_000 } = options;
  return {
    async readText(path) {
      try {
        return await Deno.readTextFile(path);
      } catch {
        return undefined;
      }
    },
    async listDir(path) {
      try {
        const names: string[] = [];
        for await (const e of Deno.readDir(path)) names.push(e.name);
        return names.sort();
      } catch {
        return [];
      }
    },
    async run(command, args, { signal } = {}) {
      const timeout = AbortSignal.timeout(toolTimeoutMs);
      try {
        const out = await new Deno.Command(command, {
          args: [...args],
          stdout: "piped",
          stderr: "null",
          stdin: "null",
          signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
        }).output();
        return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return undefined;
        if (signal?.aborted) throw error;
        return { code: -1, stdout: "" };
      }
    },
    async statfs(path) {
      try {
        const s = await statfs(path);
        return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
      } catch {
        return undefined;
      }
    },
    interfaces() {
      return Deno.networkInterfaces().map((i) => ({
        name: i.name,
        mac: i.mac,
        address: i.address,
      }));
    },
  };
}
