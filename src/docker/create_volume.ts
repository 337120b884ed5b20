import type { DockerClient } from "./client.ts";

/** Parameters of {@linkcode createVolume}. */
export type CreateVolumeParameters = {
  name: string;
  labels?: Record<string, string> | undefined;
  /** Options of the `local` driver (`type`, `o`, `device`). */
  driverOptions?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode createVolume} returns. */
export type CreateVolumeReturnType = { name: string; mountpoint: string };

/**
 * Creates a named volume (`POST /volumes/create`); an existing name is returned as is.
 *
 * @example
 * ```ts ignore
 * await createVolume(docker, { name: "sonm-rig1-deal-7-scratch" });
 * ```
 */
export async function createVolume(
  client: DockerClient,
  { name, labels, driverOptions, signal }: CreateVolumeParameters,
): Promise<CreateVolumeReturnType> {
  const r = await client.request<{ Name: string; Mountpoint: string }>({
    method: "POST",
    path: "/volumes/create",
    body: { Name: name, Driver: "local", Labels: labels ?? {}, DriverOpts: driverOptions ?? {} },
    signal,
  });
  return { name: r.Name, mountpoint: r.Mountpoint };
}
