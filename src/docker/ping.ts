import type { DockerClient } from "./client.ts";
import type { DockerApiError, DockerSocketError, DockerTimeoutError } from "./errors.ts";

/** Parameters of {@linkcode ping}. */
export type PingParameters = { signal?: AbortSignal | undefined };
/** Errors of {@linkcode ping}. */
export type PingErrorType = DockerApiError | DockerSocketError | DockerTimeoutError;

/**
 * Checks that the daemon answers (`GET /_ping`).
 *
 * @example
 * ```ts
 * import { createDockerClient, ping } from "./mod.ts";
 * const docker = createDockerClient({ socketPath: "/var/run/docker.sock" });
 * await ping(docker);
 * docker.close();
 * ```
 */
export async function ping(client: DockerClient, { signal }: PingParameters = {}): Promise<void> {
  await client.stream({ method: "GET", path: "/_ping", unversioned: true, signal })
    .then((r) => r.body?.cancel());
}
