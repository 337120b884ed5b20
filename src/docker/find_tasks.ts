import type { DockerClient } from "./client.ts";
import { LABEL_AGENT, LABEL_DEAL, LABEL_DIGEST, LABEL_IMAGE, LABEL_TASK } from "./labels.ts";
import { listContainers } from "./list_containers.ts";

/** Parameters of {@linkcode findTasks}. */
export type FindTasksParameters = {
  agentId: string;
  /** Only this deal's tasks. */
  dealId?: string | undefined;
  signal?: AbortSignal | undefined;
};

/** A task container found by its labels. */
export type FoundTask = {
  containerId: string;
  containerName: string;
  dealId: string;
  taskId: string;
  image: string;
  digest: string;
  /** `created`, `running`, `exited`, ... */
  state: string;
  running: boolean;
};

/**
 * Finds this agent's task containers by label (running or not), e.g. after
 * the agent or dockerd restarted.
 *
 * @example
 * ```ts ignore
 * const tasks = await findTasks(docker, { agentId: "rig1" });
 * ```
 */
export async function findTasks(
  client: DockerClient,
  { agentId, dealId, signal }: FindTasksParameters,
): Promise<FoundTask[]> {
  const labels: Record<string, string | true> = { [LABEL_AGENT]: agentId, [LABEL_TASK]: true };
  if (dealId !== undefined) labels[LABEL_DEAL] = dealId;
  const list = await listContainers(client, { labels, all: true, signal });
  return list.map((c) => ({
    containerId: c.id,
    containerName: c.names[0] ?? "",
    dealId: c.labels[LABEL_DEAL] ?? "",
    taskId: c.labels[LABEL_TASK] ?? "",
    image: c.labels[LABEL_IMAGE] ?? c.image,
    digest: c.labels[LABEL_DIGEST] ?? "",
    state: c.state,
    running: c.state === "running",
  }));
}
