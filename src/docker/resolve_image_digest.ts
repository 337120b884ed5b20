import type { DockerClient } from "./client.ts";
import { parseImageReference } from "./_reference.ts";
import { inspectImage } from "./inspect_image.ts";
import { ImageDigestMismatchError } from "./errors.ts";

/** Parameters of {@linkcode resolveImageDigest}. */
export type ResolveImageDigestParameters = {
  /** A reference of a local (pulled) image. */
  reference: string;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode resolveImageDigest} returns. */
export type ResolveImageDigestReturnType = {
  /** Local image id (`sha256:` of the config). */
  imageId: string;
  /** The registry manifest digest of this repository (`sha256:...`), if known. */
  digest: string | undefined;
  /** Every repo digest of the image (`name@sha256:...`). */
  repoDigests: string[];
};

/**
 * Finds the registry digest of a local image for the reference's repository.
 * When the reference pins a digest, checks that the image has it and
 * throws `ImageDigestMismatchError` otherwise.
 *
 * @example
 * ```ts ignore
 * const { digest } = await resolveImageDigest(docker, { reference: "127.0.0.1:5000/app:1" });
 * ```
 */
export async function resolveImageDigest(
  client: DockerClient,
  { reference, signal }: ResolveImageDigestParameters,
): Promise<ResolveImageDigestReturnType> {
  const ref = parseImageReference(reference, "reference");
  const local = ref.digest ? `${ref.name}@${ref.digest}` : `${ref.name}:${ref.tag ?? "latest"}`;
  const img = await inspectImage(client, { image: local, signal });
  const mine = img.repoDigests
    .filter((d) => {
      const at = d.lastIndexOf("@");
      if (at < 0) return false;
      const r = parseImageReference(d.slice(0, at), "repoDigest");
      return r.fullName === ref.fullName;
    })
    .map((d) => d.slice(d.lastIndexOf("@") + 1));
  if (ref.digest && !mine.includes(ref.digest)) {
    throw new ImageDigestMismatchError({ reference, expected: ref.digest, actual: mine });
  }
  return { imageId: img.id, digest: ref.digest ?? mine[0], repoDigests: img.repoDigests };
}
