import { lookup } from "node:dns/promises";
import { hostName, isInternalAddress, isInternalHostLiteral } from "./_internal_address.ts";
import { parseImageReference } from "./_reference.ts";
import { patternNamesRegistry } from "./check_image_policy.ts";
import { ImagePolicyError } from "./errors.ts";
import type { ImagePolicy } from "./image_policy.ts";

/** Resolves a host name to its addresses, as the system does (`/etc/hosts`, then DNS). */
export type LookupHost = (hostname: string) => Promise<string[]>;

/** Parameters of {@linkcode checkRegistryHost}. */
export type CheckRegistryHostParameters = {
  /** A registry reference (`registry/path[:tag][@digest]`). */
  reference: string;
  /** How names are resolved. @default {the system resolver (getaddrinfo), as dockerd does} */
  lookupHost?: LookupHost | undefined;
  /** Give up resolving after this long, ms. @default {5000} */
  timeoutMs?: number | undefined;
};

/**
 * Refuses an image whose registry is on the rig's own network unless the
 * rig's allowlist names that registry: a consumer must not make the rig's
 * dockerd connect to a host and port of their choosing behind the rig's
 * NAT. The registry is internal when it is `localhost`, a loopback,
 * link-local, private, shared or unspecified address, or a name that
 * resolves to one; a pattern names it when its first segment is that
 * `host[:port]`, written out (`127.0.0.1:5000/team/*`; `**` does not). A
 * name that cannot be resolved is refused too (it cannot be checked, and
 * the pull would fail). Runs before any call to Docker or a registry (the
 * name lookup is the only I/O).
 *
 * @throws {ImagePolicyError}
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkRegistryHost } from "./check_registry_host.ts";
 * import { parseImagePolicy } from "./image_policy.ts";
 * const policy = parseImagePolicy({ allowPatterns: ["**"] });
 * await assert.rejects(
 *   () => checkRegistryHost(policy, { reference: "localhost:5000/a/b/c:1" }),
 *   /on the rig's own network/,
 * );
 * const named = parseImagePolicy({ allowPatterns: ["localhost:5000/a/**"] });
 * await checkRegistryHost(named, { reference: "localhost:5000/a/b/c:1" });
 * ```
 */
export async function checkRegistryHost(
  policy: ImagePolicy,
  { reference, lookupHost = systemLookup, timeoutMs = 5000 }: CheckRegistryHostParameters,
): Promise<void> {
  const { registry } = parseImageReference(reference, "image");
  if (policy.allowPatterns.some((p) => patternNamesRegistry(p, registry))) return;
  const refuse = (why: string) =>
    new ImagePolicyError({
      reference,
      detail: `its registry "${registry}" ${why}; the allowlist must name it ("${registry}/...")`,
    });
  const literal = isInternalHostLiteral(registry);
  if (literal === true) throw refuse("is on the rig's own network");
  if (literal === false) return;
  const name = hostName(registry);
  let addresses: string[];
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    addresses = await Promise.race([
      lookupHost(name),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw refuse(`cannot be resolved here to check it is not on the rig's own network (${why})`);
  } finally {
    clearTimeout(timer);
  }
  const inside = addresses.find((a) => isInternalAddress(a) !== false);
  if (inside !== undefined || addresses.length === 0) {
    throw refuse(`resolves to ${inside ?? "no address"}, on the rig's own network`);
  }
}

async function systemLookup(hostname: string): Promise<string[]> {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map((a) => a.address);
}
