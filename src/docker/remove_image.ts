import type { DockerClient } from "./client.ts";

/** Parameters of {@linkcode removeImage}. */
export type RemoveImageParameters = {
  /** Image id, name or reference. */
  image: string;
  /** Remove even when tagged in several repositories or used by stopped containers. */
  force?: boolean | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode removeImage} returns. */
export type RemoveImageReturnType = { untagged: string[]; deleted: string[] };

/**
 * Removes a local image (`DELETE /images/{name}`); 409 when a container uses it.
 *
 * @example
 * ```ts ignore
 * await removeImage(docker, { image: "sha256:..." });
 * ```
 */
export async function removeImage(
  client: DockerClient,
  { image, force, signal }: RemoveImageParameters,
): Promise<RemoveImageReturnType> {
  const list = await client.request<{ Untagged?: string; Deleted?: string }[]>({
    method: "DELETE",
    path: `/images/${encodeURIComponent(image)}`,
    query: { force },
    signal,
  });
  return {
    untagged: (list ?? []).flatMap((x) => x.Untagged ? [x.Untagged] : []),
    deleted: (list ?? []).flatMap((x) => x.Deleted ? [x.Deleted] : []),
  };
}
