import assert from "node:assert/strict";
import { type DockerClient, DockerSocketError } from "../../docker/mod.ts";
import type { NatStatus } from "../../nat/mod.ts";
import { runSelftest, SELFTEST_CHECKS, selftestExitCode } from "./selftest_checks.ts";

const plan = (name: string, more: { storage?: number; gpus?: number[] } = {}) => ({
  name,
  priceUsdPerHour: "0.1",
  duration: "spot" as const,
  resources: {
    cpuCores: 1,
    ramBytes: 2 ** 28,
    storageBytes: more.storage ?? 0,
    gpus: more.gpus ?? [],
    net: { overlay: false, outbound: false, incoming: false },
  },
  identityLevel: 0 as const,
  counterparty: undefined,
  blacklist: undefined,
  tag: "",
});

const config = (relays: string[] = []) => ({
  dataDir: "/tmp",
  plans: [plan("a"), plan("b", { storage: 2 ** 30 })],
  nat: { relays, listenPorts: { tcp: 0, quic: 0 } },
  docker: {
    socket: "/nowhere.sock",
    allowedImages: [],
    defaultLimits: { cpus: 1, memoryBytes: 2 ** 30, pids: 64 },
    taskRestarts: { max: 3, windowSeconds: 3600 },
    maxShellsPerDeal: 4,
  },
});

/** A Docker client whose every call fails as a missing socket does. */
const goneDocker: DockerClient = {
  socketPath: "/nowhere.sock",
  request: (req) =>
    Promise.reject(
      new DockerSocketError({ socketPath: "/nowhere.sock", method: req.method, path: req.path }),
    ),
  stream: (req) =>
    Promise.reject(
      new DockerSocketError({ socketPath: "/nowhere.sock", method: req.method, path: req.path }),
    ),
  apiVersion: () => Promise.resolve("1.41"),
  close: () => {},
};

Deno.test("runSelftest() fails docker with its fix and skips what needs Docker", async () => {
  const report = await runSelftest({ docker: goneDocker, natStatus: () => undefined }, {
    config: config(),
    rigGpus: [],
    agentId: "rig-1",
  });
  const by = new Map(report.results.map((r) => [r.check, r]));
  assert.deepEqual(
    [...new Set(report.results.map((r) => r.check))],
    SELFTEST_CHECKS.map((c) => c.id),
    "one result (at least) per check, in the table's order",
  );
  assert.equal(by.get("docker")?.status, "failed");
  assert.match(by.get("docker")!.detail, /Docker is not reachable on \/nowhere\.sock/);
  assert.match(by.get("docker")!.fix!, /start dockerd/);
  for (const id of ["storage-limits", "live-restore", "container", "gpu", "disk"]) {
    assert.equal(by.get(id)?.status, "skipped", id);
    assert.match(by.get(id)!.detail, /needs the "docker" check/);
  }
  assert.equal(by.get("chain")?.status, "skipped");
  assert.equal(by.get("relay")?.status, "skipped");
  assert.equal(selftestExitCode(report.results), 1);
});

Deno.test("runSelftest() relay: failed only when every relay failed on a rig that is not public", async () => {
  const status = (state: "connecting" | "reserved" | "failed", cls = "cone"): NatStatus => ({
    peerId: "p",
    class: cls as NatStatus["class"],
    mappings: [],
    addrs: [],
    diagnostics: [],
    relays: [{
      peerId: "r",
      addrs: ["/ip4/1.2.3.4/tcp/1/p2p/r"],
      state,
      circuitAddrs: [],
      reservations: 0,
    }],
  });
  const relay = async (s: NatStatus | undefined, relays = ["/ip4/1.2.3.4/tcp/1/p2p/r"]) =>
    (await runSelftest({ docker: goneDocker, natStatus: () => s }, {
      config: config(relays),
      rigGpus: [],
      agentId: "rig-1",
    })).results.find((r) => r.check === "relay")!;
  assert.equal((await relay(status("failed"))).status, "failed");
  assert.equal((await relay(status("failed"))).gates, true);
  assert.equal((await relay(status("connecting"))).status, "warn");
  assert.equal((await relay(status("reserved"))).status, "ok");
  assert.equal((await relay(status("failed", "public"))).status, "ok");
  assert.equal((await relay(status("failed"), [])).status, "skipped");
});
