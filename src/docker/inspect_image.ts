import type { DockerClient } from "./client.ts";
import type { DockerApiError, DockerSocketError, DockerTimeoutError } from "./errors.ts";

/** Parameters of {@linkcode inspectImage}. */
export type InspectImageParameters = {
  /** Image id, name or reference. */
  image: string;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode inspectImage} returns. */
export type InspectImageReturnType = {
  /** `sha256:...` image id (config digest). */
  id: string;
  repoTags: string[];
  /** `name@sha256:...` for each registry the image came from. */
  repoDigests: string[];
  sizeBytes: number;
  created: string;
  labels: Record<string, string>;
};

/** Errors of {@linkcode inspectImage} (404 when there is no such image). */
export type InspectImageErrorType = DockerApiError | DockerSocketError | DockerTimeoutError;

/**
 * Inspects a local image (`GET /images/{name}/json`).
 *
 * @example
 * ```ts ignore
 * const { id, repoDigests } = await inspectImage(docker, { image: "busybox:1" });
 * ```
 */
export async function inspectImage(
  client: DockerClient,
  { image, signal }: InspectImageParameters,
): Promise<InspectImageReturnType> {
  // deno-lint-ignore no-explicit-any
  const i = await client.request<Record<string, any>>({
    method: "GET",
    path: `/images/${encodeURIComponent(image)}/json`,
    signal,
  });
  return {
    id: String(i.Id),
    repoTags: i.RepoTags ?? [],
    repoDigests: i.RepoDigests ?? [],
    sizeBytes: Number(i.Size ?? 0),
    created: String(i.Created ?? ""),
    labels: i.Config?.Labels ?? {},
  };
}
