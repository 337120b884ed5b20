/**
 * A typed Docker Engine API client over the daemon's unix socket (Deno
 * `fetch`, no docker CLI), and the hardened task runtime that runs consumers'
 * workloads under their deals' limits.
 *
 * What the agent calls:
 * - `createDockerClient({ socketPath })` once; `ping`/`getInfo` to check the daemon.
 * - `parseTaskSpec` / `taskSpecSchema` and `parseImagePolicy` / `imagePolicySchema`
 *   for config and consumer input (camelCase fields, errors name field and value).
 * - `startTask` when a deal's task starts; `stopTask` when it ends;
 *   `findTasks` after a restart (by the `sonm.agent` / `sonm.deal` / `sonm.task` labels);
 *   `collectGarbage` with the open deals to remove closed deals' containers,
 *   networks and scratch volumes; `pruneImages` with a disk budget.
 * - `containerLogs`, `containerStats`, `streamEvents` to watch tasks (`oom`, `die`).
 *
 * @example
 * ```ts ignore
 * import { createDockerClient, findTasks, startTask, stopTask } from "./mod.ts";
 * const docker = createDockerClient({ socketPath: "/var/run/docker.sock" });
 * const task = await startTask(docker, {
 *   spec: {
 *     image: "127.0.0.1:5000/sonm/app:1",
 *     limits: { cpus: 1, memoryBytes: 256 * 2 ** 20, pidsLimit: 128 },
 *   },
 *   policy: { allowPatterns: ["127.0.0.1:5000/sonm/*"] },
 *   agentId: "rig1",
 *   dealId: "42",
 *   taskId: "1",
 * });
 * console.log(await findTasks(docker, { agentId: "rig1" }));
 * await stopTask(docker, { containerId: task.containerId });
 * docker.close();
 * ```
 *
 * @module
 */

export {
  createDockerClient,
  type DockerClient,
  type DockerClientOptions,
  type DockerQuery,
  type DockerRequest,
  MAX_API_VERSION,
  MIN_API_VERSION,
} from "./client.ts";
export {
  DockerApiError,
  DockerError,
  DockerSocketError,
  DockerStreamError,
  DockerTimeoutError,
  DockerValidationError,
  DockerVersionError,
  ImageDigestMismatchError,
  ImagePolicyError,
} from "./errors.ts";
export { ping, type PingErrorType, type PingParameters } from "./ping.ts";
export { getVersion, type GetVersionParameters, type GetVersionReturnType } from "./get_version.ts";
export { getInfo, type GetInfoParameters, type GetInfoReturnType } from "./get_info.ts";
// Images
export {
  encodeRegistryAuth,
  pullImage,
  type PullImageErrorType,
  type PullImageParameters,
  type PullImageReturnType,
  type PullProgress,
  type RegistryAuth,
} from "./pull_image.ts";
export {
  inspectImage,
  type InspectImageErrorType,
  type InspectImageParameters,
  type InspectImageReturnType,
} from "./inspect_image.ts";
export {
  inspectDistribution,
  type InspectDistributionParameters,
  type InspectDistributionReturnType,
} from "./inspect_distribution.ts";
export { type ImageSummary, listImages, type ListImagesParameters } from "./list_images.ts";
export {
  removeImage,
  type RemoveImageParameters,
  type RemoveImageReturnType,
} from "./remove_image.ts";
export {
  resolveImageDigest,
  type ResolveImageDigestParameters,
  type ResolveImageDigestReturnType,
} from "./resolve_image_digest.ts";
// Containers
export {
  type ContainerConfig,
  createContainer,
  type CreateContainerErrorType,
  type CreateContainerParameters,
  type CreateContainerReturnType,
} from "./create_container.ts";
export { startContainer, type StartContainerParameters } from "./start_container.ts";
export {
  waitContainer,
  type WaitContainerParameters,
  type WaitContainerReturnType,
} from "./wait_container.ts";
export {
  stopContainer,
  type StopContainerParameters,
  type StopContainerReturnType,
} from "./stop_container.ts";
export { killContainer, type KillContainerParameters } from "./kill_container.ts";
export { removeContainer, type RemoveContainerParameters } from "./remove_container.ts";
export {
  inspectContainer,
  type InspectContainerParameters,
  type InspectContainerReturnType,
  type PublishedPort,
} from "./inspect_container.ts";
export {
  type ContainerSummary,
  listContainers,
  type ListContainersParameters,
} from "./list_containers.ts";
export { containerLogs, type ContainerLogsParameters, type LogChunk } from "./container_logs.ts";
export {
  containerStats,
  type ContainerStatsParameters,
  type ContainerStatsSample,
} from "./container_stats.ts";
export {
  execContainer,
  type ExecContainerParameters,
  type ExecContainerReturnType,
} from "./exec_container.ts";
export {
  attachExec,
  type AttachExecParameters,
  type ExecAttachment,
  type TerminalSize,
} from "./attach_exec.ts";
// Networks, volumes, events
export {
  createNetwork,
  type CreateNetworkParameters,
  type CreateNetworkReturnType,
} from "./create_network.ts";
export { removeNetwork, type RemoveNetworkParameters } from "./remove_network.ts";
export { listNetworks, type ListNetworksParameters, type NetworkSummary } from "./list_networks.ts";
export {
  createVolume,
  type CreateVolumeParameters,
  type CreateVolumeReturnType,
} from "./create_volume.ts";
export { removeVolume, type RemoveVolumeParameters } from "./remove_volume.ts";
export { listVolumes, type ListVolumesParameters, type VolumeSummary } from "./list_volumes.ts";
export { type DockerEvent, streamEvents, type StreamEventsParameters } from "./stream_events.ts";
// Task runtime
export { LABEL_AGENT, LABEL_DEAL, LABEL_DIGEST, LABEL_IMAGE, LABEL_TASK } from "./labels.ts";
export { parseTaskSpec, type TaskSpec, type TaskSpecInput, taskSpecSchema } from "./task_spec.ts";
export {
  type ImagePolicy,
  type ImagePolicyInput,
  imagePolicySchema,
  parseImagePolicy,
} from "./image_policy.ts";
export {
  checkImagePolicy,
  type CheckImagePolicyParameters,
  type CheckImagePolicyReturnType,
  patternNamesRegistry,
  precheckImage,
  type PrecheckImageReturnType,
} from "./check_image_policy.ts";
export {
  checkRegistryHost,
  type CheckRegistryHostParameters,
  type LookupHost,
} from "./check_registry_host.ts";
export { IMAGE_DIGEST, imageRuleProblem } from "./image_rule.ts";
export {
  startTask,
  type StartTaskErrorType,
  type StartTaskParameters,
  type StartTaskReturnType,
} from "./start_task.ts";
export { stopTask, type StopTaskParameters, type StopTaskReturnType } from "./stop_task.ts";
export { findTasks, type FindTasksParameters, type FoundTask } from "./find_tasks.ts";
export {
  collectGarbage,
  type CollectGarbageParameters,
  type CollectGarbageReturnType,
} from "./collect_garbage.ts";
export {
  pruneImages,
  type PruneImagesParameters,
  type PruneImagesReturnType,
} from "./prune_images.ts";
