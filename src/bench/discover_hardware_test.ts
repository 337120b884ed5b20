import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { discoverHardware } from "./discover_hardware.ts";
import type { HardwareSources, ToolOutput } from "./hardware_sources.ts";
import { hardwareFingerprint } from "./hardware_fingerprint.ts";

const HW = fileURLToPath(new URL("../../tests/_fixtures/hw/", import.meta.url));
const read = (p: string) => Deno.readTextFileSync(HW + p);

type Tool = (args: readonly string[]) => ToolOutput | undefined;

/** Sources replaying recorded outputs: files by path, a sysfs tree under `sysRoot`, tools by name. */
function recorded(
  a: { files: Record<string, string>; sysRoot?: string; tools?: Record<string, Tool> },
): HardwareSources & { calls: string[] } {
  const calls: string[] = [];
  const sys = (path: string) =>
    a.sysRoot !== undefined && path.startsWith("/sys/") ? HW + a.sysRoot + path : undefined;
  return {
    calls,
    readText(path) {
      if (path in a.files) return Promise.resolve(a.files[path]);
      const p = sys(path);
      try {
        return Promise.resolve(p === undefined ? undefined : Deno.readTextFileSync(p));
      } catch {
        return Promise.resolve(undefined);
      }
    },
    listDir(path) {
      const p = sys(path);
      try {
        return Promise.resolve(
          p === undefined ? [] : [...Deno.readDirSync(p)].map((e) => e.name).sort(),
        );
      } catch {
        return Promise.resolve([]);
      }
    },
    run(command, args) {
      calls.push([command, ...args].join(" "));
      const tool = a.tools?.[command];
      return Promise.resolve(tool === undefined ? undefined : tool(args));
    },
    statfs: () => Promise.resolve({ totalBytes: 100 * 2 ** 30, freeBytes: 40 * 2 ** 30 }),
    interfaces: () => [
      { name: "lo", mac: "00:00:00:00:00:00", address: "127.0.0.1" },
      { name: "eth0", mac: "02:fc:00:00:00:01", address: "192.0.2.2" },
      { name: "eth0", mac: "02:fc:00:00:00:01", address: "fd00::2" },
    ],
  };
}

const epycFiles = {
  "/proc/cpuinfo": read("epyc-2core-pocl/cpuinfo"),
  "/proc/meminfo": read("epyc-2core-pocl/meminfo"),
  "/sys/class/net/eth0/speed": "10000\n",
};

Deno.test("discoverHardware() reads CPU, RAM, storage and OpenCL of the recorded PoCL machine", async () => {
  const sources = recorded({
    files: epycFiles,
    tools: { clinfo: () => ({ code: 0, stdout: read("epyc-2core-pocl/clinfo-raw.txt") }) },
  });
  const hw = await discoverHardware({ dataDir: "/data", sources });
  assert.equal(hw.cpu.model, "AMD EPYC");
  assert.equal(hw.cpu.vendor, "AuthenticAMD");
  assert.deepEqual([hw.cpu.sockets, hw.cpu.cores, hw.cpu.threads], [1, 2, 2]);
  assert.ok(hw.cpu.flags.includes("avx512f") && hw.cpu.flags.includes("sha_ni"));
  assert.equal(hw.memory.totalBytes, 24683620 * 1024);
  assert.deepEqual(hw.storage, {
    path: "/data",
    totalBytes: 100 * 2 ** 30,
    freeBytes: 40 * 2 ** 30,
  });
  assert.deepEqual(hw.network.find((n) => n.name === "eth0"), {
    name: "eth0",
    mac: "02:fc:00:00:00:01",
    speedMbps: 10000,
    addresses: ["192.0.2.2", "fd00::2"],
  });
  assert.equal(hw.network.find((n) => n.name === "lo")?.speedMbps, undefined);
  assert.deepEqual(hw.gpus, []);
  assert.equal(hw.opencl.length, 1);
  assert.deepEqual(hw.opencl[0], {
    platform: "Portable Computing Language",
    name: "pthread-skylake-avx512-AMD EPYC",
    vendor: "AuthenticAMD",
    type: "cpu",
    driverVersion: "3.1+debian",
    memBytes: 4298465280,
    computeUnits: 2,
  });
  assert.ok(hw.notes.includes("nvidia: nvidia-smi not installed"));
  assert.ok(hw.notes.includes("gpu: no NVIDIA or AMD GPU found"));
});

