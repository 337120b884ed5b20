/** Options of {@linkcode readBoundedFile}. */
export type ReadBoundedFileOptions = {
  /** Refuse a file with more bytes than this (it is not what was asked for). */
  maxBytes: number;
  /**
   * Give up when opening and reading take longer than this, ms (a file on a
   * hung mount, or one swapped for a FIFO between the check and the open).
   * @default {5000}
   */
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
};

/** Why {@linkcode readBoundedFile} refused a path. */
export type ReadBoundedFileRefusal =
  | "missing"
  | "permission"
  | "directory"
  | "not-a-file"
  | "too-large"
  | "timeout"
  | "unreadable";

/** What {@linkcode readBoundedFile} returns: the text, or why there is none. */
export type ReadBoundedFileReturnType =
  | { ok: true; text: string }
  | { ok: false; reason: ReadBoundedFileRefusal; detail: string; cause?: unknown };

/**
 * Reads a text file that someone else named (a config, a report, a keystore)
 * with bounded work, whatever the path is: its type is checked before it is
 * opened (a directory, FIFO, device or socket is refused, so `/dev/zero` and
 * a FIFO cost nothing), at most `maxBytes + 1` bytes are ever read or held
 * (a file that grows after the check is still refused), and the whole read is
 * time-boxed. Never throws for the path's sake: a refusal is a value naming
 * the reason, for the caller to word.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readBoundedFile } from "./read_bounded_file.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "chain: devnet\n");
 * assert.deepEqual(await readBoundedFile(path, { maxBytes: 64 }), { ok: true, text: "chain: devnet\n" });
 * assert.equal((await readBoundedFile(path, { maxBytes: 4 })).ok, false);
 * const zero = await readBoundedFile("/dev/zero", { maxBytes: 64 });
 * assert.equal(zero.ok || zero.reason, "not-a-file");
 * await Deno.remove(path);
 * ```
 */
export async function readBoundedFile(
  path: string,
  options: ReadBoundedFileOptions,
): Promise<ReadBoundedFileReturnType> {
  const { maxBytes, timeoutMs = 5000, signal } = options;
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path); // follows a symlink: its target is what would be read
  } catch (cause) {
    return refusal(cause);
  }
  const kind = typeRefusal(info, maxBytes);
  if (kind !== undefined) return kind;

  const deadline = AbortSignal.timeout(timeoutMs);
  const stop = signal === undefined ? deadline : AbortSignal.any([deadline, signal]);
  let file: Deno.FsFile | undefined;
  let timedOut = false;
  const giveUp = new Promise<never>((_, reject) => {
    const onAbort = () => {
      timedOut = deadline.aborted;
      reject(stop.reason);
    };
    if (stop.aborted) onAbort();
    else stop.addEventListener("abort", onAbort, { once: true });
  });
  giveUp.catch(() => {}); // observed below; never an unhandled rejection
  try {
    const opening = Deno.open(path, { read: true });
    // a FIFO swapped in after the stat blocks the open until a writer comes:
    // the timeout answers, and a late open is closed at once
    opening.then((f) => (stop.aborted ? f.close() : undefined), () => {});
    file = await Promise.race([opening, giveUp]);
    const opened = await Promise.race([file.stat(), giveUp]);
    const again = typeRefusal(opened, maxBytes);
    if (again !== undefined) return again;
    // sized for the file as it is (one byte more tells a file that grew); grown up to the bound
    let bytes = new Uint8Array(opened.size + 1);
    let read = 0;
    for (;;) {
      if (read === bytes.length) {
        if (read > maxBytes) return tooLarge(maxBytes);
        const larger = new Uint8Array(Math.min(maxBytes + 1, bytes.length * 2));
        larger.set(bytes);
        bytes = larger;
      }
      const n = await Promise.race([file.read(bytes.subarray(read)), giveUp]);
      if (n === null) break;
      read += n;
    }
    return { ok: true, text: new TextDecoder().decode(bytes.subarray(0, read)) };
  } catch (cause) {
    if (timedOut) {
      return { ok: false, reason: "timeout", detail: `it was not read within ${timeoutMs} ms` };
    }
    if (signal?.aborted) throw signal.reason;
    return refusal(cause);
  } finally {
    try {
      file?.close();
    } catch {
      // already closed
    }
  }
}

function typeRefusal(info: Deno.FileInfo, maxBytes: number): ReadBoundedFileReturnType | undefined {
  if (info.isDirectory) return { ok: false, reason: "directory", detail: "it is a directory" };
  if (!info.isFile) {
    return {
      ok: false,
      reason: "not-a-file",
      detail: `it is not a regular file (${
        info.isFifo ? "a FIFO" : info.isCharDevice || info.isBlockDevice ? "a device" : "a socket"
      })`,
    };
  }
  if (info.size > maxBytes) return tooLarge(maxBytes);
  return undefined;
}

function tooLarge(maxBytes: number): ReadBoundedFileReturnType {
  return { ok: false, reason: "too-large", detail: `it is larger than ${maxBytes} bytes` };
}

function refusal(cause: unknown): ReadBoundedFileReturnType {
  if (cause instanceof Deno.errors.NotFound) {
    return { ok: false, reason: "missing", detail: "it does not exist", cause };
  }
  if (cause instanceof Deno.errors.PermissionDenied) {
    return { ok: false, reason: "permission", detail: "permission denied", cause };
  }
  if (cause instanceof Deno.errors.IsADirectory) {
    return { ok: false, reason: "directory", detail: "it is a directory", cause };
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return { ok: false, reason: "unreadable", detail: `it cannot be read: ${message}`, cause };
}
