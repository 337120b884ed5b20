/**
 * `sonm-agent client exec` and `client shell` against a real agent: anvil
 * with the market contracts, the real dockerd, the agent in-process with its
 * NAT host on a relay and its record on the relay's directory, and `client`
 * processes that know the deal and the relay only. Exec keeps stdout and
 * stderr apart and returns the remote exit code; 10 MiB go through `cat`
 * byte for byte; a shell driven through a pseudo-terminal (`script`) sees a
 * resize, passes Ctrl-C to the remote side and restores the local terminal;
 * a stranger, an administrator and a closed deal are refused before Docker
 * is asked; the rig's limit of open shells holds; a connection cut mid-shell
 * leaves no process behind in the container. One exec goes through the relay.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { generatePrivateKey } from "viem/accounts";
import { discoverHardware } from "../src/bench/mod.ts";
import {
  closeDeal,
  connectChain,
  createMarketClient,
  getOrder,
  importPrivateKey,
  parseUsdPerHour,
  placeOrder,
} from "../src/chain/mod.ts";
import { createLogger } from "../src/agent/base/mod.ts";
import { type Devnet, startDevnet } from "../src/agent/setup/mod.ts";
import { readNatStatusFile } from "../src/agent/state/mod.ts";
import { execContainer, findTasks, inspectImage } from "../src/docker/mod.ts";
import { startRelay } from "../src/nat/mod.ts";
import { ensureDockerd, lockDockerd } from "./_fixtures/dockerd.ts";
import { dockerCli, ensureBusyboxImage } from "./_fixtures/images.ts";
import {
  consumerOf,
  createRigKeystore,
  removeAgentObjects,
  type RunningAgent,
  startAgent,
  until,
  writeRigConfig,
} from "./_fixtures/workloads.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const PRICE = "0.36";
const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("client exec and client shell: streams, exit codes, a pty, refusals, limits, cuts", async (t) => {
  const lock = await lockDockerd("shared");
  const docker = await ensureDockerd();
  const relay = await startRelay({
    privateKey: await generateKeyPair("Ed25519"),
    hostname: "127.0.0.1",
    port: 0,
    echoPorts: [0, 0],
  });
  const dir = await Deno.makeTempDir({ prefix: "shell-e2e-" });
  const agentId = `shell-e2e-${Date.now().toString(36)}`;
  let devnet: Devnet | undefined;
  let agent: RunningAgent | undefined;
  const children: Deno.ChildProcess[] = [];
  try {
    const tag = "shell-test/busybox:1";
    await ensureBusyboxImage(tag, "shell");
    const imageId = (await inspectImage(docker, { image: tag })).id;
    const address = await createRigKeystore(dir);
    devnet = await startDevnet({
      logger: createLogger({ level: "error", write: () => {} }),
      fund: [address],
    });
    const relayAddr = relay.addrs.find((a) => a.includes("/tcp/"))!;
    const adminKey = generatePrivateKey();
    const admin = (await import("viem/accounts")).privateKeyToAccount(adminKey);
    const config = await writeRigConfig(
      dir,
      devnet,
      `admins: ["${admin.address}"]
docker:
  allowed_images: ["${imageId}"]
  max_shells_per_deal: 2
plans:
  - name: small
    price_usd_per_hour: "${PRICE}"
    resources: { cpu_cores: 0.5, ram: 64MiB, net: { outbound: true } }
nat:
  relays: ["${relayAddr}"]
`,
    );
    const chain = await connectChain({ url: devnet.rpcUrl, chainId: devnet.chainId });
    const reader = createMarketClient(chain, { addresses: devnet.contracts });
    agent = await startAgent(config, {
      hardware: await discoverHardware({ dataDir: dir }),
      agentId,
    });
    const rig = agent;
    await until("the NAT host's reservation", async () => {
      const status = await readNatStatusFile(join(dir, "data"));
      return status?.relays[0]?.state === "reserved" ? status : undefined;
    });
    await until(
      "the rig's record on the directory",
      () => rig.logs.find((l) => l.msg === "rig record published"),
    );
    await until("the plan's ASK", () => rig.logs.find((l) => l.msg === "placed ASK"));
    const consumer = consumerOf(chain, devnet, devnet.consumer.privateKey);
    const { orderId } = await placeOrder(consumer.market, {
      type: "BID",
      duration: 0n,
      price: parseUsdPerHour(PRICE),
      netflags: [false, true, false],
      benchmarks: [0n, 0n, 0n, 32n * 2n ** 20n],
    });
    const dealId = await until("the deal", async () => {
      const order = await getOrder(reader, { orderId });
      return order !== undefined && order.dealId !== 0n ? order.dealId : undefined;
    });
    const submitted = await consumer.send(
      rig,
      await consumer.sign("submit", dealId, {
        spec: { image: imageId, command: ["sleep", "600"] },
      }),
    );
    assert.equal(submitted.kind, "ok", JSON.stringify(submitted));
    const [task] = await findTasks(docker, { agentId, dealId: dealId.toString() });
    assert.ok(task !== undefined);
    const containerId = task.containerId;

    const keystores: Record<string, string> = {};
    for (
      const [who, key] of [
        ["consumer", devnet.consumer.privateKey],
        ["admin", adminKey],
        ["stranger", generatePrivateKey()],
      ] as const
    ) {
      keystores[who] = join(dir, `${who}.json`);
      await importPrivateKey({
        privateKey: key,
        path: keystores[who],
        passphrase: "pass",
        kdf: { kdf: "pbkdf2", c: 1000 },
      });
    }
    const clientArgs = (verb: string, opts: { as?: string; relayOnly?: boolean } = {}) => [
      "run",
      "-A",
      join(ROOT, "main.ts"),
      "client",
      verb,
      "--deal",
      dealId.toString(),
      "--rpc",
      devnet!.rpcUrl,
      "--relay",
      relayAddr,
      "--keystore",
      keystores[opts.as ?? "consumer"]!,
      "--passphrase-env",
      "SHELL_PASS",
      "--chain-id",
      String(devnet!.chainId),
      "--market",
      devnet!.contracts.market,
      ...(opts.relayOnly ? ["--relay-only"] : []),
    ];
    const env = { NO_COLOR: "1", SHELL_PASS: "pass" };
    const exec = async (
      command: string[],
      opts: { as?: string; relayOnly?: boolean; stdin?: Uint8Array } = {},
    ) => {
      const child = new Deno.Command(Deno.execPath(), {
        args: [...clientArgs("exec", opts), "--", ...command],
        env,
        stdin: opts.stdin === undefined ? "null" : "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      // a client that hangs fails its step instead of holding the test (and the lock)
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      // stdin is written while the output is read: cat gives back as it takes
      const feeding = opts.stdin === undefined ? Promise.resolve() : (async () => {
        const writer = child.stdin.getWriter();
        await writer.write(opts.stdin);
        await writer.close();
      })().catch(() => {});
      const out = await child.output();
      await feeding;
      clearTimeout(timer);
      return { code: out.code, stdout: out.stdout, stderr: text(out.stderr) };
    };
    const execEvents = async (since: number, run: () => Promise<void>) => {
      await run();
      const lines = await dockerCli([
        "events",
        "--since",
        String(since),
        "--until",
        String(Date.now() / 1000),
        "--filter",
        `container=${containerId}`,
        "--format",
        "{{.Action}}",
      ]);
      return lines.split("\n").filter((l) => l.startsWith("exec_create"));
    };
    const livePs = async () =>
      (await execContainer(docker, { id: containerId, cmd: ["ps", "-o", "pid,args"] })).stdout;

    await t.step("exec: stdout and stderr apart, the remote exit code as ours", async () => {
      const r = await exec(["sh", "-c", "echo out; echo err >&2; exit 3"]);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(text(r.stdout), "out\n");
      assert.match(r.stderr, /^path: direct /m);
      assert.match(r.stderr, /^err$/m);
      assert.doesNotMatch(r.stderr, /out/);
      const started = rig.logs.find((l) => l.msg === "exec started");
      assert.equal(started?.deal, dealId.toString());
      await until(
        "the exec's end in the rig's log",
        () => rig.logs.find((l) => l.msg === "exec ended" && l.exitCode === 3),
      );
    });

    await t.step("exec: 10 MiB of stdin through cat, byte for byte", async () => {
      const data = new Uint8Array(10 * 1024 * 1024);
      for (let at = 0; at < data.length; at += 65536) {
        crypto.getRandomValues(data.subarray(at, at + 65536));
      }
      const r = await exec(["cat"], { stdin: data });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.byteLength, data.byteLength);
      assert.deepEqual(
        new Uint8Array(await crypto.subtle.digest("SHA-256", r.stdout)),
        new Uint8Array(await crypto.subtle.digest("SHA-256", data)),
      );
    });

    await t.step("exec through the relay", async () => {
      const r = await exec(["echo", "relayed"], { relayOnly: true });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /^path: relay \S+\/p2p-circuit/m);
      assert.equal(text(r.stdout), "relayed\n");
    });

    await t.step(
      "shell in a pty: resize seen by stty, Ctrl-C to the remote, terminal restored",
      async () => {
        const ttyFile = join(dir, "tty");
        const inner = [Deno.execPath(), ...clientArgs("shell")].map((a) => `'${a}'`).join(" ");
        const child = new Deno.Command("script", {
          args: ["-qefc", `tty > ${ttyFile}; ${inner}; echo "exit=$?"; stty -a`, "/dev/null"],
          env,
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        children.push(child);
        const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
        const writer = child.stdin.getWriter();
        let seen = "";
        const reading = (async () => {
          for await (const chunk of child.stdout) seen += text(chunk);
        })();
        const waitFor = (what: RegExp, from = 0) =>
          until(`"${what.source}" in the shell`, () => what.test(seen.slice(from)) || undefined);
        const type = (keys: string) => writer.write(new TextEncoder().encode(keys));
        await waitFor(/\/ # /); // busybox then asks the terminal where its cursor is (ESC [6n)
        const tty = (await Deno.readTextFile(ttyFile)).trim();
        assert.match(tty, /^\/dev\/pts\/\d+$/);
        // the local terminal changes size: SIGWINCH to the client, a resize to the rig
        await new Deno.Command("stty", { args: ["-F", tty, "rows", "40", "cols", "100"] }).output();
        let mark = seen.length;
        await until("the new size in the remote shell", async () => {
          await type("stty size\r");
          await new Promise((r) => setTimeout(r, 300));
          return /^40 100\r?$/m.test(seen.slice(mark)) || undefined;
        });
        // Ctrl-C interrupts the remote sleep; the session goes on
        mark = seen.length;
        await type("sleep 100\r");
        await until("the remote sleep", async () => /sleep 100/.test(await livePs()) || undefined);
        await type("\x03");
        await until(
          "the sleep interrupted",
          async () => !/sleep 100/.test(await livePs()) || undefined,
        );
        await type("echo still-$((40+2))\r");
        await waitFor(/still-42/, mark);
        await type("exit 4\r");
        await waitFor(/exit=4/);
        await writer.close();
        await reading;
        const status = await child.status;
        clearTimeout(timer);
        assert.equal(status.code, 0, seen);
        const settings = seen.slice(seen.indexOf("exit=4"));
        assert.match(settings, /(^|\s)icanon(\s|$)/m, "canonical mode restored");
        assert.match(settings, /(^|\s)echo(\s|$)/m, "echo restored");
      },
    );

    await t.step(
      "a stranger, an administrator and a closed deal are refused before Docker",
      async () => {
        const since = Date.now() / 1000;
        const events = await execEvents(since, async () => {
          const stranger = await exec(["true"], { as: "stranger" });
          assert.equal(stranger.code, 1);
          assert.match(stranger.stderr, /RequestRefusedError: 0x\w+ is not the consumer of deal/);
          const byAdmin = await exec(["true"], { as: "admin" });
          assert.equal(byAdmin.code, 1);
          assert.match(byAdmin.stderr, /is not the consumer of deal/);
        });
        assert.deepEqual(events, []);
      },
    );

    await t.step("the rig's limit of open shells per deal", async () => {
      const mark = rig.logs.length;
      const open = [0, 1].map(() => {
        const child = new Deno.Command(Deno.execPath(), {
          args: [...clientArgs("exec"), "--", "sleep", "300"],
          env,
          stdin: "null",
          stdout: "null",
          stderr: "null",
        }).spawn();
        children.push(child);
        return child;
      });
      await until(
        "two open execs",
        () =>
          rig.logs.slice(mark).filter((l) => l.msg === "exec started").length === 2 || undefined,
      );
      const third = await exec(["true"]);
      assert.equal(third.code, 1);
      assert.match(third.stderr, /has 2 open shells, this rig's limit/);
      // a client killed: its exec killed on the rig, the slot free again
      open[0]!.kill("SIGKILL");
      await open[0]!.status;
      await until(
        "the cut exec ended",
        () => rig.logs.slice(mark).find((l) => l.msg === "exec ended") !== undefined || undefined,
      );
      const fourth = await exec(["echo", "again"]);
      assert.equal(fourth.code, 0, fourth.stderr);
      open[1]!.kill("SIGKILL");
      await open[1]!.status;
      await until("no sleep 300 left", async () => !/sleep 300/.test(await livePs()) || undefined);
    });

    await t.step("a connection cut mid-shell leaves no process in the container", async () => {
      const child = new Deno.Command(Deno.execPath(), {
        args: clientArgs("shell"),
        env,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      children.push(child);
      let seen = "";
      void (async () => {
        for await (const chunk of child.stdout) seen += text(chunk);
      })().catch(() => {});
      let errors = "";
      void (async () => {
        for await (const chunk of child.stderr) errors += text(chunk);
      })().catch(() => {});
      // stdin a pipe, not a terminal: the remote shell has one all the same
      await until("the prompt of a shell on a pipe", () => seen.includes("/ # ") || undefined)
        .catch((error) => {
          throw new Error(`${error.message}: stdout ${JSON.stringify(seen)} stderr ${errors}`);
        });
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode("sleep 1000\n"));
      await until("the shell's sleep", async () => /sleep 1000/.test(await livePs()) || undefined);
      child.kill("SIGKILL");
      await child.status;
      await until("no process of the shell left", async () => {
        const ps = await livePs();
        return !/sleep 1000/.test(ps) && !/\/bin\/sh/.test(ps) || undefined;
      });
    });

    await t.step("a closed deal is refused before Docker", async () => {
      await closeDeal(consumer.market, { dealId, blacklistOther: false });
      const since = Date.now() / 1000;
      const events = await execEvents(since, async () => {
        const r = await exec(["true"]);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /deal \d+ is closed/);
      });
      assert.deepEqual(events, []);
    });
    await chain.close();
  } finally {
    for (const child of children) {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await child.status.catch(() => {});
    }
    const debug = Deno.env.get("SHELL_TEST_LOGS");
    if (debug !== undefined && agent !== undefined) {
      await Deno.writeTextFile(debug, agent.logs.map((l) => JSON.stringify(l)).join("\n"));
    }
    await agent?.stop();
    await removeAgentObjects(docker, agentId);
    await devnet?.stop();
    await relay.stop();
    docker.close();
    lock.release();
    await Deno.remove(dir, { recursive: true });
  }
});
