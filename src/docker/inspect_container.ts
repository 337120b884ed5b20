import type { DockerClient } from "./client.ts";

/** Parameters of {@linkcode inspectContainer}. */
export type InspectContainerParameters = { id: string; signal?: AbortSignal | undefined };

/** A published port of a container. */
export type PublishedPort = {
  containerPort: number;
  protocol: string;
  hostIp: string;
  hostPort: number;
};

/** What {@linkcode inspectContainer} returns. */
export type InspectContainerReturnType = {
  id: string;
  name: string;
  image: string;
  imageId: string;
  labels: Record<string, string>;
  state: {
    status: string;
    running: boolean;
    exitCode: number;
    oomKilled: boolean;
    pid: number;
    startedAt: string;
    finishedAt: string;
    error: string;
  };
  ports: PublishedPort[];
  networks: string[];
  /** The raw `HostConfig`, as the daemon applied it. */
  hostConfig: Record<string, unknown>;
};

/**
 * Inspects a container (`GET /containers/{id}/json`).
 *
 * @example
 * ```ts ignore
 * const { state } = await inspectContainer(docker, { id });
 * ```
 */
export async function inspectContainer(
  client: DockerClient,
  { id, signal }: InspectContainerParameters,
): Promise<InspectContainerReturnType> {
  // deno-lint-ignore no-explicit-any
  const c = await client.request<Record<string, any>>({
    method: "GET",
    path: `/containers/${encodeURIComponent(id)}/json`,
    signal,
  });
  const s = c.State ?? {};
  const ports: PublishedPort[] = [];
  for (const [key, binds] of Object.entries(c.NetworkSettings?.Ports ?? {})) {
    const [port = "0", protocol = "tcp"] = key.split("/");
    for (const b of (binds as { HostIp: string; HostPort: string }[] | null) ?? []) {
      ports.push({
        containerPort: Number(port),
        protocol,
        hostIp: b.HostIp,
        hostPort: Number(b.HostPort),
      });
    }
  }
  return {
    id: String(c.Id),
    name: String(c.Name ?? "").replace(/^\//, ""),
    image: String(c.Config?.Image ?? ""),
    imageId: String(c.Image ?? ""),
    labels: c.Config?.Labels ?? {},
    state: {
      status: String(s.Status ?? ""),
      running: Boolean(s.Running),
      exitCode: Number(s.ExitCode ?? 0),
      oomKilled: Boolean(s.OOMKilled),
      pid: Number(s.Pid ?? 0),
      startedAt: String(s.StartedAt ?? ""),
      finishedAt: String(s.FinishedAt ?? ""),
      error: String(s.Error ?? ""),
    },
    ports,
    networks: Object.keys(c.NetworkSettings?.Networks ?? {}),
    hostConfig: c.HostConfig ?? {},
  };
}
