import type { DockerClient } from "./client.ts";

/** Parameters of {@linkcode listNetworks}. */
export type ListNetworksParameters = {
  /** Only networks with these labels: a value, or `true` for any value. */
  labels?: Record<string, string | true> | undefined;
  signal?: AbortSignal | undefined;
};

/** One network of {@linkcode listNetworks}. */
export type NetworkSummary = {
  id: string;
  name: string;
  driver: string;
  labels: Record<string, string>;
};

/**
 * Lists networks (`GET /networks`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createDockerClient, listNetworks } from "./mod.ts";
 * const docker = createDockerClient({ socketPath: "/var/run/docker.sock" });
 * const nets = await listNetworks(docker, { labels: { "sonm.agent": "rig1" } });
 * assert.ok(Array.isArray(nets));
 * docker.close();
 * ```
 */
export async function listNetworks(
  client: DockerClient,
  { labels, signal }: ListNetworksParameters = {},
): Promise<NetworkSummary[]> {
  const label = Object.entries(labels ?? {}).map(([k, v]) => v === true ? k : `${k}=${v}`);
  // deno-lint-ignore no-explicit-any
  const list = await client.request<Record<string, any>[]>({
    method: "GET",
    path: "/networks",
    query: { filters: label.length ? JSON.stringify({ label }) : undefined },
    signal,
  });
  return list.map((n) => ({
    id: String(n.Id),
    name: String(n.Name),
    driver: String(n.Driver ?? ""),
    labels: n.Labels ?? {},
  }));
}
