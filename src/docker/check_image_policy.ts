import { type ImageSource, parseImageSource } from "./_reference.ts";
import { ImagePolicyError } from "./errors.ts";
import type { ImagePolicy } from "./image_policy.ts";

/** Parameters of {@linkcode checkImagePolicy}. */
export type CheckImagePolicyParameters = {
  /** The task's image: a registry reference, or a local image's id (`sha256:...`). */
  reference: string;
  /** The registry digest the reference resolved to; `undefined` when the image has none. */
  digest: string | undefined;
  /** The local image's id, when the image is on the rig already. */
  imageId?: string | undefined;
};

/** Which rule let the image in. */
export type CheckImagePolicyReturnType = {
  allowedBy: "digest" | "image-id" | "pattern";
  rule: string;
};

/**
 * Decides whether the policy lets an image run: its local image id is
 * listed (an image that exists only in the rig's Docker, `docker images
 * --no-trunc`), or it has a registry digest that is listed, or its
 * `registry/path` matches a pattern. Pure; throws `ImagePolicyError` naming
 * the reference and digest.
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
  { reference, digest, imageId }: CheckImagePolicyParameters,
): CheckImagePolicyReturnType {
  const source = parseImageSource(reference, "reference");
  if (imageId !== undefined && policy.allowDigests.includes(imageId)) {
    return { allowedBy: "image-id", rule: imageId };
  }
  if (source.kind === "image-id") {
    throw new ImagePolicyError({ reference, detail: "this image id is not in the allowlist" });
  }
  if (!digest) {
    throw new ImagePolicyError({
      reference,
      detail: `the image has no registry digest (it was not pulled from a registry)${
        imageId === undefined ? "" : ` and its id "${imageId}" is not in the allowlist`
      }`,
    });
  }
  if (policy.allowDigests.includes(digest)) return { allowedBy: "digest", rule: digest };
  for (const pattern of policy.allowPatterns) {
    if (globToRegExp(pattern).test(source.fullName)) return { allowedBy: "pattern", rule: pattern };
  }
  throw new ImagePolicyError({
    reference,
    digest,
    detail: `neither the digest nor "${source.fullName}" is allowed`,
  });
}

/** Where a prechecked image comes from: a local image id, or a registry reference. */
export type PrecheckImageReturnType = ImageSource;

/**
 * The check that comes before any call (Docker's or a registry's): the
 * image's name is valid (`DockerValidationError` otherwise: the consumer's
 * bad request), and some entry of the policy could allow it: a pattern
 * matching its `registry/path`, the digest it pins, or, for a name without
 * a digest, a `sha256:` entry its registry digest or local id may match. An
 * empty allowlist allows nothing, so nothing is ever asked of any registry.
 * Pure; returns where the image comes from.
 *
 * @throws {ImagePolicyError} when no entry could allow the image
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { precheckImage } from "./check_image_policy.ts";
 * import { parseImagePolicy } from "./image_policy.ts";
 * const none = parseImagePolicy({});
 * assert.throws(() => precheckImage(none, "localhost:5000/a/b/c:1"), /allows no image/);
 * const some = parseImagePolicy({ allowPatterns: ["127.0.0.1:5000/sonm/*"] });
 * assert.equal(precheckImage(some, "127.0.0.1:5000/sonm/app:1").kind, "registry");
 * ```
 */
export function precheckImage(policy: ImagePolicy, reference: string): PrecheckImageReturnType {
  const source = parseImageSource(reference, "image");
  const refuse = (detail: string) => new ImagePolicyError({ reference, detail });
  if (policy.allowDigests.length === 0 && policy.allowPatterns.length === 0) {
    throw refuse("the rig's allowlist (docker.allowed_images) is empty: it allows no image");
  }
  if (source.kind === "image-id") {
    if (policy.allowDigests.includes(source.imageId)) return source;
    throw refuse("this image id is not in the allowlist");
  }
  if (policy.allowPatterns.some((p) => globToRegExp(p).test(source.fullName))) return source;
  if (source.digest !== undefined && policy.allowDigests.includes(source.digest)) return source;
  if (source.digest === undefined && policy.allowDigests.length > 0) return source;
  throw refuse(
    `no entry of the allowlist matches "${source.fullName}"${
      source.digest === undefined ? "" : ` or its digest`
    }`,
  );
}

/** Whether a pattern names `registry` itself (its first segment, literally, no wildcard). */
export function patternNamesRegistry(pattern: string, registry: string): boolean {
  return pattern.split("/")[0]?.toLowerCase() === registry.toLowerCase();
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
