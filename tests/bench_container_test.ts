/**
 * Probes in their containers on a real dockerd: the images are built locally
 * from the repo (scripts/build_probes.sh images: FROM scratch, no registry),
 * run with the SONM environment, and fall back to the native probe when the
 * container cannot reach a GPU. Needs: docker.io (dockerd running),
 * busybox-static, sysbench, gcc, ocl-icd-opencl-dev, pocl-opencl-icd.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { createContainerProbeRunner } from "../src/agent/commands/bench_command.ts";
import {
  createNativeProbeRunner,
  ETHASH_VECTORS,
  probeCpuSysbench,
  probeGpuEthash,
  type RunProbe,
} from "../src/bench/mod.ts";
import { createDockerClient } from "../src/docker/mod.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

async function sh(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  const o = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const d = new TextDecoder();
  return { code: o.code, out: d.decode(o.stdout) + d.decode(o.stderr) };
}

async function leftovers(): Promise<string> {
  return (await sh("docker", ["ps", "-aq", "--filter", "label=sonm.probe"])).out.trim();
}

Deno.test("probe containers run sysbench with the SONM environment and fall back to native for a GPU they cannot reach", async () => {
  const built = await sh("bash", [`${ROOT}scripts/build_probes.sh`, "images"]);
  assert.equal(built.code, 0, built.out);
  const docker = createDockerClient({ socketPath: "/var/run/docker.sock" });
  const native = createNativeProbeRunner();
  const nativeCalls: string[] = [];
  const countingNative: RunProbe = (r) => {
    nativeCalls.push(r.probe);
    return native(r);
  };
  const runProbe = createContainerProbeRunner(docker, countingNative);

  const cpu = await probeCpuSysbench({ runProbe }, { threads: "one", cpuCount: 2, seconds: 1 });
  assert.equal(cpu.where, "container");
  assert.equal(cpu.details.threads, 1, "SONM_BENCHMARK_ID=1 means one thread");
  assert.ok(cpu.value > 0n);
  const multi = await probeCpuSysbench({ runProbe }, { threads: "all", cpuCount: 2, seconds: 1 });
  assert.equal(multi.details.threads, 2, "SONM_CPU_COUNT reaches the container");
  assert.deepEqual(nativeCalls, []);

  // The OpenCL image has no vendor ICD here (no GPU): the probe exits 3 in the
  // container and runs natively on PoCL, still checked against the vectors.
  const eth = await probeGpuEthash({ runProbe }, {
    api: "opencl",
    mode: "light",
    vectors: ETHASH_VECTORS.slice(0, 1),
  });
  assert.equal(eth.where, "native");
  assert.deepEqual(nativeCalls, ["gpu-opencl"]);
  assert.ok(eth.details.vectors.every((v) => v.ok));
  assert.equal(await leftovers(), "", "probe containers are removed");
});
