/**
 * The GPU probes' figures. On an NVIDIA machine (nvidia-smi present): the CUDA
 * probe in full mode (Ethash: epoch DAG built on the device, vectors checked,
 * then hashing; FP32 FMA GFLOPS). Elsewhere: the OpenCL probe on whatever
 * OpenCL offers (PoCL on a CPU here): the light-cache vector check and FP32
 * GFLOPS, which measure the CPU, not a GPU. Writes
 * bench/results/gpu_probes.json and prints a table.
 *
 *   deno run -A bench/gpu_probes_bench.ts [--quick]
 */
// deno-lint-ignore-file no-console -- a benchmark prints its table
import { dirname, join } from "node:path";
import {
  createNativeProbeRunner,
  ETHASH_VECTORS,
  probeGpuEthash,
  probeGpuFp32,
} from "../src/bench/mod.ts";

const quick = Deno.args.includes("--quick");
const HERE = dirname(new URL(import.meta.url).pathname);
const ROOT = join(HERE, "..");

async function hasNvidiaGpu(): Promise<boolean> {
  try {
    const out = await new Deno.Command("nvidia-smi", {
      args: ["-L"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

const hasNvidia = await hasNvidiaGpu();
const api = hasNvidia ? "cuda" : "opencl";
const built = await new Deno.Command("bash", {
  args: [join(ROOT, "scripts/build_probes.sh"), api],
  stdout: "null",
}).output();
if (!built.success) {
  throw new Error(`Cannot build the ${api} probe: scripts/build_probes.sh failed`);
}

const runProbe = createNativeProbeRunner();
const figures: Record<string, unknown> = { api, quick };

if (api === "cuda") {
  const epoch166 = ETHASH_VECTORS.filter((v) => Math.floor(v.blockNumber / 30000) === 166);
  const eth = await probeGpuEthash({ runProbe }, {
    api,
    mode: "full",
    vectors: epoch166,
    seconds: quick ? 3 : 20,
  });
  const fp = await probeGpuFp32({ runProbe }, { api, seconds: quick ? 2 : 10 });
  Object.assign(figures, {
    device: eth.details.device,
    ethashHashesPerSecond: Number(eth.value),
    ethashMHs: Number(eth.value) / 1e6,
    ethashEpoch: eth.details.epoch,
    ethashDatasetBytes: eth.details.datasetBytes,
    ethashVectorsOk: eth.details.vectors.every((v) => v.ok),
    ethashCacheSeconds: eth.details.cacheSeconds,
    ethashDagSeconds: eth.details.dagSeconds,
    fp32Gflops: Number(fp.value),
    fp32Tflops: Number(fp.value) / 1e3,
    fp32Checked: fp.details.checked,
  });
} else {
  const epoch0 = ETHASH_VECTORS.filter((v) => v.blockNumber < 30000);
  const started = performance.now();
  const eth = await probeGpuEthash({ runProbe }, {
    api,
    mode: "light",
    vectors: quick ? epoch0.slice(0, 1) : epoch0,
    dagCheckPages: quick ? 64 : 512,
  });
  const checkSeconds = (performance.now() - started) / 1000;
  const fp = await probeGpuFp32({ runProbe }, { api, seconds: quick ? 0.5 : 5 });
  Object.assign(figures, {
    device: eth.details.device,
    note: "OpenCL on a CPU (PoCL): correctness and CPU figures, not a GPU hashrate",
    ethashLightVectors: eth.details.vectors.length,
    ethashVectorsOk: eth.details.vectors.every((v) => v.ok),
    ethashDagCheckOk: eth.details.dagCheck?.ok ?? null,
    ethashCacheSeconds: eth.details.cacheSeconds,
    ethashLightHashSeconds: eth.details.hashSeconds,
    ethashCheckWallSeconds: Math.round(checkSeconds * 100) / 100,
    fp32Gflops: Number(fp.value),
    fp32Checked: fp.details.checked,
  });
}

await Deno.mkdir(join(HERE, "results"), { recursive: true });
await Deno.writeTextFile(
  join(HERE, "results", "gpu_probes.json"),
  JSON.stringify(figures, null, 2) + "\n",
);
for (const [k, v] of Object.entries(figures)) {
  console.log(`${k.padEnd(24)} ${typeof v === "object" ? JSON.stringify(v) : v}`);
}
