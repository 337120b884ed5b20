/**
 * Private: the hardened container configuration of a task (pure).
 *
 * @module
 */
import type { ContainerConfig } from "./create_container.ts";
import { LABEL_AGENT, LABEL_DEAL, LABEL_DIGEST, LABEL_IMAGE, LABEL_TASK } from "./labels.ts";
import type { TaskSpec } from "./task_spec.ts";

/** What the runtime decided besides the spec. */
export type TaskContext = {
  agentId: string;
  dealId: string;
  taskId: string;
  /** Image id to run (pinned, not the tag). */
  imageId: string;
  reference: string;
  digest: string;
  /** Deal network name, or undefined for `networkMode: none`. */
  network: string | undefined;
  /** Scratch volume name, when the spec asks for one. */
  volume: string | undefined;
  /** Host address on which ports are published. */
  publishHostIp: string;
  /** Whether to send `StorageOpt.size`. */
  withStorageOpt: boolean;
};

/** Normalizes a capability name to Docker's `CAP_X` form. */
export function capName(c: string): string {
  return c.startsWith("CAP_") ? c : `CAP_${c}`;
}

/** Builds the body of `POST /containers/create` for a task. */
export function buildContainerConfig(spec: TaskSpec, ctx: TaskContext): ContainerConfig {
  const l = spec.limits;
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of spec.ports) {
    const key = `${p.containerPort}/${p.protocol}`;
    exposed[key] = {};
    bindings[key] = [{ HostIp: ctx.publishHostIp, HostPort: "" }];
  }
  const mounts: Record<string, unknown>[] = [];
  if (ctx.volume && spec.scratchPath) {
    mounts.push({ Type: "volume", Source: ctx.volume, Target: spec.scratchPath, ReadOnly: false });
  }
  const host: Record<string, unknown> = {
    NetworkMode: ctx.network ?? "none",
    PortBindings: bindings,
    PublishAllPorts: false,
    Memory: l.memoryBytes,
    MemorySwap: l.memoryBytes,
    MemoryReservation: 0,
    OomKillDisable: false,
    PidsLimit: l.pidsLimit,
    CapDrop: ["ALL"],
    CapAdd: spec.capabilities.map(capName),
    SecurityOpt: ["no-new-privileges:true"],
    Privileged: false,
    ReadonlyRootfs: spec.readOnlyRootfs,
    IpcMode: "private",
    PidMode: "",
    UTSMode: "",
    UsernsMode: "",
    CgroupnsMode: "private",
    Binds: [],
    Mounts: mounts,
    VolumesFrom: [],
    Init: true,
    RestartPolicy: { Name: "no" },
    AutoRemove: false,
    LogConfig: { Type: "json-file", Config: { "max-size": "10m", "max-file": "3" } },
    Devices: [],
    DeviceRequests: [],
  };
  if (spec.readOnlyRootfs) host.Tmpfs = { "/tmp": "rw,nosuid,nodev,size=64m" };
  if (l.cpus !== undefined) host.NanoCpus = Math.round(l.cpus * 1e9);
  if (l.cpuset !== undefined) host.CpusetCpus = l.cpuset;
  if (l.storageBytes !== undefined && ctx.withStorageOpt) {
    host.StorageOpt = { size: String(l.storageBytes) };
  }
  if (spec.gpus?.vendor === "nvidia") {
    host.DeviceRequests = [{
      Driver: "nvidia",
      DeviceIDs: spec.gpus.indexes.map(String),
      Capabilities: [["gpu"]],
    }];
  } else if (spec.gpus?.vendor === "amd") {
    const dev = (p: string) => ({ PathOnHost: p, PathInContainer: p, CgroupPermissions: "rwm" });
    host.Devices = [
      dev("/dev/kfd"),
      ...spec.gpus.indexes.flatMap((
        i,
      ) => [dev(`/dev/dri/card${i}`), dev(`/dev/dri/renderD${128 + i}`)]),
    ];
  }
  return {
    Image: ctx.imageId,
    Cmd: spec.command,
    Entrypoint: spec.entrypoint,
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    User: spec.user,
    WorkingDir: spec.workingDir,
    ExposedPorts: exposed,
    NetworkDisabled: ctx.network === undefined,
    Labels: {
      [LABEL_AGENT]: ctx.agentId,
      [LABEL_DEAL]: ctx.dealId,
      [LABEL_TASK]: ctx.taskId,
      [LABEL_IMAGE]: ctx.reference,
      [LABEL_DIGEST]: ctx.digest,
    },
    HostConfig: host,
  };
}
