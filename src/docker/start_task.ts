import type { DockerClient } from "./client.ts";
import { buildContainerConfig, capName } from "./_container_config.ts";
import { checkId, containerName, networkName, volumeName } from "./_names.ts";
import { parseImageReference } from "./_reference.ts";
import { checkImagePolicy } from "./check_image_policy.ts";
import { createContainer } from "./create_container.ts";
import { createNetwork } from "./create_network.ts";
import { createVolume } from "./create_volume.ts";
import {
  DockerApiError,
  type DockerSocketError,
  type DockerStreamError,
  type DockerTimeoutError,
  DockerValidationError,
  type ImageDigestMismatchError,
  type ImagePolicyError,
} from "./errors.ts";
import { type ImagePolicyInput, parseImagePolicy } from "./image_policy.ts";
import { inspectContainer, type PublishedPort } from "./inspect_container.ts";
import { inspectDistribution } from "./inspect_distribution.ts";
import { inspectImage } from "./inspect_image.ts";
import { LABEL_AGENT, LABEL_DEAL } from "./labels.ts";
import { pullImage, type PullProgress, type RegistryAuth } from "./pull_image.ts";
import { removeContainer } from "./remove_container.ts";
import { resolveImageDigest } from "./resolve_image_digest.ts";
import { startContainer } from "./start_container.ts";
import { parseTaskSpec, type TaskSpecInput } from "./task_spec.ts";

/** Parameters of {@linkcode startTask}. */
export type StartTaskParameters = {
  /** The task spec (validated here). */
  spec: TaskSpecInput;
  /** The rig's image policy (validated here). */
  policy: ImagePolicyInput;
  /** This agent's id, put on every object as `sonm.agent`. */
  agentId: string;
  dealId: string;
  taskId: string;
  /** Credentials for the image's registry. */
  registryAuth?: RegistryAuth | undefined;
  /** Host address that published ports bind to. @default {"127.0.0.1"} */
  publishHostIp?: string | undefined;
  /** Called with each pull progress line. */
  onProgress?: ((p: PullProgress) => void) | undefined;
  /**
   * Called with the container's id once it is created, before it starts: the
   * caller journals it, so a crash between create and start finds it again.
   */
  onCreated?: ((containerId: string) => void | Promise<void>) | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode startTask} returns: what the agent records about the task. */
export type StartTaskReturnType = {
  containerId: string;
  containerName: string;
  /** The deal's network, or undefined with `networkMode: none`. */
  network: string | undefined;
  /** The deal's scratch volume, when the spec asked for one. */
  volume: string | undefined;
  imageId: string;
  /** Registry digest the image reference resolved to. */
  digest: string;
  /** Host ports on which the spec's ports are published. */
  ports: PublishedPort[];
  /** Daemon warnings and limits that could not be applied (e.g. storage on vfs). */
  warnings: string[];
};

/** Errors of {@linkcode startTask}. */
export type StartTaskErrorType =
  | DockerValidationError
  | ImagePolicyError
  | ImageDigestMismatchError
  | DockerApiError
  | DockerStreamError
  | DockerSocketError
  | DockerTimeoutError;

/**
 * Runs a consumer's task under the deal's limits: validates the spec, resolves
 * the image reference to a registry digest and checks it against the rig's
 * policy before pulling, pulls exactly that digest (with credentials), creates the deal's bridge network and scratch volume, then
 * creates and starts a hardened container (all capabilities dropped except
 * those the policy allows, no-new-privileges, no privileged mode, no host
 * namespaces or host mounts, no swap) labelled `sonm.agent`, `sonm.deal`,
 * `sonm.task`. A container that fails to start is removed again.
 *
 * @example
 * ```ts ignore
 * const task = await startTask(docker, {
 *   spec: { image: "127.0.0.1:5000/sonm/app:1", limits: { cpus: 1, memoryBytes: 2 ** 28, pidsLimit: 64 } },
 *   policy: { allowPatterns: ["127.0.0.1:5000/sonm/*"] },
 *   agentId: "rig1", dealId: "42", taskId: "1",
 * });
 * ```
 */
