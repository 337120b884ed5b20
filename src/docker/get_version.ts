import type { DockerClient } from "./client.ts";

/** Parameters of {@linkcode getVersion}. */
export type GetVersionParameters = { signal?: AbortSignal | undefined };
/** What {@linkcode getVersion} returns. */
export type GetVersionReturnType = {
  version: string;
  apiVersion: string;
  minApiVersion: string;
  os: string;
  arch: string;
  kernelVersion: string;
};

/**
 * Asks the daemon for its version (`GET /version`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createDockerClient, getVersion } from "./mod.ts";
 * const docker = createDockerClient({ socketPath: "/var/run/docker.sock" });
 * const { apiVersion } = await getVersion(docker);
 * assert.match(apiVersion, /^1\.\d+$/);
 * docker.close();
 * ```
 */
export async function getVersion(
  client: DockerClient,
  { signal }: GetVersionParameters = {},
): Promise<GetVersionReturnType> {
  const v = await client.request<Record<string, string>>({
    method: "GET",
    path: "/version",
    unversioned: true,
    signal,
  });
  return {
    version: v.Version ?? "",
    apiVersion: v.ApiVersion ?? "",
    minApiVersion: v.MinAPIVersion ?? "",
    os: v.Os ?? "",
    arch: v.Arch ?? "",
    kernelVersion: v.KernelVersion ?? "",
  };
}
