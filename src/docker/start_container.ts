import type { DockerClient } from "./client.ts";

/** Parameters of {@linkcode startContainer}. */
export type StartContainerParameters = { id: string; signal?: AbortSignal | undefined };

/**
 * Starts a container (`POST /containers/{id}/start`); starting a running one is no error.
 *
 * @example
 * ```ts ignore
 * await startContainer(docker, { id });
 * ```
 */
export async function startContainer(
  client: DockerClient,
  { id, signal }: StartContainerParameters,
): Promise<void> {
  await client.request({
    method: "POST",
    path: `/containers/${encodeURIComponent(id)}/start`,
    signal,
  });
}