export async function startTask(
  client: DockerClient,
  {
    spec: specInput,
    policy: policyInput,
    agentId,
    dealId,
    taskId,
    registryAuth,
    publishHostIp = "127.0.0.1",
    onProgress,
    onCreated,
    signal,
  }: StartTaskParameters,
): Promise<StartTaskReturnType> {
  const spec = parseTaskSpec(specInput);
  const policy = parseImagePolicy(policyInput);
  checkId("agentId", agentId);
  checkId("dealId", dealId);
  checkId("taskId", taskId);
  const allowedCaps = new Set(policy.allowedCapabilities.map(capName));
  spec.capabilities.forEach((c, i) => {
    if (!allowedCaps.has(capName(c))) {
      throw new DockerValidationError({
        what: "task spec",
        field: `capabilities[${i}]`,
        value: c,
        detail: "is not allowed by the rig's policy",
      });
    }
  });

  // Image: learn the digest (pinned, local under `pull: missing`, or the registry's
  // current one), check it against the policy BEFORE pulling, then pull exactly that digest.
  const ref = parseImageReference(spec.image, "image");
  const notFound = (e: unknown) => {
    if (e instanceof DockerApiError && e.isNotFound) return undefined;
    throw e;
  };
  let digest = ref.digest;
  if (!digest && policy.pull === "missing") {
    const local = await resolveImageDigest(client, { reference: spec.image, signal })
      .catch(notFound);
    // A local image without a registry digest is refused by the policy check below.
    if (local) checkImagePolicy(policy, { reference: spec.image, digest: local.digest });
    digest = local?.digest;
  }
  digest ??= (await inspectDistribution(client, {
    reference: spec.image,
    auth: registryAuth,
    signal,
  })).digest;
  checkImagePolicy(policy, { reference: spec.image, digest });
  const pinned = `${ref.name}@${digest}`;
  const have = await inspectImage(client, { image: pinned, signal }).catch(notFound);
  if (!have) {
    await pullImage(client, { reference: pinned, auth: registryAuth, onProgress, signal });
  }
  // Checks that the local image really has the digest (ImageDigestMismatchError otherwise).
  const resolved = await resolveImageDigest(client, { reference: pinned, signal });

  const labels = { [LABEL_AGENT]: agentId, [LABEL_DEAL]: dealId };
  let network: string | undefined;
  if (spec.limits.networkMode === "bridge") {
    network = networkName(agentId, dealId);
    await createNetwork(client, {
      name: network,
      labels,
      options: { "com.docker.network.bridge.enable_icc": "true" },
      signal,
    }).catch((e) => {
      if (!(e instanceof DockerApiError && e.isConflict)) throw e;
    });
  }
  let volume: string | undefined;
  if (spec.scratchPath) {
    volume = volumeName(agentId, dealId);
    await createVolume(client, { name: volume, labels, signal });
  }

  const name = containerName(agentId, dealId, taskId);
  const ctx = {
    agentId,
    dealId,
    taskId,
    imageId: resolved.imageId,
    reference: spec.image,
    digest,
    network,
    volume,
    publishHostIp,
    withStorageOpt: spec.limits.storageBytes !== undefined,
  };
  const warnings: string[] = [];
  let created;
  try {
    created = await createContainer(client, {
      name,
      config: buildContainerConfig(spec, ctx),
      signal,
    });
  } catch (e) {
    // Storage quotas need overlay2 on xfs with pquota (or btrfs/zfs); elsewhere run without.
    if (
      !(ctx.withStorageOpt && e instanceof DockerApiError &&
        /storage.?opt|quota/i.test(e.daemonMessage))
    ) {
      throw e;
    }
    warnings.push(`storage limit not applied: ${e.daemonMessage}`);
    created = await createContainer(client, {
      name,
      config: buildContainerConfig(spec, { ...ctx, withStorageOpt: false }),
      signal,
    });
  }
  warnings.push(...created.warnings);
  try {
    await onCreated?.(created.id);
    await startContainer(client, { id: created.id, signal });
    const info = await inspectContainer(client, { id: created.id, signal });
    return {
      containerId: created.id,
      containerName: name,
      network,
      volume,
      imageId: resolved.imageId,
      digest,
      ports: info.ports,
      warnings,
    };
  } catch (e) {
    await removeContainer(client, { id: created.id, force: true }).catch(() => {});
    throw e;
  }
}
