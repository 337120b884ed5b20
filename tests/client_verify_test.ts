/**
 * `client verify` on the devnet with a real dockerd, through the CLI only:
 * the rig's own probe image (scripts/build_probes.sh images) runs inside the
 * demo consumer's deal, under the deal's limits, and each benchmark its ASK
 * promises is judged; the rig's signed bench report is checked against the
 * supplier and the ASK.
 *
 * - an honest rig passes (exit 0), the result kept (`--history`);
 * - its report edited on disk is refused (exit 1);
 * - the rig refusing the probe image (`docker.allow_probe_images: false`,
 *   reloaded live) leaves every benchmark "not measurable", never ok (exit 3);
 * - a rig whose cached all-threads score claims 4x its threads (the test edits
 *   its state, as a cheating owner would) fails on that CPU score (exit 1),
 *   though its report agrees with its ASK; `client close --blacklist` then makes the consumer's
 *   next BID fail rule 3 against that rig's ASK (`client market`).
 *
 * Needs: docker.io (dockerd running), busybox-static, sysbench.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CliResult, runCli, spawnCliAgent } from "./_fixtures/agent_cli.ts";
import { until } from "./_fixtures/agent_rig.ts";
import { ensureDockerd, lockDockerd } from "./_fixtures/dockerd.ts";
import { collectGarbage } from "../src/docker/mod.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

type Line = { key: string; verdict: string; ratio: number | null; reason: string };
type Verified = {
  result: string;
  lines: Line[];
  report: { status: string; reason: string; beyond: string[] };
  timings: Record<string, number>;
  next: string[];
};

function rigYaml(allowProbes?: boolean): string {
  return `data_dir: ./.data
chain: devnet
keystore: { path: ./.data/keystore.json, passphrase_file: ./.data/keystore.pass }
dashboard: { enabled: false }
docker:
  allowed_images: []
${allowProbes === undefined ? "" : `  allow_probe_images: ${allowProbes}\n`}plans:
  - name: one-core
    price_usd_per_hour: "0.05"
    resources: { cpu_cores: 1, ram: 64MiB }
    tag: verify
`;
}

async function sh(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  const o = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const d = new TextDecoder();
  return { code: o.code, out: d.decode(o.stdout) + d.decode(o.stderr) };
}

function verified(r: CliResult, code: number): Verified {
  assert.equal(r.code, code, `verify exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout) as Verified;
}

const verdicts = (v: Verified) => Object.fromEntries(v.lines.map((l) => [l.key, l.verdict]));

Deno.test("client verify: an honest rig passes, a tampered report and an inflated ASK fail, a refused probe is not measurable, a blacklist bars the next BID", async (t) => {
  const lock = await lockDockerd("shared");
  const docker = await ensureDockerd();
  const dir = await Deno.makeTempDir({ prefix: "sonm-verify-" });
  const rigConfig = join(dir, "rig.yaml");
  const data = join(dir, ".data");
  const demo = join(data, "demo-consumer", "client.yaml");
  let rig: ReturnType<typeof spawnCliAgent> | undefined;
  let agentId: string | undefined;
  const timings: Record<string, number>[] = [];
  const startRig = async () => {
    rig = spawnCliAgent(["--log-format", "json", "run", "--config", rigConfig]);
    const ready = await rig.waitFor("agent is ready");
    agentId = `rig-${String(ready.address).slice(2, 14).toLowerCase()}`;
    await rig.waitFor("opened deal", "the demo consumer's deal", 0, 60_000);
  };
  const verify = (...extra: string[]) =>
    runCli(["client", "verify", "--config", demo, "--deal", "1", "--json", ...extra], {
      timeoutMs: 120_000,
    });
  try {
    const built = await sh("bash", [`${ROOT}scripts/build_probes.sh`, "images"]);
    assert.equal(built.code, 0, built.out);
    await Deno.writeTextFile(rigConfig, rigYaml());
    // the rig's figures, measured once and cached in its state (what its ASK offers)
    const bench = await runCli([
      "bench",
      "--config",
      rigConfig,
      "--only",
      "cpu-sysbench-multi,cpu-sysbench-single",
      "--json",
    ]);
    assert.equal(bench.code, 0, bench.stderr);
    await startRig();

    await t.step("an honest rig passes; the result is kept", async () => {
      const v = verified(await verify(), 0);
      assert.equal(v.result, "pass", JSON.stringify(v, null, 2));
      assert.deepEqual(verdicts(v), {
        "cpu-sysbench-multi": "ok",
        "cpu-sysbench-single": "ok",
        "cpu-cores": "ok",
        "ram-size": "ok",
      });
      assert.equal(v.report.status, "agrees", v.report.reason);
      assert.match(v.next[0]!, /client submit --deal 1/);
      timings.push(v.timings);
      const kept = await runCli(["client", "verify", "--config", demo, "--history", "--json"]);
      assert.equal(kept.code, 0, kept.stderr);
      assert.deepEqual(JSON.parse(kept.stdout).map((k: Verified) => k.result), ["pass"]);
      const table = await runCli(["client", "verify", "--config", demo, "--history"]);
      assert.match(table.stdout, /^AT\s+DEAL\s+RESULT/);
      // for people: the verdict, the report, a line a benchmark, where the time went, what next
      const human = await runCli(["client", "verify", "--config", demo, "--deal", "1"]);
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, /^deal 1 \(ASK \d+, supplier 0x[0-9a-fA-F]{40}\): PASS$/m);
      assert.match(human.stdout, /^signed report: agrees/m);
      assert.match(human.stdout, /^BENCHMARK\s+PROMISED\s+EXPECTED\s+MEASURED\s+RATIO\s+VERDICT/m);
      assert.match(human.stdout, /^cpu-sysbench-multi .* ok /m);
      assert.match(human.stdout, /^timings: lookup \d+ ms/m);
      assert.match(human.stdout, /^next: /m);
    });

    await t.step("a report edited on the rig is refused: exit 1", async () => {
      const file = join(data, "bench-report.json");
      const honest = await Deno.readTextFile(file);
      const signed = JSON.parse(honest);
      for (const r of signed.report.results) {
        if (r.id === 1) r.value = String(BigInt(r.value) * 4n);
      }
      await Deno.writeTextFile(file, JSON.stringify(signed));
      try {
        const v = verified(await verify(), 1);
        assert.equal(v.report.status, "refused");
        assert.match(v.report.reason, /edited after signing/);
        assert.equal(v.result, "fail");
      } finally {
        await Deno.writeTextFile(file, honest);
      }
    });

    await t.step("a rig refusing the probe image: not measurable, never ok, exit 3", async () => {
      const from = rig!.lines.length;
      await Deno.writeTextFile(rigConfig, rigYaml(false));
      rig!.hangUp();
      await rig!.waitFor(
        (l) => l.msg === "config reload: applied" && l.field === "docker.allow_probe_images",
        "the reload",
        from,
      );
      const v = verified(await verify(), 3);
      assert.equal(v.result, "inconclusive");
      for (const line of v.lines) {
        assert.equal(line.verdict, "not measurable", JSON.stringify(line));
        assert.match(line.reason, /refused the probe image \(policy\)/);
      }
      assert.match(v.next.join("\n"), /allow_probe_images/);
      await Deno.writeTextFile(rigConfig, rigYaml());
    });

    await t.step(
      "a rig whose cached figures claim 4x its threads fails on the CPU score: exit 1",
      async () => {
        assert.equal(await rig!.stop("SIGINT"), 0);
        const db = new DatabaseSync(join(data, "agent.sqlite"));
        // the all-threads score of 4x its threads, each as fast as its one-thread score
        const threads = navigator.hardwareConcurrency;
        db.exec(
          `UPDATE bench_results SET value = 4 * ${threads} * (SELECT value FROM bench_results
           WHERE benchmark_id = 1) WHERE benchmark_id = 0`,
        );
        db.close();
        await startRig();
        const v = verified(await verify(), 1);
        assert.equal(v.result, "fail");
        assert.equal(verdicts(v)["cpu-sysbench-multi"], "short", JSON.stringify(v.lines));
        // the cheat signed its inflated figures: the report agrees; the probe caught it
        assert.equal(v.report.status, "agrees");
        assert.match(v.next.join("\n"), /client close --deal 1 --blacklist/);
      },
    );

    await t.step(
      "close --blacklist: the consumer's next BID fails rule 3 on that rig's ASK",
      async () => {
        const closed = await runCli([
          "client",
          "close",
          "--config",
          demo,
          "--deal",
          "1",
          "--blacklist",
          "--json",
        ]);
        assert.equal(closed.code, 0, closed.stderr);
        const bid = join(dir, "bid.yaml");
        await Deno.writeTextFile(
          bid,
          'price_usd_per_hour: "1"\nduration: spot\nresources: { cpu_cores: 1, ram: 64MiB }\n',
        );
        const market = await until("the rig's ASK back on the market", async () => {
          const r = await runCli(["client", "market", bid, "--config", demo, "--json"]);
          assert.equal(r.code, 0, r.stderr);
          const found = JSON.parse(r.stdout);
          return found.asks > 0 ? found : undefined;
        }, 60_000);
        assert.equal(market.matches.length, 0, JSON.stringify(market));
        assert.equal(market.nearMisses[0].rule, 3, JSON.stringify(market.nearMisses));
      },
    );

    const out = Deno.env.get("SONM_TEST_TIMINGS");
    if (out !== undefined) {
      await Deno.writeTextFile(out, JSON.stringify({ test: "client_verify", timings }) + "\n", {
        append: true,
      });
    }
    assert.equal(await rig!.stop("SIGINT"), 0);
  } finally {
    await rig?.stop("SIGINT");
    if (agentId !== undefined) {
      await collectGarbage(docker, { agentId, openDeals: [] }).catch(() => {});
    }
    docker.close();
    lock.release();
    await Deno.remove(dir, { recursive: true });
  }
});
