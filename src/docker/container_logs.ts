import type { DockerClient } from "./client.ts";
import { demultiplex } from "./_streams.ts";

/** Parameters of {@linkcode containerLogs}. */
export type ContainerLogsParameters = {
  id: string;
  /** Keep streaming until the container stops or `signal` aborts. @default {false} */
  follow?: boolean | undefined;
  /** @default {true} */
  stdout?: boolean | undefined;
  /** @default {true} */
  stderr?: boolean | undefined;
  /** Only the last N lines. */
  tail?: number | undefined;
  /** Only lines since this UNIX time (seconds). */
  since?: number | undefined;
  /** Prefix each line with an RFC 3339 time. @default {false} */
  timestamps?: boolean | undefined;
  signal?: AbortSignal | undefined;
};

/** One chunk of output, tagged with its stream. */
export type LogChunk = { stream: "stdout" | "stderr"; data: Uint8Array };

/**
 * Streams a container's output (`GET /containers/{id}/logs`), decoding the
 * multiplexed stdout/stderr frames (containers run without a TTY).
 *
 * @example
 * ```ts ignore
 * for await (const c of containerLogs(docker, { id, follow: true, signal })) {
 *   write(c.stream, c.data);
 * }
 * ```
 */
export async function* containerLogs(
  client: DockerClient,
  {
    id,
    follow = false,
    stdout = true,
    stderr = true,
    tail,
    since,
    timestamps = false,
    signal,
  }: ContainerLogsParameters,
): AsyncGenerator<LogChunk> {
  const res = await client.stream({
    method: "GET",
    path: `/containers/${encodeURIComponent(id)}/logs`,
    query: { follow, stdout, stderr, tail, since, timestamps },
    signal,
  });
  for await (const f of demultiplex(res.body, signal)) {
    if (f.stream !== "stdin") yield { stream: f.stream, data: f.data };
  }
}
