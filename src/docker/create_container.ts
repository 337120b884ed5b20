import type { DockerClient } from "./client.ts";
import type { DockerApiError, DockerSocketError, DockerTimeoutError } from "./errors.ts";

/**
 * The body of `POST /containers/create` as the Engine API spells it. The task
 * runtime builds a hardened one; this low-level call sends what it is given.
 */
export type ContainerConfig = {
  Image: string;
  Cmd?: string[] | undefined;
  Entrypoint?: string[] | undefined;
  Env?: string[] | undefined;
  Labels?: Record<string, string> | undefined;
  User?: string | undefined;
  WorkingDir?: string | undefined;
  ExposedPorts?: Record<string, Record<string, never>> | undefined;
  NetworkDisabled?: boolean | undefined;
  StopSignal?: string | undefined;
  HostConfig?: Record<string, unknown> | undefined;
  NetworkingConfig?: Record<string, unknown> | undefined;
};

/** Parameters of {@linkcode createContainer}. */
export type CreateContainerParameters = {
  config: ContainerConfig;
  /** Container name (`/?[a-zA-Z0-9][a-zA-Z0-9_.-]+`). */
  name?: string | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode createContainer} returns. */
export type CreateContainerReturnType = { id: string; warnings: string[] };

/** Errors of {@linkcode createContainer}: 404 no such image, 409 name in use, 400 bad config. */
export type CreateContainerErrorType = DockerApiError | DockerSocketError | DockerTimeoutError;

/**
 * Creates a container (`POST /containers/create`).
 *
 * @example
 * ```ts ignore
 * const { id } = await createContainer(docker, { config: { Image: "busybox", Cmd: ["true"] } });
 * ```
 */
export async function createContainer(
  client: DockerClient,
  { config, name, signal }: CreateContainerParameters,
): Promise<CreateContainerReturnType> {
  const r = await client.request<{ Id: string; Warnings: string[] | null }>({
    method: "POST",
    path: "/containers/create",
    query: { name },
    body: config,
    signal,
  });
  return { id: r.Id, warnings: r.Warnings ?? [] };
}
