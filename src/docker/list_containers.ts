import type { DockerClient } from "./client.ts";

/** Parameters of {@linkcode listContainers}. */
export type ListContainersParameters = {
  /** Only containers with these labels: a value, or `true` for any value. */
  labels?: Record<string, string | true> | undefined;
  /** Include stopped containers. @default {true} */
  all?: boolean | undefined;
  signal?: AbortSignal | undefined;
};

/** One container of {@linkcode listContainers}. */
export type ContainerSummary = {
  id: string;
  names: string[];
  image: string;
  imageId: string;
  labels: Record<string, string>;
  /** `created`, `running`, `exited`, ... */
  state: string;
  /** Human text, e.g. `Up 3 seconds`. */
  status: string;
  /** Creation time, seconds since the epoch. */
  created: number;
};

/**
 * Lists containers, filtered by labels (`GET /containers/json`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createDockerClient, listContainers } from "./mod.ts";
 * const docker = createDockerClient({ socketPath: "/var/run/docker.sock" });
 * const mine = await listContainers(docker, { labels: { "sonm.agent": "rig1" } });
 * assert.ok(Array.isArray(mine));
 * docker.close();
 * ```
 */
export async function listContainers(
  client: DockerClient,
  { labels, all = true, signal }: ListContainersParameters = {},
): Promise<ContainerSummary[]> {
  const label = Object.entries(labels ?? {}).map(([k, v]) => v === true ? k : `${k}=${v}`);
  // deno-lint-ignore no-explicit-any
  const list = await client.request<Record<string, any>[]>({
    method: "GET",
    path: "/containers/json",
    query: { all, filters: label.length ? JSON.stringify({ label }) : undefined },
    signal,
  });
  return list.map((c) => ({
    id: String(c.Id),
    names: (c.Names ?? []).map((n: string) => n.replace(/^\//, "")),
    image: String(c.Image ?? ""),
    imageId: String(c.ImageID ?? ""),
    labels: c.Labels ?? {},
    state: String(c.State ?? ""),
    status: String(c.Status ?? ""),
    created: Number(c.Created ?? 0),
  }));
}
