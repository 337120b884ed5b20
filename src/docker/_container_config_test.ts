import assert from "node:assert/strict";
import { buildContainerConfig, type TaskContext } from "./_container_config.ts";
import { parseTaskSpec } from "./task_spec.ts";

const ctx: TaskContext = {
  agentId: "rig1",
  dealId: "42",
  taskId: "t1",
  imageId: "sha256:" + "a".repeat(64),
  reference: "127.0.0.1:5000/sonm/app:1",
  digest: "sha256:" + "b".repeat(64),
  network: "sonm-rig1-deal-42",
  volume: "sonm-rig1-deal-42-scratch",
  publishHostIp: "127.0.0.1",
  withStorageOpt: true,
};

const base = {
  image: "127.0.0.1:5000/sonm/app:1",
  limits: { cpus: 0.5, memoryBytes: 64 * 2 ** 20, pidsLimit: 32, storageBytes: 2 ** 30 },
};

Deno.test("buildContainerConfig() hardens every container", () => {
  const c = buildContainerConfig(parseTaskSpec(base), ctx);
  const h = c.HostConfig ?? {};
  assert.deepEqual(h.CapDrop, ["ALL"]);
  assert.deepEqual(h.CapAdd, []);
  assert.deepEqual(h.SecurityOpt, ["no-new-privileges:true"]);
  assert.equal(h.Privileged, false);
  assert.deepEqual(h.Binds, []);
  assert.deepEqual(h.Mounts, []);
  assert.equal(h.PidMode, "");
  assert.equal(h.IpcMode, "private");
  assert.equal(h.NetworkMode, "sonm-rig1-deal-42");
  assert.equal(h.Memory, 64 * 2 ** 20);
  assert.equal(h.MemorySwap, 64 * 2 ** 20, "no swap beyond memory");
  assert.equal(h.NanoCpus, 500_000_000);
  assert.equal(h.PidsLimit, 32);
  assert.deepEqual(h.StorageOpt, { size: String(2 ** 30) });
  assert.equal(c.Image, ctx.imageId, "runs the resolved image id, not the tag");
  assert.deepEqual(c.Labels, {
    "sonm.agent": "rig1",
    "sonm.deal": "42",
    "sonm.task": "t1",
    "sonm.image": ctx.reference,
    "sonm.digest": ctx.digest,
  });
});

Deno.test("buildContainerConfig() maps ports, scratch, read-only rootfs and cpuset", () => {
  const spec = parseTaskSpec({
    ...base,
    limits: { ...base.limits, cpus: undefined, cpuset: "0-1", networkMode: "none" },
    ports: [{ containerPort: 8080 }, { containerPort: 53, protocol: "udp" }],
    readOnlyRootfs: true,
    scratchPath: "/scratch",
    capabilities: ["NET_BIND_SERVICE"],
  });
  const c = buildContainerConfig(spec, { ...ctx, network: undefined });
  const h = c.HostConfig ?? {};
  assert.deepEqual(Object.keys(c.ExposedPorts ?? {}), ["8080/tcp", "53/udp"]);
  assert.deepEqual(h.PortBindings, {
    "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }],
    "53/udp": [{ HostIp: "127.0.0.1", HostPort: "" }],
  });
  assert.equal(h.NetworkMode, "none");
  assert.equal(c.NetworkDisabled, true);
  assert.equal(h.ReadonlyRootfs, true);
  assert.deepEqual(h.Tmpfs, { "/tmp": "rw,nosuid,nodev,size=64m" });
  assert.deepEqual(h.Mounts, [{
    Type: "volume",
    Source: ctx.volume,
    Target: "/scratch",
    ReadOnly: false,
  }]);
  assert.equal(h.CpusetCpus, "0-1");
  assert.equal(h.NanoCpus, undefined);
  assert.deepEqual(h.CapAdd, ["CAP_NET_BIND_SERVICE"]);
});

Deno.test("buildContainerConfig() asks for NVIDIA GPUs by index and AMD GPUs by device path", () => {
  const nv = buildContainerConfig(
    parseTaskSpec({ ...base, gpus: { vendor: "nvidia", indexes: [0, 2] } }),
    ctx,
  );
  assert.deepEqual(nv.HostConfig?.DeviceRequests, [
    { Driver: "nvidia", DeviceIDs: ["0", "2"], Capabilities: [["gpu"]] },
  ]);
  const amd = buildContainerConfig(
    parseTaskSpec({ ...base, gpus: { vendor: "amd", indexes: [1] } }),
    ctx,
  );
  assert.deepEqual(
    (amd.HostConfig?.Devices as { PathOnHost: string }[]).map((d) => d.PathOnHost),
    ["/dev/kfd", "/dev/dri/card1", "/dev/dri/renderD129"],
  );
});

Deno.test("parseTaskSpec() names the bad field and value", () => {
  assert.throws(
    () => parseTaskSpec({ ...base, limits: { ...base.limits, memoryBytes: 1024 } }),
    /^DockerValidationError: Cannot accept task spec: limits\.memoryBytes .*: current value is 1024$/,
  );
  assert.throws(
    () => parseTaskSpec({ ...base, image: "Bad Image" }),
    /Cannot accept task spec: image .*current value is "Bad Image"/,
  );
  assert.throws(() => parseTaskSpec({ ...base, privileged: true }), /privileged/);
});
