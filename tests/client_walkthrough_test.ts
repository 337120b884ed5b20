/**
 * The README's consumer walkthrough ("Buy compute"), driven through the CLI
 * only, from an empty folder: real `sonm-agent` processes, the real agent on
 * its own devnet (`chain: devnet`), the real dockerd and a real registry.
 * `client init` -> `devnet fund` -> `client market` -> `client bid` -> the
 * rig opens the deal -> `client submit` -> `client logs` -> `client forward`
 * -> `client exec` -> `client shell` -> chain time passes, the rig bills -> `client close`, ending with the
 * consumer's balance down by exactly the bills. The README's command lines
 * must be these STEPS, so the walkthrough a newcomer reads is the one CI runs.
 *
 * The client finds the rig from the deal id alone (the devnet rig's signed
 * record file, named by `client.yaml`'s `chain: { devnet }`).
 *
 * Also here, on the same rig: the bugs of the consumer's side, each a step
 * that failed before its fix.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createPublicClient, http, parseEventLogs, parseUnits } from "viem";
import { DEVNET_CHAIN_ID, marketAbi } from "../src/chain/mod.ts";
import { collectGarbage } from "../src/docker/mod.ts";
import { readDevnetFile } from "../src/agent/config/mod.ts";
import { type CliResult, runCli, spawnCliAgent } from "./_fixtures/agent_cli.ts";
import { until } from "./_fixtures/agent_rig.ts";
import { ensureDockerd, lockDockerd } from "./_fixtures/dockerd.ts";
import { ensureBusyboxImage } from "./_fixtures/images.ts";
import { startRegistry } from "./_fixtures/registry.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** The README's walkthrough, line by line (its `sh` block starting with `mkdir buyer`). */
const STEPS = [
  "mkdir buyer && cd buyer",
  "sonm-agent client init --devnet ../.data",
  "sonm-agent devnet fund",
  "sonm-agent client market bid.yaml",
  "sonm-agent client bid bid.yaml",
  "sonm-agent client orders",
  "sonm-agent client status --deal $DEAL",
  "sonm-agent client verify --deal $DEAL",
  "sonm-agent client submit --deal $DEAL --task task.yaml",
  "sonm-agent client logs --deal $DEAL",
  "sonm-agent client forward --deal $DEAL --container-port 8080",
  "sonm-agent client exec --deal $DEAL -- cat /tmp/www/index.html",
  "sonm-agent client shell --deal $DEAL",
  "sonm-agent devnet advance --hours 2",
  "sonm-agent client deals",
  "sonm-agent client close --deal $DEAL",
] as const;

/** The README's code blocks: the walkthrough's commands, its rig plan, BID and task files. */
async function readmeBlocks(): Promise<{ lang: string; lines: string[] }[]> {
  const text = await Deno.readTextFile(join(ROOT, "README.md"));
  return [...text.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({
    lang: m[1]!,
    lines: m[2]!.split("\n"),
  }));
}

