import type { DockerClient } from "./client.ts";
import { demultiplex } from "./_streams.ts";

/** Parameters of {@linkcode execContainer}. */
export type ExecContainerParameters = {
  id: string;
  cmd: string[];
  env?: string[] | undefined;
  user?: string | undefined;
  workingDir?: string | undefined;
  /** Time limit for the whole command, milliseconds; none by default. */
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode execContainer} returns. */
export type ExecContainerReturnType = { exitCode: number; stdout: string; stderr: string };

/**
 * Runs a command in a running container (`POST /containers/{id}/exec`, then
 * `/exec/{id}/start`), collects its output and exit code.
 *
 * @example
 * ```ts ignore
 * const { exitCode, stdout } = await execContainer(docker, { id, cmd: ["id", "-u"] });
 * ```
 */
export async function execContainer(
  client: DockerClient,
  { id, cmd, env, user, workingDir, timeoutMs, signal }: ExecContainerParameters,
): Promise<ExecContainerReturnType> {
  const created = await client.request<{ Id: string }>({
    method: "POST",
    path: `/containers/${encodeURIComponent(id)}/exec`,
    body: {
      Cmd: cmd,
      Env: env,
      User: user,
      WorkingDir: workingDir,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    },
    signal,
  });
  const res = await client.stream({
    method: "POST",
    path: `/exec/${created.Id}/start`,
    body: { Detach: false, Tty: false },
    timeoutMs: timeoutMs ?? null,
    signal,
  });
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  for await (const f of demultiplex(res.body, signal)) {
    (f.stream === "stderr" ? err : out).push(f.data);
  }
  const info = await client.request<{ ExitCode: number | null; Running: boolean }>({
    method: "GET",
    path: `/exec/${created.Id}/json`,
    signal,
  });
  return { exitCode: info.ExitCode ?? -1, stdout: decode(out), stderr: decode(err) };
}

function decode(chunks: Uint8Array[]): string {
  const d = new TextDecoder();
  return chunks.map((c) => d.decode(c, { stream: true })).join("") + d.decode();
}
