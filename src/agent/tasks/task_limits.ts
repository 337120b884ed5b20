import { IMAGE_DIGEST, type ImagePolicyInput, type TaskSpecInput } from "../../docker/mod.ts";
import { type ConsumerTaskSpec, RequestRefusedError } from "../../nat/mod.ts";
import type { AgentConfig, PlanConfig } from "../config/mod.ts";

/** Where the consumer's scratch volume is mounted when the plan sells storage. */
export const SCRATCH_PATH = "/scratch";

/** What {@linkcode taskSpecForDeal} needs besides the plan and the consumer's spec. */
export type TaskSpecForDealOptions = {
  /** `docker.default_limits` of the config (the pids limit). */
  defaultLimits: AgentConfig["docker"]["defaultLimits"];
  /** The rig's GPUs (index and vendor), to pick NVIDIA DeviceRequests or AMD device paths. */
  rigGpus: readonly { index: number; vendor: string }[];
};

/**
 * Turns a consumer's task spec into the runtime's spec with exactly the
 * limits the plan sold (pure):
 *
 * | plan | container |
 * | --- | --- |
 * | `cpu_cores` | `NanoCpus` (a CPU share, fractional allowed) |
 * | `ram` | `Memory` = `MemorySwap` (no swap) |
 * | `storage` > 0 | writable-layer size where the driver supports it, and a scratch volume on `/scratch` |
 * | `gpus` | NVIDIA: `DeviceRequests`; AMD: `/dev/kfd` + `/dev/dri` device paths |
 * | `net.outbound` false | network mode `none` |
 * | `net.incoming` false | no published ports (a spec asking for ports is refused) |
 * | `docker.default_limits.pids` | `PidsLimit` |
 *
 * @throws {RequestRefusedError} "over-limits" when the spec asks for more than the plan sells
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { taskSpecForDeal } from "./task_limits.ts";
 * const plan = {
 *   name: "small", priceUsdPerHour: "0.1", duration: "spot" as const,
 *   resources: { cpuCores: 0.5, ramBytes: 2 ** 28, storageBytes: 0, gpus: [],
 *     net: { overlay: false, outbound: false, incoming: false } },
 *   identityLevel: 0 as const, counterparty: undefined, blacklist: undefined, tag: "",
 * };
 * const spec = taskSpecForDeal(plan, { image: "127.0.0.1:5000/a:1" }, {
 *   defaultLimits: { cpus: 1, memoryBytes: 2 ** 30, pids: 64 }, rigGpus: [],
 * });
 * assert.deepEqual(spec.limits, {
 *   cpus: 0.5, memoryBytes: 2 ** 28, pidsLimit: 64, networkMode: "none",
 * });
 * ```
 */
export function taskSpecForDeal(
  plan: PlanConfig,
  spec: ConsumerTaskSpec,
  options: TaskSpecForDealOptions,
): TaskSpecInput {
  const r = plan.resources;
  const ports = spec.ports ?? [];
  if (ports.length > 0 && !r.net.incoming) {
    throw new RequestRefusedError(
      "over-limits",
      `task spec ports: plan "${plan.name}" does not sell incoming connections (asked for ${ports.length} port(s))`,
    );
  }
  if (ports.length > 0 && !r.net.outbound) {
    // Docker publishes ports only on a bridge network, and a bridge would give outbound access.
    throw new RequestRefusedError(
      "over-limits",
      `task spec ports: plan "${plan.name}" sells incoming without outbound, which this rig cannot publish`,
    );
  }
  const out: TaskSpecInput = {
    image: spec.image,
    limits: {
      cpus: r.cpuCores,
      memoryBytes: r.ramBytes,
      pidsLimit: options.defaultLimits.pids,
      networkMode: r.net.outbound ? "bridge" : "none",
      ...(r.storageBytes > 0 ? { storageBytes: r.storageBytes } : {}),
    },
  };
  if (spec.command !== undefined) out.command = spec.command;
  if (spec.entrypoint !== undefined) out.entrypoint = spec.entrypoint;
  if (spec.env !== undefined) out.env = spec.env;
  if (spec.workingDir !== undefined) out.workingDir = spec.workingDir;
  if (ports.length > 0) out.ports = ports.map((p) => ({ ...p }));
  if (r.storageBytes > 0) out.scratchPath = SCRATCH_PATH;
  if (r.gpus.length > 0) out.gpus = planGpus(plan, options.rigGpus);
  return out;
}

function planGpus(
  plan: PlanConfig,
  rigGpus: TaskSpecForDealOptions["rigGpus"],
): { vendor: "nvidia" | "amd"; indexes: number[] } {
  const vendors = new Set(
    plan.resources.gpus.map((i) => rigGpus.find((g) => g.index === i)?.vendor),
  );
  const vendor = vendors.size === 1 ? [...vendors][0] : undefined;
  if (vendor !== "nvidia" && vendor !== "amd") {
    throw new RequestRefusedError(
      "unavailable",
      `plan "${plan.name}" GPUs ${
        JSON.stringify(plan.resources.gpus)
      } are not all NVIDIA or all AMD GPUs of this rig`,
    );
  }
  return { vendor, indexes: [...plan.resources.gpus] };
}

/**
 * The rig's image policy from `docker.allowed_images`: entries `sha256:<hex>`
 * allow the local image with that id (run without a registry) or the image
 * with that registry manifest digest; every other entry is a `registry/path`
 * glob (a registry on the rig's network only when the glob names it). An
 * empty list allows nothing, and nothing is asked of any registry.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { imagePolicyOf } from "./task_limits.ts";
 * const digest = `sha256:${"a".repeat(64)}`;
 * assert.deepEqual(imagePolicyOf(["127.0.0.1:5000/sonm/*", digest]), {
 *   allowPatterns: ["127.0.0.1:5000/sonm/*"], allowDigests: [digest], pull: "missing",
 * });
 * ```
 */
export function imagePolicyOf(allowedImages: readonly string[]): ImagePolicyInput {
  return {
    allowPatterns: allowedImages.filter((i) => !IMAGE_DIGEST.test(i)),
    allowDigests: allowedImages.filter((i) => IMAGE_DIGEST.test(i)),
    // a digest already pulled is reused; the policy is checked on the digest either way
    pull: "missing",
  };
}
