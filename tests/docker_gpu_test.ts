/**
 * GPUs for tasks: NVIDIA through `DeviceRequests` (needs the NVIDIA container
 * toolkit), AMD through `/dev/kfd` and `/dev/dri` device paths. Each test runs
 * only where such a GPU exists and is reported as ignored elsewhere (the
 * mapping itself is unit-tested in src/docker/_container_config_test.ts).
 */
import assert from "node:assert/strict";
import { collectGarbage, execContainer, startTask, stopTask } from "../src/docker/mod.ts";
import { ensureDockerd, lockDockerd } from "./_fixtures/dockerd.ts";
import { ensureBusyboxImage } from "./_fixtures/images.ts";
import { startRegistry } from "./_fixtures/registry.ts";

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function onPath(bin: string): boolean {
  return (Deno.env.get("PATH") ?? "").split(":").some((d) => exists(`${d}/${bin}`));
}

const hasNvidia = exists("/dev/nvidia0") && onPath("nvidia-container-cli");
const hasAmd = exists("/dev/kfd") && exists("/dev/dri/renderD128");

async function runWithGpu(vendor: "nvidia" | "amd", expectPaths: string[]): Promise<void> {
  const lock = await lockDockerd("shared");
  const docker = await ensureDockerd();
  const registry = await startRegistry();
  const agentId = `gpu${Date.now().toString(36)}`;
  try {
    const pushed = await registry.push(await ensureBusyboxImage(), "sonm/busybox:1");
    const task = await startTask(docker, {
      spec: {
        image: pushed.reference,
        command: ["sleep", "60"],
        limits: { memoryBytes: 64 * 2 ** 20, pidsLimit: 16 },
        gpus: { vendor, indexes: [0] },
      },
      policy: { allowPatterns: [`${registry.address}/sonm/*`], pull: "missing" },
      registryAuth: { username: registry.username, password: registry.password },
      agentId,
      dealId: "1",
      taskId: "gpu",
    });
    for (const p of expectPaths) {
      const r = await execContainer(docker, { id: task.containerId, cmd: ["ls", p] });
      assert.equal(r.exitCode, 0, `${p} missing in the container: ${r.stderr}`);
    }
    await stopTask(docker, { containerId: task.containerId, timeoutSeconds: 0 });
  } finally {
    await collectGarbage(docker, { agentId, openDeals: [] });
    await registry.close();
    docker.close();
    lock.release();
  }
}

Deno.test({
  name: "startTask() passes the deal's NVIDIA GPU" +
    (hasNvidia ? "" : " (ignored: no /dev/nvidia0 or NVIDIA container toolkit here)"),
  ignore: !hasNvidia,
  fn: () => runWithGpu("nvidia", ["/dev/nvidia0"]),
});

Deno.test({
  name: "startTask() passes the deal's AMD GPU device paths" +
    (hasAmd ? "" : " (ignored: no /dev/kfd or /dev/dri/renderD128 here)"),
  ignore: !hasAmd,
  fn: () => runWithGpu("amd", ["/dev/kfd", "/dev/dri/renderD128", "/dev/dri/card0"]),
});
