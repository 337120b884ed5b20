/**
 * The self-test with real components: `sonm-agent selftest --json` on this
 * machine's dockerd and a devnet (every field checked), a check made to fail
 * (docker.socket at a missing path: exit 1, the fix named), a bad config
 * (exit 2), and the gate in the running agent: Docker gone (its socket a
 * symlink the test removes) withholds the plan (its ASK cancelled on chain,
 * one error line), Docker back places the ASK again.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { discoverHardware } from "../src/bench/mod.ts";
import { getActiveOrders } from "../src/chain/mod.ts";
import type { SelftestReport, SelftestResult } from "../src/agent/base/mod.ts";
import { getInfo } from "../src/docker/mod.ts";
import { DOCKER_SOCKET, ensureDockerd, lockDockerd } from "./_fixtures/dockerd.ts";
import { ensureBusyboxImage } from "./_fixtures/images.ts";
import { runCli } from "./_fixtures/agent_cli.ts";
import { startAgent, startRigDevnet, until, writeRigConfig } from "./_fixtures/agent_rig.ts";

const IMAGE = "sonm-selftest/busybox:1";
const PLANS = `docker:
  allowed_images: ["docker.io/sonm-selftest/*"]
  default_limits: { pids: 64 }
plans:
  - name: small
    price_usd_per_hour: "0.25"
    resources: { cpu_cores: 0.5, ram: 64MiB, storage: 16MiB, net: { outbound: false } }
`;

type Rig = Awaited<ReturnType<typeof startRigDevnet>>;

async function withRig(name: string, fn: (dir: string, rig: Rig) => Promise<void>) {
  const lock = await lockDockerd("shared");
  const docker = await ensureDockerd();
  const dir = await Deno.makeTempDir({ prefix: `selftest-${name}-` });
  let rig: Rig | undefined;
  try {
    await ensureBusyboxImage(IMAGE, "selftest");
    rig = await startRigDevnet(dir);
    await fn(dir, rig);
  } finally {
    await rig?.close();
    docker.close();
    lock.release();
    await Deno.remove(dir, { recursive: true });
  }
}

const byName = (report: SelftestReport) =>
  new Map(report.results.map((r) => [r.plan === undefined ? r.check : `${r.check}[${r.plan}]`, r]));

Deno.test("sonm-agent selftest --json passes on this machine, every check as expected", async () => {
  await withRig("cli", async (dir, rig) => {
    await writeRigConfig(dir, rig.devnet, PLANS);
    const out = await runCli(["selftest", "-c", join(dir, "rig.yaml"), "--json"]);
    assert.equal(out.code, 0, out.stderr + out.stdout);
    const report = JSON.parse(out.stdout) as SelftestReport;
    assert.ok(report.ms > 0 && report.at > 0);
    const r = byName(report);
    const docker = await ensureDockerd();
    const info = await getInfo(docker);
    docker.close();
    const expect = (key: string, status: SelftestResult["status"], detail: RegExp) => {
      const got = r.get(key);
      assert.ok(got !== undefined, `no result ${key}: ${[...r.keys()]}`);
      assert.equal(got.status, status, `${key}: ${JSON.stringify(got)}`);
      assert.match(got.detail, detail, key);
      assert.equal(typeof got.ms, "number");
    };
    expect("docker", "ok", new RegExp(`storage driver ${info.driver}`));
    assert.equal(r.get("docker")!.gates, true);
    const canCap = ["btrfs", "zfs"].includes(info.driver);
    if (!canCap && info.driver !== "overlay2") {
      expect("storage-limits", "warn", /cannot cap a container's disk: plans "small"/);
      assert.match(r.get("storage-limits")!.fix!, /overlay2 on xfs/);
    }
    expect(
      "live-restore",
      info.liveRestoreEnabled ? "ok" : "warn",
      info.liveRestoreEnabled ? /live-restore is on/ : /live-restore is off/,
    );
    // the plan's exact limits, read back from inside a real container
    expect(
      "container[small]",
      "ok",
      /sonm-selftest\/busybox:1: 0\.5 CPUs, 64 MiB memory, 64 pids, no network/,
    );
    assert.equal(r.get("container[small]")!.gates, true);
    expect("gpu", "skipped", /no plan sells|no GPU/);
    expect("disk[small]", "ok", /free under .*the plan sells 16 MiB/);
    expect(
      "chain",
      "ok",
      new RegExp(
        `chain id ${rig.devnet.chainId}, market ${rig.devnet.contracts.market.toLowerCase()}`,
      ),
    );
    assert.equal(r.get("chain")!.gates, false);
    expect("gas", "ok", new RegExp(rig.address));
    expect("allowance", "ok", /token balance .* allowance/);
    expect("clock", "ok", /clock -?\d+ s from head \d+'s time/);
    expect("relay", "skipped", /agent is not running/);
    assert.equal(report.results.filter((x) => x.status === "failed").length, 0);
    // the test containers are gone
    const left = await new Deno.Command("docker", {
      args: ["ps", "-aq", "--filter", "label=sonm.deal=selftest"],
      stdout: "piped",
    }).output();
    assert.equal(new TextDecoder().decode(left.stdout).trim(), "");
  });
});

Deno.test("sonm-agent selftest: Docker missing fails with its fix (exit 1); a bad config exits 2", async () => {
  await withRig("fail", async (dir, rig) => {
    await writeRigConfig(
      dir,
      rig.devnet,
      `${PLANS.replace("docker:", `docker:\n  socket: ${dir}/none.sock`)}`,
    );
    const out = await runCli(["selftest", "-c", join(dir, "rig.yaml"), "--json"]);
    assert.equal(out.code, 1, out.stderr);
    const r = byName(JSON.parse(out.stdout) as SelftestReport);
    assert.equal(r.get("docker")!.status, "failed");
    assert.match(r.get("docker")!.detail, /Docker is not reachable on .*none\.sock/);
    assert.match(r.get("docker")!.fix!, /start dockerd/);
    assert.equal(r.get("container")!.status, "skipped");
    assert.match(r.get("container")!.detail, /needs the "docker" check/);
    assert.equal(r.get("chain")!.status, "ok"); // the chain is unaffected
    assert.match(out.stderr, /Self-test failed: docker/);
    const text = await runCli(["selftest", "-c", join(dir, "rig.yaml")]);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /^FAILED\s+docker\s+Docker is not reachable/m);
    assert.match(text.stdout, /fix: start dockerd/);

    await Deno.writeTextFile(join(dir, "bad.yaml"), "chain: 3\n");
    const bad = await runCli(["selftest", "-c", join(dir, "bad.yaml")]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /chain: must be "devnet"/);
  });
});

Deno.test("the running agent withholds a plan while Docker is gone and offers it again when it is back", async () => {
  await withRig("gate", async (dir, rig) => {
    const socket = join(dir, "docker.sock");
    await Deno.symlink(DOCKER_SOCKET, socket);
    const config = await writeRigConfig(
      dir,
      rig.devnet,
      PLANS.replace("docker:", `docker:\n  socket: ${socket}`),
    );
    const hardware = await discoverHardware({ dataDir: dir });
    const agent = await startAgent(config, hardware, {
      agentId: `selftest-gate-${Date.now().toString(36)}`,
      selftest: { periodMs: 1500, retry: { baseMs: 500, factor: 2, capMs: 2000, jitter: 0 } },
    });
    const agentLog = () =>
      agent.logs.filter((l) => l.level !== "debug" || /self-test/.test(String(l.msg)))
        .map((l) => JSON.stringify(l)).join("\n").slice(-6000);
    try {
      const ourAsk = async () =>
        (await getActiveOrders(rig.reader)).find((o) =>
          o.type === "ASK" && o.author.toLowerCase() === rig.address.toLowerCase()
        );
      const mark = (m: string) => Deno.stderr.writeSync(new TextEncoder().encode(`[gate] ${m}\n`));
      mark("waiting for the ASK");
      const first = await until("the plan's ASK", ourAsk).catch((error) => {
        throw new Error(`${error.message}; agent log:\n${agentLog()}`);
      });

      mark(`ASK ${first.id}; removing the socket`);
      // Docker gone, as far as this agent can tell: its socket path leads to no socket
      await Deno.writeTextFile(join(dir, "not-a-socket"), "");
      await Deno.symlink(join(dir, "not-a-socket"), `${socket}.next`);
      await Deno.rename(`${socket}.next`, socket);
      await until(
        "the ASK cancelled",
        async () => (await ourAsk()) === undefined ? true : undefined,
      );
      // one error line, naming the check (docker, or container when the socket went away in the
      // middle of a container check) and its fix
      const withheld = agent.logs.filter((l) =>
        l.level === "error" && /self-test check "(docker|container)" failed/.test(String(l.msg))
      );
      assert.equal(withheld.length, 1, agentLog());
      assert.deepEqual(withheld[0]!.plans, ["small"]);
      assert.match(String(withheld[0]!.fix), /dockerd/);
      // quiet retries: a few more runs, still one error line
      const runs = () =>
        agent.logs.filter((l) => l.msg === "self-test still fails; retrying with backoff").length;
      await until("two quiet retries", () => runs() >= 2 ? true : undefined);
      assert.equal(
        agent.logs.filter((l) => l.level === "error" && /self-test/.test(String(l.msg))).length,
        1,
      );

      mark("socket back");
      await Deno.symlink(DOCKER_SOCKET, `${socket}.next`);
      await Deno.rename(`${socket}.next`, socket);
      const back = performance.now();
      const again = await until("the ASK placed again", ourAsk).catch((error) => {
        throw new Error(`${error.message}; agent log:\n${agentLog()}`);
      });
      const backMs = Math.round(performance.now() - back);
      assert.notEqual(again.id, first.id);
      assert.ok(
        agent.logs.some((l) =>
          l.level === "info" &&
          /"(docker|container)" passes: plans offered again/.test(String(l.msg))
        ),
      );
      assert.ok(backMs < 15_000, `ASK back after ${backMs} ms`);
      mark(`ASK back after ${backMs} ms`);
    } catch (error) {
      Deno.stderr.writeSync(new TextEncoder().encode(`[gate] failed: ${error}\n${agentLog()}\n`));
      throw error;
    } finally {
      await agent.stop();
    }
  });
});
