import type { DockerClient } from "./client.ts";

/** Parameters of {@linkcode listImages}. */
export type ListImagesParameters = {
  /** Only images with these labels (`key` or `key=value`). */
  labels?: string[] | undefined;
  signal?: AbortSignal | undefined;
};

/** One image of {@linkcode listImages}. */
export type ImageSummary = {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  sizeBytes: number;
  /** Creation time, seconds since the epoch. */
  created: number;
  labels: Record<string, string>;
};

/**
 * Lists local images (`GET /images/json`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createDockerClient, listImages } from "./mod.ts";
 * const docker = createDockerClient({ socketPath: "/var/run/docker.sock" });
 * const images = await listImages(docker);
 * assert.ok(Array.isArray(images));
 * docker.close();
 * ```
 */
export async function listImages(
  client: DockerClient,
  { labels, signal }: ListImagesParameters = {},
): Promise<ImageSummary[]> {
  // deno-lint-ignore no-explicit-any
  const list = await client.request<Record<string, any>[]>({
    method: "GET",
    path: "/images/json",
    query: { filters: labels?.length ? JSON.stringify({ label: labels }) : undefined },
    signal,
  });
  return list.map((i) => ({
    id: String(i.Id),
    repoTags: (i.RepoTags ?? []).filter((t: string) => t !== "<none>:<none>"),
    repoDigests: (i.RepoDigests ?? []).filter((d: string) => !d.startsWith("<none>")),
    sizeBytes: Number(i.Size ?? 0),
    created: Number(i.Created ?? 0),
    labels: i.Labels ?? {},
  }));
}