/** The README block whose first line starts with `first` (comments and blank lines dropped from sh). */
async function readmeBlock(first: string): Promise<string[]> {
  const block = (await readmeBlocks()).find((b) => b.lines[0]?.startsWith(first));
  assert.ok(block !== undefined, `README has no code block starting with "${first}"`);
  return block.lang === "sh"
    ? block.lines.map((l) => l.replace(/\s+#.*$/, "").trim()).filter((l) => l !== "")
    : block.lines;
}

/** The argv of a STEPS line after `sonm-agent`, with $DEAL filled in. */
function argv(step: (typeof STEPS)[number], vars: { deal?: string } = {}): string[] {
  const words = step.split(" ");
  assert.equal(words[0], "sonm-agent");
  return words.slice(1).map((w) => w === "$DEAL" ? vars.deal ?? assert.fail("no deal yet") : w);
}

function ok(r: CliResult, what: string): string {
  assert.equal(r.code, 0, `${what} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

Deno.test("the README's consumer walkthrough: init, bid, deal, submit, logs, forward, close, paid exactly the bills", async (t) => {
  const lock = await lockDockerd("shared");
  const docker = await ensureDockerd();
  const registry = await startRegistry({ open: true });
  const dir = await Deno.makeTempDir({ prefix: "sonm-walkthrough-" });
  const rigConfig = join(dir, "rig.yaml");
  const buyer = join(dir, "buyer");
  let rig: ReturnType<typeof spawnCliAgent> | undefined;
  let agentId: string | undefined;
  try {
    // the rig's probe images: what `client verify` runs inside the deal (allowed on the devnet)
    const probes = await new Deno.Command("bash", {
      args: [join(ROOT, "scripts/build_probes.sh"), "images"],
      stdout: "null",
    }).output();
    assert.ok(probes.success, "scripts/build_probes.sh images");
    const local = await ensureBusyboxImage("walkthrough-test/busybox:1", "walkthrough");
    const image = await registry.push(local, "walk/web:1");
    // the rig: the README's plans, the devnet, and this test's registry as its allowed images
    const plans = (await readmeBlock("plans:")).join("\n");
    await Deno.writeTextFile(
      rigConfig,
      `data_dir: ./.data
chain: devnet
keystore: { path: ./.data/keystore.json, passphrase_file: ./.data/keystore.pass }
dashboard: { enabled: false }
docker:
  allowed_images: ["${registry.address}/walk/*"]
${plans}
`,
    );
    rig = spawnCliAgent(["--log-format", "json", "run", "--config", rigConfig]);
    const ready = await rig.waitFor("agent is ready");
    agentId = `rig-${String(ready.address).slice(2, 14).toLowerCase()}`;
    await rig.waitFor("the demo consumer's client config is ready");

    await t.step("the README's walkthrough is these steps", async () => {
      assert.deepEqual(await readmeBlock("mkdir buyer"), [...STEPS]);
    });

    const started = performance.now();
    const client = async (step: (typeof STEPS)[number], vars = {}, extra: string[] = []) =>
      ok(await runCli([...argv(step, vars), ...extra], { cwd: buyer }), step);
    let deal = "";
    let paidBefore = 0n;
    let firstLogMs = 0;

    await t.step(
      "init and fund a new consumer, then its BID finds the web plan's ASK",
      async () => {
        await Deno.mkdir(buyer); // mkdir buyer && cd buyer
        await client(STEPS[1]);
        const config = await Deno.readTextFile(join(buyer, "client.yaml"));
        assert.match(config, /devnet: \.\.\/\.data/);
        const funded = JSON.parse(await client(STEPS[2], {}, ["--json"]));
        assert.equal(funded.tokens, "1000");
        paidBefore = parseUnits(funded.tokens, 18);
        for (const name of ["bid.yaml", "task.yaml"]) {
          const text = (await readmeBlock(`# ${name}`)).join("\n")
            .replace(/^image: .*$/m, `image: ${image.reference}@${image.digest}`);
          await Deno.writeTextFile(join(buyer, name), text);
        }
        const market = JSON.parse(await client(STEPS[3], {}, ["--json"]));
        assert.equal(market.matches.length, 1, JSON.stringify(market));
        assert.equal(market.matches[0].tag, "web");
      },
    );

    await t.step("the BID is placed and the rig opens the deal", async () => {
      const placed = JSON.parse(await client(STEPS[4], {}, ["--json"]));
      assert.ok(Number(placed.blocked) > 0, JSON.stringify(placed));
      deal = await until("the rig takes the BID", async () => {
        const orders = JSON.parse(await client(STEPS[5], {}, ["--json"]));
        const bid = orders.find((o: { orderId: string }) => o.orderId === placed.orderId);
        return bid?.status === "deal" ? bid.dealId as string : undefined;
      }, 60_000);
    });

    await t.step("status before any task is a state, exit 0", async () => {
      const status = JSON.parse(await client(STEPS[6], { deal }, ["--json"]));
      assert.equal(status.result.state, "none");
    });

    await t.step("verify: the deal measured against its ASK, before any task", async () => {
      const v = JSON.parse(await client(STEPS[7], { deal }, ["--json"]));
      assert.equal(v.result, "pass", JSON.stringify(v, null, 2));
      assert.ok(v.lines.some((l: { key: string }) => l.key === "ram-size"), JSON.stringify(v));
    });

    await t.step("submit runs the task; its output comes back", async () => {
      const submitted = JSON.parse(await client(STEPS[8], { deal }, ["--json"]));
      assert.equal(submitted.result.state, "running", JSON.stringify(submitted));
      const logs = await until("the task's first line", async () => {
        const out = await client(STEPS[9], { deal });
        return out.includes("hello from the walkthrough") ? out : undefined;
      });
      firstLogMs = performance.now() - started;
      assert.match(logs, /hello from the walkthrough/);
    });

    await t.step("forward reaches the task's web server", async () => {
      const forward = spawnCliAgent([...argv(STEPS[10], { deal })], {
        cwd: buyer,
        lines: "stdout",
      });
      try {
        const ready = await forward.waitFor((l) => l.event === "forwarding", "forwarding");
        const page = await fetch(`http://127.0.0.1:${ready.port}/`);
        assert.equal((await page.text()).trim(), "served by the task");
      } finally {
        assert.equal(await forward.stop("SIGINT"), 0);
      }
    });

    await t.step("exec reads the task's file; a shell runs in the task", async () => {
      assert.equal(await client(STEPS[11], { deal }), "served by the task\n");
      const r = await runCli(argv(STEPS[12], { deal }), {
        cwd: buyer,
        stdin: "echo in-the-task-$((40+2))\nexit 5\n",
        timeoutMs: 60_000,
      });
      assert.equal(r.code, 5, r.stderr); // the shell's exit code is the command's
      assert.match(r.stdout, /in-the-task-42/);
    });

    await t.step("chain time passes and the rig bills the deal", async () => {
      await client(STEPS[13]);
      await until("a bill", async () => {
        const { deals } = JSON.parse(await client(STEPS[14], {}, ["--json"]));
        const ours = deals.find((d: { dealId: string }) => d.dealId === deal);
        return ours?.bills >= 1 ? ours : undefined;
      }, 60_000);
    });

    await t.step("close: the balance is down by exactly the bills", async () => {
      const closed = JSON.parse(await client(STEPS[15], { deal }, ["--json"]));
      const { deals, balance } = JSON.parse(await client(STEPS[14], {}, ["--json"]));
      const ours = deals.find((d: { dealId: string }) => d.dealId === deal);
      assert.equal(ours.status, "closed");
      // the bills as the chain logged them, read here without the client's code
      const devnet = (await readDevnetFile(join(dir, ".data")))!;
      const chain = createPublicClient({ transport: http(devnet.rpcUrl) });
      const logs = await chain.getLogs({ address: devnet.contracts.market, fromBlock: 0n });
      const billed = parseEventLogs({ abi: marketAbi, logs, eventName: "Billed" })
        .filter((l) => l.args.dealId === BigInt(deal))
        .reduce((sum, l) => sum + l.args.paidAmount, 0n);
      assert.ok(billed > 0n);
      assert.equal(parseUnits(ours.paid, 18), billed);
      assert.equal(parseUnits(closed.paid, 18), billed);
      assert.equal(paidBefore - parseUnits(balance, 18), billed);
    });

    await t.step("forward to a plan without incoming is refused before a port opens", async () => {
      // the demo consumer's deal 1 is on cpu-small, which sells no incoming connections
      const demo = join(dir, ".data", "demo-consumer", "client.yaml");
      const r = await runCli([
        "client",
        "forward",
        "--config",
        demo,
        "--deal",
        "1",
        "--container-port",
        "8080",
      ], { timeoutMs: 30_000 }); // before the fix it printed "forwarding" and ran on
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, "", "nothing printed as forwarding");
      assert.match(r.stderr, /does not sell incoming connections/);
    });

    await t.step("logs after stop: a clear refusal, not an internal failure", async () => {
      const demo = join(dir, ".data", "demo-consumer", "client.yaml");
      const target = ["--config", demo, "--deal", "1"];
      await Deno.writeTextFile(
        join(dir, "quiet.yaml"),
        `image: ${image.reference}@${image.digest}\ncommand: [sh, -c, "echo before-stop; sleep 600"]\n`,
      );
      ok(
        await runCli(["client", "submit", ...target, "--task", join(dir, "quiet.yaml")]),
        "submit",
      );
      ok(await runCli(["client", "stop", ...target]), "stop");
      const r = await runCli(["client", "logs", ...target]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /task 1 of deal 1 is stopped \(stopped by the consumer\)/);
      assert.doesNotMatch(r.stderr, /failed on the rig/);
    });

    const timings = Deno.env.get("SONM_TEST_TIMINGS");
    if (timings !== undefined) {
      await Deno.writeTextFile(
        timings,
        JSON.stringify({ test: "client_walkthrough", initToFirstLogMs: Math.round(firstLogMs) }) +
          "\n",
        { append: true },
      );
    }
    assert.equal(await rig.stop("SIGINT"), 0);
    assert.equal(await readDevnetFile(join(dir, ".data")), undefined, "devnet.json withdrawn");
  } finally {
    await rig?.stop("SIGINT");
    if (agentId !== undefined) {
      await collectGarbage(docker, { agentId, openDeals: [] }).catch(() => {});
    }
    await registry.close();
    docker.close();
    lock.release();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the README's client examples sign for the devnet's chain id", async () => {
  const text = await Deno.readTextFile(join(ROOT, "README.md"));
  const ids = [...text.matchAll(/--chain-id\s+(\d+)/g)].map((m) => Number(m[1]));
  assert.ok(ids.length > 0, "the README shows --chain-id somewhere");
  assert.deepEqual(ids.filter((id) => id !== DEVNET_CHAIN_ID), []);
});
