import { AgentError } from "../../errors.ts";

/** Options of {@linkcode readInputFile}. */
export type ReadInputFileOptions = {
  /** What the file is, for the message: "orders file", "benchmark report". */
  what: string;
  /** Refuse a larger file (it is not what was asked for). */
  maxBytes: number;
  /** Lines that tell the rig owner what to give instead. */
  hints?: readonly string[] | undefined;
  signal?: AbortSignal | undefined;
};

/**
 * Reads a text file named on the command line. A path that is missing, a
 * directory, unreadable or larger than `maxBytes` is the rig owner's input
 * gone wrong: an {@linkcode AgentError} with `badInput` (exit 2), never a
 * stack trace.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readInputFile } from "./_read_input_file.ts";
 * await assert.rejects(
 *   () => readInputFile("/nonexistent/r.json", { what: "benchmark report", maxBytes: 1024 }),
 *   /Cannot read benchmark report "\/nonexistent\/r.json": it does not exist/,
 * );
 * ```
 */
export async function readInputFile(path: string, options: ReadInputFileOptions): Promise<string> {
  const { what, maxBytes, hints, signal } = options;
  const refuse = (why: string, cause?: unknown) =>
    new AgentError(`Cannot read ${what} "${path}": ${why}`, { cause, hints, badInput: true });
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) throw refuse("it does not exist", cause);
    if (cause instanceof Deno.errors.PermissionDenied) throw refuse("permission denied", cause);
    throw refuse("it cannot be opened", cause);
  }
  try {
    const info = await file.stat();
    if (!info.isFile) throw refuse(info.isDirectory ? "it is a directory" : "it is not a file");
    if (info.size > maxBytes) throw refuse(`it is larger than ${maxBytes} bytes`);
    const bytes = new Uint8Array(info.size);
    let read = 0;
    while (read < bytes.length) {
      signal?.throwIfAborted();
      const n = await file.read(bytes.subarray(read));
      if (n === null) break;
      read += n;
    }
    return new TextDecoder().decode(bytes.subarray(0, read));
  } catch (cause) {
    if (cause instanceof AgentError) throw cause;
    throw refuse("it cannot be read", cause);
  } finally {
    file.close();
  }
}