Deno.test("discoverHardware() reads the recorded H100's identity from nvidia-smi", async () => {
  const sources = recorded({
    files: epycFiles,
    tools: {
      "nvidia-smi": (args) =>
        args[0] === "--version"
          ? { code: 0, stdout: read("h100-80gb-hbm3/nvidia-smi-version.txt") }
          : { code: 0, stdout: read("h100-80gb-hbm3/nvidia-smi-query-gpu.csv") },
    },
  });
  const hw = await discoverHardware({ dataDir: "/data", sources });
  assert.deepEqual(hw.gpus, [{
    vendor: "nvidia",
    index: 0,
    name: "NVIDIA H100 80GB HBM3",
    uuid: "GPU-00000000-0000-0000-0000-000000000000",
    pciBusId: "0000:00:09.0",
    pciDeviceId: "10de:2330",
    pciSubsystemId: "10de:16c1",
    memBytes: 81559 * 2 ** 20,
    computeCapability: "9.0",
    driverVersion: "590.48.01",
    cudaVersion: "13.1",
    powerLimitW: 700,
    source: "nvidia-smi",
  }]);
  assert.ok(sources.calls.some((c) => c.startsWith("nvidia-smi --query-gpu=index,name,uuid")));
  assert.ok(!hw.notes.some((n) => n.startsWith("gpu:")));
});

Deno.test("discoverHardware() retries nvidia-smi without compute_cap for drivers before 510", async () => {
  const csv = read("h100-80gb-hbm3/nvidia-smi-query-gpu.csv");
  const sources = recorded({
    files: epycFiles,
    tools: {
      "nvidia-smi": (args) => {
        if (args[0]?.includes("compute_cap")) {
          return { code: 2, stdout: 'Field "compute_cap" is not a valid field to query.\n' };
        }
        if (args.length === 0) {
          return {
            code: 0,
            stdout: "| NVIDIA-SMI 470.82.01  Driver Version: 470.82.01  CUDA Version: 11.4 |\n",
          };
        }
        if (args[0] === "--version") return { code: 4, stdout: "" };
        return { code: 0, stdout: csv };
      },
    },
  });
  const hw = await discoverHardware({ dataDir: "/data", sources });
  assert.equal(hw.gpus.length, 1);
  assert.equal(hw.gpus[0]?.cudaVersion, "11.4");
  assert.equal(sources.calls.filter((c) => c.includes("--query-gpu")).length, 2);
});

Deno.test("discoverHardware() finds an AMD card in sysfs and names it from rocm-smi", async () => {
  const sources = recorded({
    files: epycFiles,
    sysRoot: "amd-sysfs-constructed",
    tools: { "rocm-smi": () => ({ code: 0, stdout: read("amd-sysfs-constructed/rocm-smi.json") }) },
  });
  const hw = await discoverHardware({ dataDir: "/data", sources });
  assert.equal(hw.gpus.length, 1, "card1 is not an AMD device and must be skipped");
  assert.deepEqual(hw.gpus[0], {
    vendor: "amd",
    index: 0,
    name: "Navi 21 [Radeon RX 6800/6800 XT / 6900 XT]",
    uuid: "0x9e6c3b1a2f4d5c17",
    pciBusId: "0000:0b:00.0",
    pciDeviceId: "1002:73bf",
    pciSubsystemId: "1002:0e3a",
    memBytes: 17163091968,
    computeCapability: "gfx1030",
    driverVersion: "6.3.6",
    cudaVersion: "",
    powerLimitW: undefined,
    source: "rocm-smi",
  });
});

Deno.test("discoverHardware() names an AMD card by its PCI ids when rocm-smi is missing", async () => {
  const sources = recorded({ files: epycFiles, sysRoot: "amd-sysfs-constructed" });
  const hw = await discoverHardware({ dataDir: "/data", sources });
  assert.equal(hw.gpus[0]?.name, "AMD GPU 1002:73bf");
  assert.equal(hw.gpus[0]?.source, "sysfs");
  assert.ok(hw.notes.includes("amd: rocm-smi not installed: names from sysfs only"));
});

Deno.test("hardwareFingerprint() changes with the GPU driver and not with free space", async () => {
  const base = await discoverHardware({
    dataDir: "/data",
    sources: recorded({
      files: epycFiles,
      tools: {
        "nvidia-smi": (args) =>
          args[0] === "--version"
            ? { code: 0, stdout: read("h100-80gb-hbm3/nvidia-smi-version.txt") }
            : { code: 0, stdout: read("h100-80gb-hbm3/nvidia-smi-query-gpu.csv") },
      },
    }),
  });
  const a = hardwareFingerprint(base).hash;
  const b = hardwareFingerprint({ ...base, storage: { ...base.storage, freeBytes: 1 } }).hash;
  const c = hardwareFingerprint({
    ...base,
    gpus: base.gpus.map((g) => ({ ...g, driverVersion: "595.71.05" })),
  }).hash;
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.equal(a, b);
  assert.notEqual(a, c);
});

Deno.test("discoverHardware() on the live machine finds at least one CPU thread and RAM", async () => {
  const hw = await discoverHardware({ dataDir: "." });
  assert.ok(hw.cpu.threads >= 1);
  assert.ok(hw.memory.totalBytes > 0);
  assert.ok(hw.storage.totalBytes > 0);
  assert.ok(hw.network.some((n) => n.name === "lo"));
});

Deno.test("discoverHardware() measures storage on the nearest existing parent of a new data directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const hw = await discoverHardware({ dataDir: `${dir}/not/yet/there` });
    assert.ok(hw.storage.totalBytes > 0);
    assert.ok(!hw.notes.some((n) => n.startsWith("storage:")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
