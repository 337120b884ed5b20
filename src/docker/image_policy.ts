import { z } from "zod";
import { parseWith } from "./_zod_error.ts";
import { imageRuleProblem } from "./image_rule.ts";

/**
 * The rig's image policy. Fields (camelCase): `allowDigests` (exact manifest
 * digests, or local image ids), `allowPatterns` (`registry/path` globs: `*`
 * within one path segment, `**` across segments, e.g. `127.0.0.1:5000/sonm/*`
 * or `docker.io/library/**`; see {@linkcode imageRuleProblem}), `allowedCapabilities` (what a task may add back
 * after `CapDrop: ALL`), `pull` (`always` asks the registry for tags each
 * time, `missing` uses a local image when present).
 */
export const imagePolicySchema = z.object({
  allowDigests: z.array(
    z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be "sha256:" and 64 hex digits'),
  )
    .default([]),
  allowPatterns: z.array(
    z.string().superRefine((v, ctx) => {
      const problem = v.startsWith("sha256:")
        ? "is a digest: put it in allowDigests"
        : imageRuleProblem(v);
      if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
    }),
  )
    .default([]),
  allowedCapabilities: z.array(
    z.string().regex(/^(CAP_)?[A-Z_]{2,32}$/, "must be a capability name"),
  )
    .default([]),
  pull: z.enum(["always", "missing"]).default("always"),
}).strict();

/** A validated image policy. */
export type ImagePolicy = z.output<typeof imagePolicySchema>;
/** An image policy as written in config. */
export type ImagePolicyInput = z.input<typeof imagePolicySchema>;

/**
 * Validates an image policy; the error names the field and its value.
 *
 * @throws {DockerValidationError}
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseImagePolicy } from "./image_policy.ts";
 * const p = parseImagePolicy({ allowPatterns: ["127.0.0.1:5000/sonm/*"] });
 * assert.equal(p.pull, "always");
 * ```
 */
export function parseImagePolicy(input: unknown): ImagePolicy {
  return parseWith(imagePolicySchema, input, "image policy");
}
