import type { DockerClient } from "./client.ts";

/** Parameters of {@linkcode createNetwork}. */
export type CreateNetworkParameters = {
  name: string;
  labels?: Record<string, string> | undefined;
  /** No route out of the network. @default {false} */
  internal?: boolean | undefined;
  /** Bridge driver options (`com.docker.network.bridge.enable_icc`, ...). */
  options?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode createNetwork} returns. */
export type CreateNetworkReturnType = { id: string; warning: string };

/**
 * Creates a bridge network (`POST /networks/create`); 409 when the name is taken.
 *
 * @example
 * ```ts ignore
 * const { id } = await createNetwork(docker, { name: "sonm-rig1-deal-7" });
 * ```
 */
export async function createNetwork(
  client: DockerClient,
  { name, labels, internal = false, options, signal }: CreateNetworkParameters,
): Promise<CreateNetworkReturnType> {
  const r = await client.request<{ Id: string; Warning?: string }>({
    method: "POST",
    path: "/networks/create",
    body: {
      Name: name,
      Driver: "bridge",
      CheckDuplicate: true,
      Internal: internal,
      Attachable: false,
      Labels: labels ?? {},
      Options: options ?? {},
    },
    signal,
  });
  return { id: r.Id, warning: r.Warning ?? "" };
}
