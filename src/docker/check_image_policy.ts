import { parseImageReference } from "./_reference.ts";
import { ImagePolicyError } from "./errors.ts";
import type { ImagePolicy } from "./image_policy.ts";

/** Parameters of {@linkcode checkImagePolicy}. */
export type CheckImagePolicyParameters = {
  /** The task's image reference. */
  reference: string;
  /** The registry digest the reference resolved to; `undefined` when the image has none. */
  digest: string | undefined;
};

/** Which rule let the image in. */
export type CheckImagePolicyReturnType = { allowedBy: "digest" | "pattern"; rule: string };

/**
 * Decides whether the policy lets an image run: it must have a registry
 * digest, and that digest must be listed or the `registry/path` must match a
 * pattern. Pure; throws `ImagePolicyError` naming the reference and digest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkImagePolicy } from "./check_image_policy.ts";
 * import { parseImagePolicy } from "./image_policy.ts";
 * const policy = parseImagePolicy({ allowPatterns: ["127.0.0.1:5000/sonm/*"] });
 * const r = checkImagePolicy(policy, {
 *   reference: "127.0.0.1:5000/sonm/app:1",
 *   digest: "sha256:" + "0".repeat(64),
 * });
 * assert.equal(r.allowedBy, "pattern");
 * ```
 */
export function checkImagePolicy(
  policy: ImagePolicy,
  { reference, digest }: CheckImagePolicyParameters,
): CheckImagePolicyReturnType {
  const ref = parseImageReference(reference, "reference");
  if (!digest) {
    throw new ImagePolicyError({
      reference,
      detail: "the image has no registry digest (it was not pulled from a registry)",
    });
  }
  if (policy.allowDigests.includes(digest)) return { allowedBy: "digest", rule: digest };
  for (const pattern of policy.allowPatterns) {
    if (globToRegExp(pattern).test(ref.fullName)) return { allowedBy: "pattern", rule: pattern };
  }
  throw new ImagePolicyError({
    reference,
    digest,
    detail: `neither the digest nor "${ref.fullName}" is allowed`,
  });
}

function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? "";
    if (c === "*" && glob[i + 1] === "*") {
      re += ".*";
      i++;
    } else if (c === "*") re += "[^/]*";
    else re += c.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}
