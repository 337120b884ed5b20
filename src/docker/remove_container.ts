import type { DockerClient } from "./client.ts";

/** Parameters of {@linkcode removeContainer}. */
export type RemoveContainerParameters = {
  id: string;
  /** Kill it first if it runs. @default {false} */
  force?: boolean | undefined;
  /** Also remove its anonymous volumes. @default {true} */
  volumes?: boolean | undefined;
  signal?: AbortSignal | undefined;
};

/**
 * Removes a container (`DELETE /containers/{id}`).
 *
 * @example
 * ```ts ignore
 * await removeContainer(docker, { id, force: true });
 * ```
 */
export async function removeContainer(
  client: DockerClient,
  { id, force = false, volumes = true, signal }: RemoveContainerParameters,
): Promise<void> {
  await client.request({
    method: "DELETE",
    path: `/containers/${encodeURIComponent(id)}`,
    query: { force, v: volumes },
    signal,
  });
}
