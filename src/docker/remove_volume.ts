import type { DockerClient } from "./client.ts";

/** Parameters of {@linkcode removeVolume}. */
export type RemoveVolumeParameters = {
  name: string;
  force?: boolean | undefined;
  signal?: AbortSignal | undefined;
};

/**
 * Removes a volume (`DELETE /volumes/{name}`); 409 while a container uses it.
 *
 * @example
 * ```ts ignore
 * await removeVolume(docker, { name: "sonm-rig1-deal-7-scratch" });
 * ```
 */
export async function removeVolume(
  client: DockerClient,
  { name, force, signal }: RemoveVolumeParameters,
): Promise<void> {
  await client.request({
    method: "DELETE",
    path: `/volumes/${encodeURIComponent(name)}`,
    query: { force },
    signal,
  });
}
