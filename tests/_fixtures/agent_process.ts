/**
 * The real agent as a rig owner runs it: `sonm-agent run --config rig.yaml`
 * in its own process, on the embedded devnet (anvil + the real contracts,
 * whose demo consumer places a BID that the agent matches), with the
 * dashboard on a free loopback port. Logs are read as JSON lines.
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import {
  createSqliteResultCache,
  discoverHardware,
  hardwareFingerprint,
} from "../../src/bench/mod.ts";
import { openState } from "../../src/agent/state/mod.ts";

/** The benchmark result the fixture caches before the agent starts, as `sonm-agent bench` would. */
export const CACHED_BENCH = { id: 1, key: "cpu-sysbench-single", value: 4321n, unit: "events/s" };

const ROOT = resolve(new URL(".", import.meta.url).pathname, "../..");

export type LogLine = Record<string, unknown> & { msg: string };

export type AgentProcess = {
  dir: string;
  /** The dashboard's base URL, `http://127.0.0.1:PORT` ("" when it is off). */
  url: string;
  rpcUrl: string;
  dataDir: string;
  lines: LogLine[];
  /** Waits for the `nth` log line with `msg` (and fields matching `where`), reading more as needed. */
  waitFor(
    msg: string,
    where?: Record<string, unknown>,
    options?: { timeoutMs?: number; nth?: number },
  ): Promise<LogLine>;
  /** Moves chain time forward and mines a block (the agent bills once its interval passed). */
  advance(seconds: number): Promise<void>;
  stop(): Promise<void>;
};

export { freePort } from "./free_port.ts";
import { freePort } from "./free_port.ts";

/** Starts the agent with the dashboard on, waits until it is ready and its dashboard is up. */
export async function startAgentProcess(
  options: { prefix: string; dashboard?: boolean },
): Promise<AgentProcess> {
  const withDashboard = options.dashboard ?? true;
  const dir = await Deno.makeTempDir({ prefix: options.prefix });
  const dataDir = join(dir, "data");
  const port = freePort();
  await Deno.writeTextFile(
    join(dir, "rig.yaml"),
    `data_dir: ./data
chain: devnet
keystore: { path: ./data/keystore.json, passphrase_file: ./data/keystore.pass }
plans:
  - name: cpu-dash
    price_usd_per_hour: "0.36"
    duration: spot
    resources: { cpu_cores: 1, ram: 1GiB, storage: 1GiB }
    tag: dash
dashboard: { enabled: ${withDashboard}, bind: 127.0.0.1, port: ${port} }
power: { idle_watts: 60, load_watts: 250, price_per_kwh: "0.12" }
`,
  );
  // a cached benchmark for this hardware (the agent discovers it with data dir "/", as here)
  const state = openState({ path: join(dataDir, "agent.sqlite") });
  try {
    const hash = hardwareFingerprint(await discoverHardware({ dataDir: "/" })).hash;
    createSqliteResultCache(state.db).put({
      ...CACHED_BENCH,
      status: "measured",
      note: "",
      probe: "sysbench@1",
      measuredAt: Date.now(),
      details: {},
    }, hash);
  } finally {
    state.close();
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      join(ROOT, "main.ts"),
      "run",
      "--config",
      join(dir, "rig.yaml"),
      "--log-format",
      "json",
    ],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const lines: LogLine[] = [];
  let buffer = "";
  let reading: Promise<boolean> | undefined;
  const readMore = (): Promise<boolean> => {
    reading ??= reader.read().then(({ value, done }) => {
      reading = undefined;
      if (done) return false;
      buffer += value;
      const parts = buffer.split("\n");
      buffer = parts.pop() ?? "";
      for (const part of parts) {
        try {
          lines.push(JSON.parse(part) as LogLine);
        } catch {
          lines.push({ msg: part });
        }
      }
      return true;
    });
    return reading;
  };
  const matches = (l: LogLine, msg: string, where: Record<string, unknown>) =>
    l.msg === msg && Object.entries(where).every(([k, v]) => String(l[k]) === String(v));
  const waitFor = async (
    msg: string,
    where: Record<string, unknown> = {},
    { timeoutMs = 90_000, nth = 1 }: { timeoutMs?: number; nth?: number } = {},
  ) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = lines.filter((l) => matches(l, msg, where))[nth - 1];
      if (found !== undefined) return found;
      const more = await Promise.race([
        readMore(),
        new Promise<"tick">((r) => setTimeout(() => r("tick"), 500)),
      ]);
      if (more === false || Date.now() > deadline) {
        assert.fail(`no "${msg}" line; got:\n${lines.map((l) => JSON.stringify(l)).join("\n")}`);
      }
    }
  };
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
    while (await readMore()) { /* read until exit */ }
    await child.status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    const ready = await waitFor("agent is ready", {}, { timeoutMs: 180_000 });
    const dash = withDashboard ? await waitFor("dashboard is up") : { url: "" };
    const rpcUrl = String(ready.rpc);
    const rpc = async (method: string, params: unknown[]) => {
      const r = await fetch(rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
      });
      const body = await r.json();
      if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
    };
    return {
      dir,
      url: String(dash.url),
      rpcUrl,
      dataDir,
      lines,
      waitFor,
      advance: async (seconds) => {
        await rpc("evm_increaseTime", [seconds]);
        await rpc("evm_mine", []);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
