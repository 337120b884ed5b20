import type { DockerClient } from "./client.ts";

/** Parameters of {@linkcode killContainer}. */
export type KillContainerParameters = {
  id: string;
  /** The signal to send. @default {"SIGKILL"} */
  killSignal?: string | undefined;
  signal?: AbortSignal | undefined;
};

/**
 * Sends a signal to a container (`POST /containers/{id}/kill`); 409 when it is not running.
 *
 * @example
 * ```ts ignore
 * await killContainer(docker, { id, killSignal: "SIGTERM" });
 * ```
 */
export async function killContainer(
  client: DockerClient,
  { id, killSignal = "SIGKILL", signal }: KillContainerParameters,
): Promise<void> {
  await client.request({
    method: "POST",
    path: `/containers/${encodeURIComponent(id)}/kill`,
    query: { signal: killSignal },
    signal,
  });
}
