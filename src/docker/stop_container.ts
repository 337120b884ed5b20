import type { DockerClient } from "./client.ts";

/** Parameters of {@linkcode stopContainer}. */
export type StopContainerParameters = {
  id: string;
  /** Seconds between SIGTERM and SIGKILL. @default {10} */
  timeoutSeconds?: number | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode stopContainer} returns. */
export type StopContainerReturnType = { alreadyStopped: boolean };

/**
 * Stops a container (`POST /containers/{id}/stop`): SIGTERM, then SIGKILL after the grace time.
 *
 * @example
 * ```ts ignore
 * await stopContainer(docker, { id, timeoutSeconds: 5 });
 * ```
 */
export async function stopContainer(
  client: DockerClient,
  { id, timeoutSeconds = 10, signal }: StopContainerParameters,
): Promise<StopContainerReturnType> {
  const res = await client.stream({
    method: "POST",
    path: `/containers/${encodeURIComponent(id)}/stop`,
    query: { t: timeoutSeconds },
    timeoutMs: (timeoutSeconds + 30) * 1000,
    signal,
  });
  await res.body?.cancel();
  return { alreadyStopped: res.status === 304 };
}
