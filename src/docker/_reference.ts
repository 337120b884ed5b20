/**
 * Private: parsing and normalizing image references the way Docker does
 * (`busybox` is `docker.io/library/busybox:latest`).
 *
 * @module
 */
import { DockerValidationError } from "./errors.ts";

/** A parsed image reference. */
export type ImageReference = {
  /** Registry host (and port), `docker.io` when none is given. */
  registry: string;
  /** Repository path inside the registry, e.g. `library/busybox`. */
  path: string;
  /** `registry/path`, what policies match against. */
  fullName: string;
  /** The name as given, without tag or digest (what Docker's API calls `fromImage`). */
  name: string;
  /** Tag, if given (`latest` is not assumed here). */
  tag: string | undefined;
  /** `sha256:<hex>`, if the reference pins one. */
  digest: string | undefined;
};

const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** One path component of a repository name, as Docker's reference grammar has it. */
export const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
/** A registry host and optional port. */
export const REGISTRY = /^[a-zA-Z0-9.-]+(?::\d{1,5})?$/;
const TAG = /^[\w][\w.-]{0,127}$/;

/** Where an image comes from: a local image by its id, or a registry's repository. */
export type ImageSource =
  | { kind: "image-id"; imageId: string }
  | ({ kind: "registry" } & ImageReference);

/**
 * Parses an image as a task names it: `sha256:<64 hex>` is a local image's
 * id (`docker images --no-trunc`, run without any registry), anything else a
 * registry reference ({@linkcode parseImageReference}).
 */
export function parseImageSource(ref: string, field = "image"): ImageSource {
  if (typeof ref === "string" && DIGEST.test(ref)) return { kind: "image-id", imageId: ref };
  return { kind: "registry", ...parseImageReference(ref, field) };
}

/** Parses `[registry/]path[:tag][@sha256:hex]`; throws `DockerValidationError`. */
export function parseImageReference(ref: string, field = "image"): ImageReference {
  const bad = (detail: string) =>
    new DockerValidationError({ what: "image reference", field, value: ref, detail });
  if (typeof ref !== "string" || ref.length === 0 || ref.length > 512) {
    throw bad("must be a non-empty string of at most 512 characters");
  }
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad('must pin a digest as "sha256:" and 64 hex digits');
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`has an invalid tag "${tag}"`);
  }
  const name = rest;
  const parts = rest.split("/");
  let registry = "docker.io";
  const first = parts[0] ?? "";
  if (parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    registry = first;
    parts.shift();
    if (!REGISTRY.test(registry)) {
      throw bad(`has an invalid registry "${registry}"`);
    }
  }
  if (parts.length === 0 || !parts.every((p) => COMPONENT.test(p))) {
    throw bad("must be lowercase path components of letters, digits and separators");
  }
  if (registry === "docker.io" && parts.length === 1) parts.unshift("library");
  const path = parts.join("/");
  return { registry, path, fullName: `${registry}/${path}`, name, tag, digest };
}
