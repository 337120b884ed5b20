import type { DockerClient } from "./client.ts";
import { jsonLines } from "./_streams.ts";

/** Parameters of {@linkcode streamEvents}. */
export type StreamEventsParameters = {
  /** Replay events since this UNIX time (seconds). */
  since?: number | undefined;
  /** Stop at this UNIX time (seconds); otherwise stream until `signal` aborts. */
  until?: number | undefined;
  /** Engine filters, e.g. `{ type: ["container"], label: ["sonm.agent=rig1"] }`. */
  filters?: Record<string, string[]> | undefined;
  signal?: AbortSignal | undefined;
};

/** One daemon event. */
export type DockerEvent = {
  /** `container`, `network`, `image`, `volume`, `daemon`, ... */
  type: string;
  /** `create`, `start`, `die`, `oom`, `destroy`, ... */
  action: string;
  /** Id of the object. */
  id: string;
  attributes: Record<string, string>;
  /** Nanoseconds since the epoch. */
  timeNano: number;
};

/**
 * Streams the daemon's events (`GET /events`).
 *
 * @example
 * ```ts ignore
 * for await (const e of streamEvents(docker, { filters: { type: ["container"] }, signal })) {
 *   if (e.action === "oom") warn(e.id);
 * }
 * ```
 */
export async function* streamEvents(
  client: DockerClient,
  { since, until, filters, signal }: StreamEventsParameters = {},
): AsyncGenerator<DockerEvent> {
  const res = await client.stream({
    method: "GET",
    path: "/events",
    query: { since, until, filters: filters ? JSON.stringify(filters) : undefined },
    signal,
  });
  // deno-lint-ignore no-explicit-any
  for await (const e of jsonLines<Record<string, any>>(res.body, signal)) {
    yield {
      type: String(e.Type ?? ""),
      action: String(e.Action ?? ""),
      id: String(e.Actor?.ID ?? e.id ?? ""),
      attributes: e.Actor?.Attributes ?? {},
      timeNano: Number(e.timeNano ?? 0),
    };
  }
}
