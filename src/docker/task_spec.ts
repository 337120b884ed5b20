import { z } from "zod";
import { parseImageSource } from "./_reference.ts";
import { DockerValidationError } from "./errors.ts";
import { parseWith } from "./_zod_error.ts";

const CAPABILITY = /^(CAP_)?[A-Z_]{2,32}$/;
const CPUSET = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

/**
 * A consumer's task as the deal allows it to run. Fields (camelCase):
 * `image`, `command`, `entrypoint`, `env`, `workingDir`, `user`, `ports`
 * (`containerPort`, `protocol`), `gpus` (`vendor`, `indexes`), `limits`
 * (`cpus` | `cpuset`, `memoryBytes`, `pidsLimit`, `storageBytes`,
 * `networkMode`), `readOnlyRootfs`, `capabilities`, `scratchPath`.
 */
export const taskSpecSchema = z.object({
  /**
   * `[registry/]name[:tag][@sha256:...]`, or a local image's id `sha256:<64 hex>`; it must
   * resolve to a digest or image id the policy allows.
   */
  image: z.string().superRefine((v, ctx) => {
    try {
      parseImageSource(v);
    } catch (e) {
      // the detail alone: the issue's formatter adds the value (once)
      const detail = e instanceof DockerValidationError ? e.detail : String(e);
      ctx.addIssue({ code: "custom", message: detail });
    }
  }),
  /** Command (the image's CMD when left out). */
  command: z.array(z.string().max(4096)).max(256).optional(),
  /** Entrypoint override. */
  entrypoint: z.array(z.string().max(4096)).max(256).optional(),
  /** Environment variables. */
  env: z.record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a valid environment variable name"),
    z.string().max(65536),
  ).default({}),
  workingDir: z.string().startsWith("/").optional(),
  /** User inside the container (`uid[:gid]` or a name from the image). */
  user: z.string().regex(/^[a-z0-9_][a-z0-9_.-]*(:[a-z0-9_][a-z0-9_.-]*)?$/i).optional(),
  /** Container ports to publish on the host (random host ports). */
  ports: z.array(z.object({
    containerPort: z.number().int().min(1).max(65535),
    protocol: z.enum(["tcp", "udp"]).default("tcp"),
  })).max(64).default([]),
  /** GPUs bought by the deal: NVIDIA through `DeviceRequests`, AMD through device paths. */
  gpus: z.object({
    vendor: z.enum(["nvidia", "amd"]),
    indexes: z.array(z.number().int().min(0).max(63)).min(1).max(64),
  }).optional(),
  /** The deal's limits. */
  limits: z.object({
    /** CPU share as a number of cores (`NanoCpus`), e.g. 0.5. */
    cpus: z.number().positive().max(1024).optional(),
    /** Pinned CPUs, e.g. `"0-1,3"` (`CpusetCpus`). */
    cpuset: z.string().regex(CPUSET, 'must look like "0-1,3"').optional(),
    /** Memory limit in bytes; swap is disabled (memory+swap = memory). */
    memoryBytes: z.number().int().min(6 * 1024 * 1024).max(2 ** 50),
    /** Most processes and threads at once. */
    pidsLimit: z.number().int().min(1).max(4_194_304),
    /** Writable layer size, where the storage driver supports it. */
    storageBytes: z.number().int().positive().max(2 ** 53).optional(),
    /** `bridge`: a bridge network of its own per deal; `none`: no network. */
    networkMode: z.enum(["bridge", "none"]).default("bridge"),
  }),
  /** Run with a read-only root filesystem (a small tmpfs on /tmp). */
  readOnlyRootfs: z.boolean().default(false),
  /** Capabilities to add back after dropping all; each must be allowed by the policy. */
  capabilities: z.array(z.string().regex(CAPABILITY, "must be a capability name")).max(64)
    .default([]),
  /** Mount the deal's scratch volume here (absolute path), if given. */
  scratchPath: z.string().regex(/^\/[A-Za-z0-9_./-]*$/, "must be an absolute path").optional(),
}).strict();

/** A validated task spec (defaults filled in). */
export type TaskSpec = z.output<typeof taskSpecSchema>;
/** A task spec as written in config or received from a consumer. */
export type TaskSpecInput = z.input<typeof taskSpecSchema>;

/**
 * Validates a task spec; the error names the field and its value.
 *
 * @throws {DockerValidationError}
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTaskSpec } from "./task_spec.ts";
 * const spec = parseTaskSpec({
 *   image: "127.0.0.1:5000/app:1",
 *   limits: { cpus: 1, memoryBytes: 256 * 2 ** 20, pidsLimit: 64 },
 * });
 * assert.equal(spec.limits.networkMode, "bridge");
 * ```
 */
export function parseTaskSpec(input: unknown): TaskSpec {
  return parseWith(taskSpecSchema, input, "task spec");
}
