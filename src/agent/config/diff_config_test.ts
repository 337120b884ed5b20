import assert from "node:assert/strict";
import { diffConfig } from "./diff_config.ts";
import { parseConfig } from "./parse_config.ts";

const BASE = "chain: devnet\nkeystore: { path: k.json, passphrase_env: PASS }\n";

function plan(name: string, price: string, cores = 1): string {
  return `  - { name: ${name}, price_usd_per_hour: ${price}, resources: { cpu_cores: ${cores}, ram: 1GiB } }\n`;
}

function config(extra: string) {
  return parseConfig(BASE + extra, { file: "/etc/rig.yaml" });
}

Deno.test("diffConfig: the same config applies and refuses nothing", () => {
  const a = config("plans:\n" + plan("a", "0.5"));
  const diff = diffConfig(a, config("plans:\n" + plan("a", "0.5")));
  assert.deepEqual(diff.applied, []);
  assert.deepEqual(diff.refused, []);
  assert.deepEqual(diff.config, a);
});

Deno.test("diffConfig: fixed plans added, removed, re-priced and resized apply live", () => {
  const old = config("plans:\n" + plan("keep", "0.5") + plan("gone", "1") + plan("big", "2"));
  const next = config(
    "plans:\n" + plan("keep", "0.75") + plan("big", "2", 4) + plan("new", "3"),
  );
  const diff = diffConfig(old, next);
  assert.deepEqual(diff.refused, []);
  assert.deepEqual(diff.applied, [
    { field: "plans.keep", change: "price 0.5 -> 0.75 USD/h (its ASK is replaced)" },
    { field: "plans.big", change: "changed resources (its ASK is replaced)" },
    { field: "plans.new", change: "added at 3 USD/h" },
    { field: "plans.gone", change: "removed (its ASK is cancelled)" },
  ]);
  assert.deepEqual(diff.config.plans, next.plans);
});

Deno.test("diffConfig: a change touching an auto-priced plan needs a restart and is undone", () => {
  const old = config("plans:\n" + plan("auto1", "auto") + plan("auto2", "auto") + plan("f", "1"));
  const next = config(
    "plans:\n" + plan("auto1", "auto", 2) + plan("f", "auto") + plan("auto3", "auto"),
  );
  const diff = diffConfig(old, next);
  assert.deepEqual(diff.applied, []);
  assert.deepEqual(diff.refused.map((r) => r.field), [
    "plans.auto1",
    "plans.f",
    "plans.auto3",
    "plans.auto2",
  ]);
  assert.match(diff.refused[0]!.reason, /needs a restart/);
  // the running plans stay exactly as they were (order aside)
  const byName = (plans: { name: string }[]) =>
    [...plans].sort((x, y) => x.name.localeCompare(y.name));
  assert.deepEqual(byName(diff.config.plans), byName(old.plans));
});

Deno.test("diffConfig: level, allowed images and admins apply; start-only settings are refused", () => {
  const admin = "0x" + "ab".repeat(20);
  const old = config("");
  const next = parseConfig(
    `data_dir: /elsewhere
chain:
  rpc_url: http://127.0.0.1:1
  chain_id: 5
  contracts: { market: "0x${"1".repeat(40)}", token: "0x${"1".repeat(40)}", oracle: "0x${
      "1".repeat(40)
    }", blacklist: "0x${"1".repeat(40)}", profiles: "0x${"1".repeat(40)}" }
keystore: { path: other.json, passphrase_env: PASS }
master: "${admin}"
admins: ["${admin}"]
docker: { socket: /tmp/d.sock, allowed_images: ["docker.io/library/*"], default_limits: { pids: 64 } }
nat: { listen_ports: { tcp: 4001 } }
dashboard: { port: 9999 }
power: { load_watts: 300 }
logging: { level: debug, format: json }
`,
    { file: "/etc/rig.yaml" },
  );
  const diff = diffConfig(old, next);
  assert.deepEqual(diff.applied.map((a) => a.field), [
    "logging.level",
    "docker.allowed_images",
    "admins",
  ]);
  assert.deepEqual(diff.refused.map((r) => r.field), [
    "data_dir",
    "chain",
    "keystore",
    "master",
    "nat.listen_ports",
    "dashboard",
    "docker.socket",
    "docker.default_limits",
    "power",
    "logging.format",
  ]);
  assert.ok(diff.refused.every((r) => r.reason === "needs a restart"));
  // what runs: the live changes, and every refused one as it was
  assert.deepEqual(diff.config, {
    ...old,
    admins: [admin],
    docker: { ...old.docker, allowedImages: ["docker.io/library/*"] },
    logging: { ...old.logging, level: "debug" },
  });
});

Deno.test("diffConfig: docker.allow_probe_images applies live, and back to its default", () => {
  const plans = "plans:\n" + plan("a", "0.5");
  const off = config("docker: { allow_probe_images: false }\n" + plans);
  const dflt = config(plans);
  const diff = diffConfig(dflt, off);
  assert.deepEqual(diff.applied, [{
    field: "docker.allow_probe_images",
    change: "default -> false",
  }]);
  assert.equal(diff.config.docker.allowProbeImages, false);
  assert.deepEqual(diffConfig(off, dflt).config, dflt);
});
