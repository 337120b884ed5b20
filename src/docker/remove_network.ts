import type { DockerClient } from "./client.ts";

/** Parameters of {@linkcode removeNetwork}. */
export type RemoveNetworkParameters = { id: string; signal?: AbortSignal | undefined };

/**
 * Removes a network (`DELETE /networks/{id}`); 403/409 while containers use it, 404 when gone.
 *
 * @example
 * ```ts ignore
 * await removeNetwork(docker, { id: "sonm-rig1-deal-7" });
 * ```
 */
export async function removeNetwork(
  client: DockerClient,
  { id, signal }: RemoveNetworkParameters,
): Promise<void> {
  await client.request({ method: "DELETE", path: `/networks/${encodeURIComponent(id)}`, signal });
}
