import { COMPONENT, REGISTRY } from "./_reference.ts";

/** `sha256:` and 64 lowercase hex digits: a local image id or a registry manifest digest. */
export const IMAGE_DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * Why an entry of the rig's image allowlist (`docker.allowed_images`) can
 * never match an image, or undefined when it can. An entry is either
 * `sha256:` and 64 hex digits (an image id from `docker images --no-trunc`,
 * or a registry manifest digest), or a `registry/path` glob: it starts with a
 * registry (`docker.io`, `127.0.0.1:5000`; `*` and `**` may stand for it),
 * its path components are lowercase as Docker's are, `*` matches within one
 * component and `**` across them; it names repositories, never tags.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { imageRuleProblem } from "./image_rule.ts";
 * assert.equal(imageRuleProblem("127.0.0.1:5000/sonm/*"), undefined);
 * assert.equal(imageRuleProblem("docker.io/library/busybox"), undefined);
 * assert.match(imageRuleProblem("sha256:xyz")!, /64 lowercase hex digits/);
 * assert.match(imageRuleProblem("UPPER/*")!, /must start with a registry/);
 * ```
 */
export function imageRuleProblem(entry: string): string | undefined {
  if (entry.startsWith("sha256:")) {
    return IMAGE_DIGEST.test(entry)
      ? undefined
      : 'must be "sha256:" and 64 lowercase hex digits (an image id or a registry digest)';
  }
  if (entry.length === 0 || entry.length > 512) return "must be 1 to 512 characters";
  if (entry.includes("@")) {
    return 'names repositories, not digests: write the digest alone, "sha256:..."';
  }
  if (entry === "**") return undefined; // every repository of every registry
  const [registry = "", ...path] = entry.split("/");
  const example = "docker.io/library/busybox or 127.0.0.1:5000/team/*";
  if (path.length === 0) return `must start with a registry (${example})`;
  const wild = registry.includes("*");
  if (!wild && !(registry.includes(".") || registry.includes(":") || registry === "localhost")) {
    return `must start with a registry (${example}): "${registry}" is not one`;
  }
  if (!REGISTRY.test(registry.replaceAll("*", "x")) || registry !== registry.toLowerCase()) {
    return `has an invalid registry "${registry}" (lowercase host and optional port)`;
  }
  if (registry === "docker.io" && path.length === 1 && !path[0]!.includes("*")) {
    return `never matches: Docker Hub's official images are "docker.io/library/${path[0]}"`;
  }
  for (const part of path) {
    if (part === "*" || part === "**") continue;
    if (part.includes(":")) return `names repositories, not tags: drop ":${part.split(":")[1]}"`;
    if (!COMPONENT.test(part.replace(/\*+/g, "x"))) {
      return `has an invalid path component "${part}" (lowercase letters, digits, ".", "_", "-")`;
    }
  }
  return undefined;
}
