import type { DockerClient } from "./client.ts";
import { rawUpgrade } from "./_raw_http.ts";
import { demultiplex, type StreamFrame } from "./_streams.ts";
import { DockerApiError, DockerSocketError } from "./errors.ts";
import { processTree } from "./_process_tree.ts";

/** Parameters of {@linkcode attachExec}. */
export type AttachExecParameters = {
  /** The container (id or name); it must be running. */
  id: string;
  cmd: string[];
  /** A pseudo-terminal (one output stream, resizable) instead of separate stdout and stderr. */
  tty: boolean;
  env?: string[] | undefined;
  workingDir?: string | undefined;
  signal?: AbortSignal | undefined;
};

/** A terminal's size in character cells. */
export type TerminalSize = { cols: number; rows: number };

/** A running exec whose stdin, stdout and stderr are attached. */
export type ExecAttachment = {
  readonly execId: string;
  readonly tty: boolean;
  /** The process's output until it ends (with a TTY: all of it as `stdout`). */
  output: AsyncIterable<StreamFrame & { stream: "stdout" | "stderr" }>;
  /** Writes to the process's stdin (waits while the daemon does not take more). */
  write(bytes: Uint8Array): Promise<void>;
  /** Closes the process's stdin (EOF); its output goes on. */
  closeStdin(): Promise<void>;
  /** Sets the pseudo-terminal's size (`POST /exec/{id}/resize`); only with a TTY. */
  resize(size: TerminalSize): Promise<void>;
  /** The exit code, once the output ended (`GET /exec/{id}/json`). */
  exitCode(signal?: AbortSignal): Promise<number>;
  /**
   * Ends the exec: closes the attachment and, when its process still runs
   * (the consumer's connection broke), kills it and its descendants. Docker
   * itself never kills an exec whose client went away.
   */
  close(): Promise<void>;
};

type ExecInspect = { Running: boolean; ExitCode: number | null; Pid: number };

/**
 * Creates an exec in a running container and attaches to it over a hijacked
 * connection (`POST /containers/{id}/exec`, then `POST /exec/{id}/start` with
 * `Upgrade: tcp`): stdin, stdout and stderr as streams, the multiplexed frames
 * decoded when there is no TTY. The process runs as the container's user with
 * the container's limits: no `User`, no `Privileged`, nothing added.
 *
 * @example
 * ```ts ignore
 * const exec = await attachExec(docker, { id, cmd: ["cat"], tty: false });
 * await exec.write(new TextEncoder().encode("hi"));
 * await exec.closeStdin();
 * for await (const frame of exec.output) console.log(frame.stream, frame.data);
 * console.log(await exec.exitCode());
 * ```
 */
export async function attachExec(
  client: DockerClient,
  { id, cmd, tty, env, workingDir, signal }: AttachExecParameters,
): Promise<ExecAttachment> {
  const created = await client.request<{ Id: string }>({
    method: "POST",
    path: `/containers/${encodeURIComponent(id)}/exec`,
    body: {
      Cmd: cmd,
      Env: env,
      WorkingDir: workingDir,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: tty,
      Privileged: false,
    },
    signal,
  });
  const execId = created.Id;
  const version = await client.apiVersion({ signal });
  const path = `/exec/${execId}/start`;
  let upgraded;
  try {
    upgraded = await rawUpgrade(client.socketPath, {
      method: "POST",
      target: `/v${version}${path}`,
      headers: { "Content-Type": "application/json" },
      body: new TextEncoder().encode(JSON.stringify({ Detach: false, Tty: tty })),
      signal: signal ?? new AbortController().signal,
    });
  } catch (cause) {
    throw new DockerSocketError({ socketPath: client.socketPath, method: "POST", path, cause });
  }
  if (upgraded.status >= 400) {
    throw new DockerApiError({
      method: "POST",
      path,
      status: upgraded.status,
      daemonMessage: new TextDecoder().decode(upgraded.initial).trim() || "exec start failed",
    });
  }
  const { conn, initial } = upgraded;
  let closed = false;
  const closeConn = () => {
    if (closed) return;
    closed = true;
    try {
      conn.close();
    } catch { /* closed */ }
  };
  const raw = rawOutput(conn, initial, closeConn);
  const output: AsyncIterable<StreamFrame & { stream: "stdout" | "stderr" }> = tty
    ? (async function* () {
      for await (const data of raw) yield { stream: "stdout" as const, data };
    })()
    : (async function* () {
      for await (const frame of demultiplex(raw)) {
        if (frame.stream !== "stdin") yield frame as StreamFrame & { stream: "stdout" | "stderr" };
      }
    })();
  const inspect = (s?: AbortSignal) =>
    client.request<ExecInspect>({ method: "GET", path: `/exec/${execId}/json`, signal: s });
  let stdinClosed = false;
  return {
    execId,
    tty,
    output,
    async write(bytes) {
      if (stdinClosed || closed) return;
      for (let at = 0; at < bytes.byteLength;) at += await conn.write(bytes.subarray(at));
    },
    async closeStdin() {
      if (stdinClosed || closed) return;
      stdinClosed = true;
      await conn.closeWrite().catch(() => {});
    },
    async resize({ cols, rows }) {
      await client.request({
        method: "POST",
        path: `/exec/${execId}/resize`,
        query: { h: rows, w: cols },
      });
    },
    async exitCode(s) {
      // the daemon closes the stream as the process ends; its state follows a moment later
      for (let attempt = 0;; attempt++) {
        const info = await inspect(s);
        if (!info.Running || attempt >= 100) return info.ExitCode ?? -1;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      closeConn();
      let info: ExecInspect;
      try {
        info = await inspect();
      } catch {
        return; // the daemon is gone: so is the container's process
      }
      if (info.Running && info.Pid > 0) {
        for (const pid of await processTree(info.Pid)) {
          try {
            Deno.kill(pid, "SIGKILL");
          } catch { /* exited meanwhile, or not ours to kill */ }
        }
      }
    },
  };
}

/** The hijacked connection's bytes (those read with the head first) until EOF. */
function rawOutput(
  conn: Deno.Conn,
  initial: Uint8Array,
  done: () => void,
): ReadableStream<Uint8Array> {
  let pending: Uint8Array | undefined = initial.byteLength > 0 ? initial : undefined;
  const buf = new Uint8Array(64 * 1024);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pending !== undefined) {
        controller.enqueue(pending);
        pending = undefined;
        return;
      }
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch {
        n = null; // closed here (close()) or reset: the output ends
      }
      if (n === null) {
        controller.close();
        return;
      }
      controller.enqueue(buf.slice(0, n));
    },
    cancel() {
      done();
    },
  });
}
