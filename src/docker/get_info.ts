import type { DockerClient } from "./client.ts";

/** Parameters of {@linkcode getInfo}. */
export type GetInfoParameters = { signal?: AbortSignal | undefined };
/** What {@linkcode getInfo} returns (the fields the agent uses). */
export type GetInfoReturnType = {
  name: string;
  serverVersion: string;
  containers: number;
  containersRunning: number;
  images: number;
  /** Storage driver, e.g. `vfs`, `overlay2`. */
  driver: string;
  driverStatus: [string, string][];
  dockerRootDir: string;
  memTotalBytes: number;
  cpus: number;
  cgroupVersion: string;
  liveRestoreEnabled: boolean;
  runtimes: string[];
  securityOptions: string[];
};

/**
 * Asks the daemon for system information (`GET /info`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createDockerClient, getInfo } from "./mod.ts";
 * const docker = createDockerClient({ socketPath: "/var/run/docker.sock" });
 * const { driver } = await getInfo(docker);
 * assert.ok(driver.length > 0);
 * docker.close();
 * ```
 */
export async function getInfo(
  client: DockerClient,
  { signal }: GetInfoParameters = {},
): Promise<GetInfoReturnType> {
  // deno-lint-ignore no-explicit-any
  const i = await client.request<Record<string, any>>({ method: "GET", path: "/info", signal });
  return {
    name: String(i.Name ?? ""),
    serverVersion: String(i.ServerVersion ?? ""),
    containers: Number(i.Containers ?? 0),
    containersRunning: Number(i.ContainersRunning ?? 0),
    images: Number(i.Images ?? 0),
    driver: String(i.Driver ?? ""),
    driverStatus: Array.isArray(i.DriverStatus) ? i.DriverStatus : [],
    dockerRootDir: String(i.DockerRootDir ?? ""),
    memTotalBytes: Number(i.MemTotal ?? 0),
    cpus: Number(i.NCPU ?? 0),
    cgroupVersion: String(i.CgroupVersion ?? ""),
    liveRestoreEnabled: Boolean(i.LiveRestoreEnabled),
    runtimes: Object.keys(i.Runtimes ?? {}),
    securityOptions: Array.isArray(i.SecurityOptions) ? i.SecurityOptions : [],
  };
}
