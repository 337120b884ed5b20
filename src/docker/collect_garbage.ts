import type { DockerClient } from "./client.ts";
import { DockerApiError } from "./errors.ts";
import { LABEL_AGENT, LABEL_DEAL } from "./labels.ts";
import { listContainers } from "./list_containers.ts";
import { listNetworks } from "./list_networks.ts";
import { listVolumes } from "./list_volumes.ts";
import { removeContainer } from "./remove_container.ts";
import { removeNetwork } from "./remove_network.ts";
import { removeVolume } from "./remove_volume.ts";

/** Parameters of {@linkcode collectGarbage}. */
export type CollectGarbageParameters = {
  agentId: string;
  /** Deals that are still open: their objects stay. Everything else of this agent goes. */
  openDeals: readonly string[];
  signal?: AbortSignal | undefined;
};

/** What {@linkcode collectGarbage} removed. */
export type CollectGarbageReturnType = {
  containers: string[];
  networks: string[];
  volumes: string[];
};

/**
 * Removes the containers (killed if running), networks and scratch volumes
 * of this agent's closed deals. Objects of other agents, and objects without
 * our labels, are never touched. Safe to run again after a partial failure.
 *
 * @example
 * ```ts ignore
 * const removed = await collectGarbage(docker, { agentId: "rig1", openDeals: ["42"] });
 * ```
 */
export async function collectGarbage(
  client: DockerClient,
  { agentId, openDeals, signal }: CollectGarbageParameters,
): Promise<CollectGarbageReturnType> {
  const open = new Set(openDeals);
  const labels = { [LABEL_AGENT]: agentId, [LABEL_DEAL]: true } as const;
  const closed = (l: Record<string, string>) => !open.has(l[LABEL_DEAL] ?? "");
  const gone = (e: unknown) => {
    if (!(e instanceof DockerApiError && e.isNotFound)) throw e;
  };
  const out: CollectGarbageReturnType = { containers: [], networks: [], volumes: [] };
  for (const c of await listContainers(client, { labels, all: true, signal })) {
    if (!closed(c.labels)) continue;
    await removeContainer(client, { id: c.id, force: true, volumes: true, signal }).catch(gone);
    out.containers.push(c.names[0] ?? c.id);
  }
  for (const n of await listNetworks(client, { labels, signal })) {
    if (!closed(n.labels)) continue;
    await removeNetwork(client, { id: n.id, signal }).catch(gone);
    out.networks.push(n.name);
  }
  for (const v of await listVolumes(client, { labels, signal })) {
    if (!closed(v.labels)) continue;
    await removeVolume(client, { name: v.name, force: true, signal }).catch(gone);
    out.volumes.push(v.name);
  }
  return out;
}
