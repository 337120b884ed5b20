import type { DockerClient } from "./client.ts";
import { buildContainerConfig, capName } from "./_container_config.ts";
import { checkId, containerName, networkName, volumeName } from "./_names.ts";
import { checkImagePolicy, precheckImage } from "./check_image_policy.ts";
import { checkRegistryHost, type LookupHost } from "./check_registry_host.ts";
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
  ImagePolicyError,
} from "./errors.ts";
import { type ImagePolicy, type ImagePolicyInput, parseImagePolicy } from "./image_policy.ts";
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
  /** Resolves a registry's host name (to refuse one on the rig's network). @default {the system's} */
  lookupHost?: LookupHost | undefined;
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
  /** Registry digest the image reference resolved to, or the image id of a local image. */
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
 * Runs a consumer's task under the deal's limits: validates the spec, checks
 * the image against the rig's policy before any call (a local image allowed
 * by its id runs without a registry; a registry on the rig's network needs
 * the allowlist to name it), resolves a registry image to its digest and
 * checks that before pulling, pulls exactly that digest (with credentials),
 * creates the deal's bridge network and scratch volume, then
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
    lookupHost,
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

  const image = await resolveTaskImage(client, {
    policy,
    reference: spec.image,
    registryAuth,
    lookupHost,
    onProgress,
    signal,
  });
  const { imageId, digest } = image;

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
    imageId,
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
      imageId,
      digest,
      ports: info.ports,
      warnings,
    };
  } catch (e) {
    await removeContainer(client, { id: created.id, force: true }).catch(() => {});
    throw e;
  }
}

/** What {@linkcode resolveTaskImage} works with. */
type ResolveTaskImageOptions = {
  policy: ImagePolicy;
  reference: string;
  registryAuth: RegistryAuth | undefined;
  lookupHost: LookupHost | undefined;
  onProgress: ((p: PullProgress) => void) | undefined;
  signal: AbortSignal | undefined;
};

/**
 * The task's image, checked against the policy before any registry is asked:
 * a name nothing in the allowlist could allow is refused before any call; a
 * local image whose id is allowed runs as it is (no registry: `docker build`
 * or `docker load` on the rig); otherwise the registry must not be on the
 * rig's network (unless the allowlist names it), its digest is learned
 * (pinned, local under `pull: missing`, or the registry's current one),
 * checked, and exactly that digest pulled.
 */
async function resolveTaskImage(
  client: DockerClient,
  options: ResolveTaskImageOptions,
): Promise<{ imageId: string; digest: string }> {
  const { policy, reference, registryAuth, lookupHost, onProgress, signal } = options;
  const source = precheckImage(policy, reference);
  const notFound = (e: unknown) => {
    if (e instanceof DockerApiError && e.isNotFound) return undefined;
    throw e;
  };
  if (source.kind === "image-id") {
    const local = await inspectImage(client, { image: source.imageId, signal }).catch(notFound);
    if (local === undefined) {
      throw new ImagePolicyError({ reference, detail: "no image with this id is on the rig" });
    }
    return { imageId: local.id, digest: local.id };
  }
  let digest = source.digest;
  if (!digest && policy.pull === "missing") {
    const local = await resolveImageDigest(client, { reference, signal }).catch(notFound);
    if (local) {
      // allowed by its id: a local build runs without any registry
      const verdict = checkImagePolicy(policy, {
        reference,
        digest: local.digest,
        imageId: local.imageId,
      });
      if (verdict.allowedBy === "image-id") {
        return { imageId: local.imageId, digest: local.imageId };
      }
      digest = local.digest;
    }
  }
  await checkRegistryHost(policy, { reference, lookupHost });
  digest ??= (await inspectDistribution(client, { reference, auth: registryAuth, signal })).digest;
  checkImagePolicy(policy, { reference, digest });
  const pinned = `${source.name}@${digest}`;
  const have = await inspectImage(client, { image: pinned, signal }).catch(notFound);
  if (!have) {
    await pullImage(client, { reference: pinned, auth: registryAuth, onProgress, signal });
  }
  // Checks that the local image really has the digest (ImageDigestMismatchError otherwise).
  const resolved = await resolveImageDigest(client, { reference: pinned, signal });
  return { imageId: resolved.imageId, digest };
}
