import type { DockerClient } from "./client.ts";
import { DockerApiError } from "./errors.ts";
import { inspectContainer } from "./inspect_container.ts";
import { removeContainer } from "./remove_container.ts";
import { stopContainer } from "./stop_container.ts";

/** Parameters of {@linkcode stopTask}. */
export type StopTaskParameters = {
  containerId: string;
  /** Seconds between SIGTERM and SIGKILL. @default {10} */
  timeoutSeconds?: number | undefined;
  /** Remove the container afterwards (network and volume stay for the deal). @default {true} */
  remove?: boolean | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode stopTask} returns. */
export type StopTaskReturnType = {
  exitCode: number;
  oomKilled: boolean;
  /** False when the container was already gone. */
  found: boolean;
};

/**
 * Stops a task's container (SIGTERM, then SIGKILL), reports how it ended and
 * removes it. A container that is already gone is no error.
 *
 * @example
 * ```ts ignore
 * const { exitCode, oomKilled } = await stopTask(docker, { containerId, timeoutSeconds: 5 });
 * ```
 */
export async function stopTask(
  client: DockerClient,
  { containerId, timeoutSeconds = 10, remove = true, signal }: StopTaskParameters,
): Promise<StopTaskReturnType> {
  try {
    await stopContainer(client, { id: containerId, timeoutSeconds, signal });
    const info = await inspectContainer(client, { id: containerId, signal });
    if (remove) await removeContainer(client, { id: containerId, force: true, signal });
    return { exitCode: info.state.exitCode, oomKilled: info.state.oomKilled, found: true };
  } catch (e) {
    if (e instanceof DockerApiError && e.isNotFound) {
      return { exitCode: -1, oomKilled: false, found: false };
    }
    throw e;
  }
}
