/**
 * The one rule for files named on the command line, through the real CLI: a
 * file that is missing, not a regular file (a directory, a FIFO, a device
 * such as /dev/zero, a symlink to one), too large, or malformed (not the
 * format asked for) is bad input, exit 2, with a message naming the path and
 * never a stack trace; a well-formed file whose content fails a check (a
 * report whose signature does not match) is a verdict, exit 1. Each command
 * must answer at once: a FIFO with no writer and /dev/zero used to hang or
 * eat memory, so every run here has a deadline.
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import { hardwareFingerprint, signBenchReport } from "../src/bench/mod.ts";

const ROOT = resolve(new URL(".", import.meta.url).pathname, "..");
const MAIN = join(ROOT, "main.ts");
/** Far more than a refusal takes; a hang (a FIFO read) fails the test instead of blocking it. */
const DEADLINE_MS = 60_000;

type Result = { code: number; stderr: string; peakRssKiB: number };

/** Runs the CLI under a deadline and reports its peak RSS (VmHWM, sampled while it runs). */
async function cli(args: string[]): Promise<Result> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let peakRssKiB = 0;
  let done = false;
  const sample = (async () => {
    while (!done) {
      try {
        const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
        const hwm = Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? 0);
        peakRssKiB = Math.max(peakRssKiB, hwm);
      } catch {
        // the process is gone
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const timer = setTimeout(() => child.kill("SIGKILL"), DEADLINE_MS);
  const [status, stderr] = await Promise.all([child.status, new Response(child.stderr).text()]);
  clearTimeout(timer);
  done = true;
  await sample;
  assert.notEqual(status.signal, "SIGKILL", `sonm-agent ${args.join(" ")} hung: ${stderr}`);
  return { code: status.code, stderr, peakRssKiB };
}

function assertBadInput(r: Result, what: string, message: RegExp): void {
  assert.equal(r.code, 2, `${what}: exit ${r.code}\n${r.stderr}`);
  assert.match(r.stderr, message, what);
  assert.doesNotMatch(r.stderr, /unexpected failure|\n\s+at .*:\d+:\d+/, what);
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sonm-cli-inputs-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function mkfifo(path: string): Promise<void> {
  const r = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.equal(r.code, 0);
}

Deno.test("config check refuses /dev/zero, a symlink to it, a FIFO and a 300 MB file at once, exit 2", async () => {
  await withDir(async (dir) => {
    const link = join(dir, "link.yaml");
    await Deno.symlink("/dev/zero", link);
    const fifo = join(dir, "fifo.yaml");
    await mkfifo(fifo);
    const big = join(dir, "big.yaml");
    const file = await Deno.open(big, { write: true, create: true });
    await file.truncate(300 * 1024 * 1024); // sparse: 300 MB of zeros costs no disk
    file.close();
    const cases: [string, RegExp][] = [
      ["/dev/zero", /\(file\): cannot be used: it is not a regular file \(a device\)/],
      [link, /\(file\): cannot be used: it is not a regular file \(a device\)/],
      [fifo, /\(file\): cannot be used: it is not a regular file \(a FIFO\)/],
      [dir, /\(file\): cannot be used: it is a directory/],
      [big, /\(file\): is larger than 262144 bytes: not a config file/],
    ];
    for (const [path, message] of cases) {
      const r = await cli(["config", "check", "--config", path]);
      assertBadInput(r, path, message);
      // the process's own footprint (Deno, the CLI's modules), not the file's size
      assert.ok(r.peakRssKiB < 400 * 1024, `${path}: peak RSS ${r.peakRssKiB} KiB`);
    }
  });
});

Deno.test("match and bench verify refuse a FIFO, exit 2", async () => {
  await withDir(async (dir) => {
    const fifo = join(dir, "in");
    await mkfifo(fifo);
    assertBadInput(
      await cli(["match", "--orders", fifo]),
      "match",
      /not a regular file \(a FIFO\)/,
    );
    assertBadInput(
      await cli(["bench", "verify", fifo]),
      "bench verify",
      /not a regular file \(a FIFO\)/,
    );
  });
});

Deno.test("a malformed file is exit 2 for every command; a report that fails its check is exit 1", async () => {
  await withDir(async (dir) => {
    const text = join(dir, "notes.txt");
    await Deno.writeTextFile(text, "this is not JSON\n");
    assertBadInput(
      await cli(["bench", "verify", text]),
      "bench verify on text",
      /BenchReportError: Cannot read benchmark report: not JSON/,
    );
    assertBadInput(
      await cli(["match", "--orders", text]),
      "match on text",
      /MarketFileError: Cannot read market file at line 1/,
    );
    assertBadInput(
      await cli(["config", "check", "--config", text]),
      "config check on text",
      /problem/,
    );

    const signer = privateKeyToAccount(`0x${"42".repeat(32)}`);
    const fingerprint = hardwareFingerprint({
      cpu: { model: "EPYC", vendor: "AuthenticAMD", sockets: 1, cores: 2, threads: 2, flags: [] },
      memory: { totalBytes: 2 ** 34, availableBytes: 2 ** 33 },
      storage: { path: "/", totalBytes: 2 ** 40, freeBytes: 2 ** 39 },
      network: [],
      gpus: [],
      opencl: [],
      notes: [],
    });
    const signed = await signBenchReport(signer, {
      suite: {
        results: [],
        hardwareHash: fingerprint.hash,
        probes: {},
        identity: fingerprint.identity,
      },
    });
    const report = join(dir, "report.json");
    await Deno.writeTextFile(report, JSON.stringify(signed));
    const forged = join(dir, "forged.json");
    await Deno.writeTextFile(
      forged,
      JSON.stringify({ ...signed, report: { ...signed.report, agent: `0x${"ab".repeat(20)}` } }),
    );
    const valid = await cli(["bench", "verify", report]);
    assert.equal(valid.code, 0, valid.stderr);
    const verdict = await cli(["bench", "verify", forged]);
    assert.equal(verdict.code, 1, verdict.stderr);
    assert.match(verdict.stderr, /Cannot accept benchmark report/);
  });
});

Deno.test("match --ask with an id that is not a number, or names no such order, exits 2", async () => {
  await withDir(async (dir) => {
    const market = join(dir, "market.jsonl");
    const author = "0x00000000000000000000000000000000000000a1";
    await Deno.writeTextFile(
      market,
      JSON.stringify({ kind: "order", id: "7", type: "ASK", author, duration: "0", price: "5" }),
    );
    assertBadInput(
      await cli(["match", "--orders", market, "--ask", "abc"]),
      "--ask abc",
      /Cannot match ASK "abc": the id must be a decimal integer/,
    );
    assertBadInput(
      await cli(["match", "--orders", market, "--ask", "8"]),
      "--ask 8",
      /no order with that id/,
    );
    assertBadInput(
      await cli(["match", "--orders", market, "--bid", "7"]),
      "--bid 7",
      /order "7" is a ASK/,
    );
  });
});

Deno.test("config check prints an IPv6 dashboard address in brackets", async () => {
  await withDir(async (dir) => {
    const config = join(dir, "rig.yaml");
    await Deno.writeTextFile(
      config,
      "chain: devnet\nkeystore: { path: k.json, passphrase_env: PASS }\n" +
        'dashboard: { bind: "::1", port: 9400 }\n',
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "config", "check", "--config", config],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(text, /http:\/\/\[::1\]:9400/);
    assert.doesNotMatch(text, /http:\/\/::1:/);
  });
});
