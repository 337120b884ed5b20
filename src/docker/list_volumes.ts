import type { DockerClient } from "./client.ts";

/** Parameters of {@linkcode listVolumes}. */
export type ListVolumesParameters = {
  /** Only volumes with these labels: a value, or `true` for any value. */
  labels?: Record<string, string | true> | undefined;
  signal?: AbortSignal | undefined;
};

/** One volume of {@linkcode listVolumes}. */
export type VolumeSummary = { name: string; driver: string; labels: Record<string, string> };

/**
 * Lists volumes (`GET /volumes`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createDockerClient, listVolumes } from "./mod.ts";
 * const docker = createDockerClient({ socketPath: "/var/run/docker.sock" });
 * const vols = await listVolumes(docker, { labels: { "sonm.agent": "rig1" } });
 * assert.ok(Array.isArray(vols));
 * docker.close();
 * ```
 */
export async function listVolumes(
  client: DockerClient,
  { labels, signal }: ListVolumesParameters = {},
): Promise<VolumeSummary[]> {
  const label = Object.entries(labels ?? {}).map(([k, v]) => v === true ? k : `${k}=${v}`);
  // deno-lint-ignore no-explicit-any
  const r = await client.request<{ Volumes: Record<string, any>[] | null }>({
    method: "GET",
    path: "/volumes",
    query: { filters: label.length ? JSON.stringify({ label }) : undefined },
    signal,
  });
  return (r.Volumes ?? []).map((v) => ({
    name: String(v.Name),
    driver: String(v.Driver ?? ""),
    labels: v.Labels ?? {},
  }));
}
