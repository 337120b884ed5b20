import assert from "node:assert/strict";
import { RequestRefusedError } from "../../nat/mod.ts";
import type { PlanConfig } from "../config/config.ts";
import { imagePolicyOf, taskSpecForDeal } from "./task_limits.ts";

function plan(resources: Partial<PlanConfig["resources"]> = {}): PlanConfig {
  return {
    name: "p",
    priceUsdPerHour: "1",
    duration: "spot",
    resources: {
      cpuCores: 1.5,
      ramBytes: 2 ** 30,
      storageBytes: 0,
      gpus: [],
      net: { overlay: false, outbound: true, incoming: false },
      ...resources,
    },
    identityLevel: 0,
    counterparty: undefined,
    blacklist: undefined,
    tag: "",
  };
}
const options = {
  defaultLimits: { cpus: 1, memoryBytes: 2 ** 30, pids: 128 },
  rigGpus: [{ index: 0, vendor: "nvidia" }, { index: 1, vendor: "nvidia" }, {
    index: 2,
    vendor: "amd",
  }],
};

Deno.test("taskSpecForDeal() gives the container exactly the plan's resources", () => {
  const spec = taskSpecForDeal(
    plan({ storageBytes: 2 ** 31, gpus: [0, 1] }),
    { image: "r/a:1", command: ["sh"], env: { A: "1" } },
    options,
  );
  assert.deepEqual(spec, {
    image: "r/a:1",
    command: ["sh"],
    env: { A: "1" },
    limits: {
      cpus: 1.5,
      memoryBytes: 2 ** 30,
      pidsLimit: 128,
      networkMode: "bridge",
      storageBytes: 2 ** 31,
    },
    scratchPath: "/scratch",
    gpus: { vendor: "nvidia", indexes: [0, 1] },
  });
});

Deno.test("taskSpecForDeal() uses AMD device paths, no network without outbound", () => {
  const spec = taskSpecForDeal(
    plan({ gpus: [2], net: { overlay: false, outbound: false, incoming: false } }),
    { image: "r/a:1" },
    options,
  );
  assert.deepEqual(spec.gpus, { vendor: "amd", indexes: [2] });
  assert.equal(spec.limits.networkMode, "none");
});

Deno.test("taskSpecForDeal() refuses ports unless the plan sells incoming", () => {
  const ports = [{ containerPort: 80, protocol: "tcp" as const }];
  assert.throws(
    () => taskSpecForDeal(plan(), { image: "r/a:1", ports }, options),
    (e) =>
      e instanceof RequestRefusedError && e.code === "over-limits" && /incoming/.test(e.message),
  );
  const spec = taskSpecForDeal(
    plan({ net: { overlay: false, outbound: true, incoming: true } }),
    { image: "r/a:1", ports },
    options,
  );
  assert.deepEqual(spec.ports, ports);
});

Deno.test("taskSpecForDeal() refuses a plan whose GPUs mix vendors", () => {
  assert.throws(
    () => taskSpecForDeal(plan({ gpus: [0, 2] }), { image: "r/a:1" }, options),
    (e) => e instanceof RequestRefusedError && e.code === "unavailable",
  );
});

Deno.test("imagePolicyOf() splits digests from patterns; empty allows nothing", () => {
  assert.deepEqual(imagePolicyOf([]), { allowPatterns: [], allowDigests: [], pull: "missing" });
});
