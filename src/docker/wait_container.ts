import type { DockerClient } from "./client.ts";

/** Parameters of {@linkcode waitContainer}. */
export type WaitContainerParameters = {
  id: string;
  /** @default {"not-running"} */
  condition?: "not-running" | "next-exit" | "removed" | undefined;
  /** Time limit in milliseconds; none by default (cancel with `signal`). */
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode waitContainer} returns. */
export type WaitContainerReturnType = { exitCode: number; error: string | undefined };

/**
 * Waits until a container stops (`POST /containers/{id}/wait`) and returns its exit code.
 *
 * @example
 * ```ts ignore
 * const { exitCode } = await waitContainer(docker, { id });
 * ```
 */
export async function waitContainer(
  client: DockerClient,
  { id, condition = "not-running", timeoutMs, signal }: WaitContainerParameters,
): Promise<WaitContainerReturnType> {
  const r = await client.request<{ StatusCode: number; Error?: { Message?: string } | null }>({
    method: "POST",
    path: `/containers/${encodeURIComponent(id)}/wait`,
    query: { condition },
    timeoutMs: timeoutMs ?? null,
    signal,
  });
  return { exitCode: r.StatusCode, error: r.Error?.Message || undefined };
}
