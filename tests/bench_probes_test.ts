/**
 * The GPU probes built from src/bench/probes: the OpenCL build runs on PoCL
 * (the CPU) against the Ethash known-answer vectors and the FP32 host check;
 * the CUDA build is compiled with nvcc from pip (running it needs a GPU).
 * Needs: gcc, ocl-icd-opencl-dev, pocl-opencl-icd, python3-venv (for nvcc).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  createNativeProbeRunner,
  ETHASH_VECTORS,
  ProbeError,
  probeGpuEthash,
  probeGpuFp32,
} from "../src/bench/mod.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BUILD = `${ROOT}build/probes`;

async function build(what: "opencl" | "cuda"): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command("bash", {
    args: [`${ROOT}scripts/build_probes.sh`, what],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

const runProbe = createNativeProbeRunner({ buildDir: BUILD });
const epoch0 = ETHASH_VECTORS.filter((v) => v.blockNumber < 30000);
const epoch89 = ETHASH_VECTORS.filter((v) => Math.floor(v.blockNumber / 30000) === 89);

Deno.test("probeGpuEthash() on PoCL matches the epoch-0 vectors and the small-DAG check", async () => {
  const b = await build("opencl");
  assert.equal(b.code, 0, b.stderr);
  assert.ok(epoch0.length >= 2);
  const r = await probeGpuEthash({ runProbe }, {
    api: "opencl",
    mode: "light",
    vectors: epoch0,
    dagCheckPages: 256,
  });
  assert.equal(r.details.device.api, "opencl");
  assert.equal(r.details.epoch, 0);
  assert.equal(r.details.cacheBytes, 16776896);
  assert.equal(r.details.datasetBytes, 1073739904);
  for (const [i, v] of r.details.vectors.entries()) {
    assert.equal(v.mix, epoch0[i]!.mixHash);
    assert.equal(v.final, epoch0[i]!.finalHash);
    assert.equal(v.hostFinal, epoch0[i]!.finalHash);
  }
  assert.deepEqual(r.details.dagCheck, { pages: 256, hashes: 8, ok: true });
  assert.equal(r.value, 0n, "light mode checks, it does not time");
});

Deno.test("probeGpuEthash() fails on a wrong known answer instead of reporting a hashrate", async () => {
  const b = await build("opencl");
  assert.equal(b.code, 0, b.stderr);
  const v = epoch0[0]!;
  const flipped = (v.finalHash[0] === "0" ? "1" : "0") + v.finalHash.slice(1);
  await assert.rejects(
    () =>
      probeGpuEthash({ runProbe }, {
        api: "opencl",
        mode: "light",
        vectors: [{ ...v, finalHash: flipped }],
      }),
    (e: unknown) => {
      assert.ok(e instanceof ProbeError);
      assert.match(e.message, /Ethash vectors failed on .*: blocks 0/);
      return true;
    },
  );
});

Deno.test("probeGpuFp32() on PoCL matches the host's fmaf bit for bit and counts GFLOPS", async () => {
  const b = await build("opencl");
  assert.equal(b.code, 0, b.stderr);
  const r = await probeGpuFp32({ runProbe }, { api: "opencl", seconds: 0.3, threads: 2048 });
  assert.equal(r.details.ok, true);
  assert.ok(r.details.checked >= 32);
  assert.ok(r.details.launches >= 1);
  assert.ok(r.value > 0n);
  const expected = (r.details.threads * r.details.iters * 16 * 2 * r.details.launches) /
    r.details.seconds / 1e9;
  assert.ok(Math.abs(Number(r.value) - expected) <= 1 + expected * 0.01);
});

Deno.test("the CUDA probe compiles with nvcc from pip (sm_90) from the shared device code", async (t) => {
  const b = await build("cuda");
  if (b.code === 3) {
    t.step({ name: "skipped: nvcc cannot be installed from pip here", ignore: true, fn: () => {} });
    return;
  }
  assert.equal(b.code, 0, b.stderr);
  const stat = await Deno.stat(`${BUILD}/gpu_probe_cuda`);
  assert.ok(stat.isFile && (stat.mode ?? 0) & 0o111);
  // Without a GPU (or driver) it must still answer with one JSON line and a clear error.
  const out = await new Deno.Command(`${BUILD}/gpu_probe_cuda`, { args: ["info"], stdout: "piped" })
    .output();
  const json = JSON.parse(new TextDecoder().decode(out.stdout).trim());
  if (out.code === 0) {
    assert.equal(json.device.api, "cuda");
  } else {
    assert.equal(json.ok, false);
    assert.match(json.error, /CUDA/);
  }
});

Deno.test("probeGpuEthash() on PoCL matches a vector of epoch 89 (cache and dataset sizes past epoch 0)", async () => {
  const b = await build("opencl");
  assert.equal(b.code, 0, b.stderr);
  assert.equal(epoch89.length, 1);
  const r = await probeGpuEthash({ runProbe }, { api: "opencl", mode: "light", vectors: epoch89 });
  assert.equal(r.details.epoch, 89);
  // the prime-sized cache and dataset of epoch 89
  assert.equal(r.details.cacheBytes % 64, 0);
  assert.ok(r.details.cacheBytes <= 2 ** 24 + 2 ** 17 * 89 - 64);
  assert.ok(r.details.datasetBytes <= 2 ** 30 + 2 ** 23 * 89 - 128);
  assert.equal(r.details.vectors[0]?.final, epoch89[0]!.finalHash);
  assert.equal(r.details.vectors[0]?.mix, epoch89[0]!.mixHash);
});
