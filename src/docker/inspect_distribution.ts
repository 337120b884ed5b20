import type { DockerClient } from "./client.ts";
import { parseImageReference } from "./_reference.ts";
import { encodeRegistryAuth, type RegistryAuth } from "./pull_image.ts";

/** Parameters of {@linkcode inspectDistribution}. */
export type InspectDistributionParameters = {
  /** `[registry/]name[:tag]`. */
  reference: string;
  auth?: RegistryAuth | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode inspectDistribution} returns. */
export type InspectDistributionReturnType = {
  /** The manifest digest the registry serves for the reference now (`sha256:...`). */
  digest: string;
  mediaType: string;
  sizeBytes: number;
};

/**
 * Asks the registry, through the daemon, which manifest digest a reference
 * points to now, without pulling it (`GET /distribution/{name}/json`). The
 * task runtime checks this digest against the policy and then pulls exactly
 * that digest, so a tag that moves between the check and the pull cannot
 * slip in another image.
 *
 * @example
 * ```ts ignore
 * const { digest } = await inspectDistribution(docker, { reference: "127.0.0.1:5000/app:1" });
 * ```
 */
export async function inspectDistribution(
  client: DockerClient,
  { reference, auth, signal }: InspectDistributionParameters,
): Promise<InspectDistributionReturnType> {
  const ref = parseImageReference(reference, "reference");
  const headers: Record<string, string> = {};
  if (auth) headers["X-Registry-Auth"] = encodeRegistryAuth(auth, ref.registry);
  const name = ref.digest ? `${ref.name}@${ref.digest}` : `${ref.name}:${ref.tag ?? "latest"}`;
  const r = await client.request<
    { Descriptor: { digest: string; mediaType: string; size: number } }
  >({
    method: "GET",
    // The name keeps its slashes: the daemon routes /distribution/{name:.*}/json.
    path: `/distribution/${name}/json`,
    headers,
    signal,
  });
  return {
    digest: r.Descriptor.digest,
    mediaType: r.Descriptor.mediaType,
    sizeBytes: r.Descriptor.size,
  };
}
