/**
 * Private: a process and its descendants on this host, from `/proc` (an
 * exec's process as Docker reports it, `Pid`, is a host pid).
 *
 * @module
 */

/** The most bytes read of one `/proc/<pid>/stat` (a few hundred in practice). */
const MAX_STAT_BYTES = 4096;

/** `pid` and every process below it (children first found, `pid` first in the list). */
export async function processTree(pid: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  try {
    for await (const entry of Deno.readDir("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      const ppid = await parentOf(Number(entry.name));
      if (ppid === undefined) continue;
      const list = parents.get(ppid) ?? [];
      list.push(Number(entry.name));
      parents.set(ppid, list);
    }
  } catch {
    return [pid]; // no /proc: the process alone
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...(parents.get(out[i]!) ?? []));
  return out;
}

/** The parent pid in `/proc/<pid>/stat` (after the command name, which may hold spaces). */
export async function parentOf(pid: number): Promise<number | undefined> {
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(`/proc/${pid}/stat`);
    const buf = new Uint8Array(MAX_STAT_BYTES);
    const n = await file.read(buf);
    if (n === null) return undefined;
    return parseStatParent(new TextDecoder().decode(buf.subarray(0, n)));
  } catch {
    return undefined; // gone meanwhile
  } finally {
    file?.close();
  }
}

/**
 * The ppid field of a `/proc/<pid>/stat` line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseStatParent } from "./_process_tree.ts";
 * assert.equal(parseStatParent("42 (a b) S 7 42 42 0"), 7);
 * assert.equal(parseStatParent("garbage"), undefined);
 * ```
 */
export function parseStatParent(stat: string): number | undefined {
  const close = stat.lastIndexOf(")");
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).split(" ");
  const ppid = Number(fields[1]);
  return Number.isSafeInteger(ppid) ? ppid : undefined;
}
