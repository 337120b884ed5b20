/**
 * Test fixture: starts `agent_child.ts` (the real agent in its own process)
 * and talks to it over its unix-socket task transport.
 *
 * @module
 */
import { join } from "node:path";
import type { RequestEnvelope } from "../../src/nat/mod.ts";

const CHILD = new URL("./agent_child.ts", import.meta.url).pathname;

/** A running agent process. */
export type AgentProcess = {
  pid: number;
  socket: string;
  /** Resolves with the exit status (a SIGKILL from a kill point shows as `signal: "SIGKILL"`). */
  exited: Promise<Deno.CommandStatus>;
  /** Whether the process has exited. */
  readonly dead: boolean;
  /** Sends a signed request; undefined when the process died before answering. */
  send(envelope: RequestEnvelope): Promise<Record<string, unknown> | undefined>;
  /**
   * Resolves once the agent caught up with the chain and its scheduler is
   * idle (`AgentReady.settled()`); false when the process died first.
   */
  settled(): Promise<boolean>;
  /** SIGTERM, then waits. */
  stop(): Promise<void>;
  /** SIGKILL, then waits. */
  kill(): Promise<void>;
};

/** Options of {@linkcode spawnAgent}. */
export type SpawnAgentOptions = {
  dir: string;
  agentId: string;
  /** `SONM_TEST_KILL_AT`: the point where the process kills itself. */
  killAt?: string | undefined;
  registryAuth?: { username: string; password: string } | undefined;
  billIntervalSeconds?: number | undefined;
};

/**
 * Starts the agent on `dir/rig.yaml`; resolves once it printed READY, or
 * once it died (a kill point reached during start).
 */
export async function spawnAgent(options: SpawnAgentOptions): Promise<AgentProcess> {
  const { dir, agentId } = options;
  const socket = join(dir, "agent.sock");
  const env: Record<string, string> = {
    WORKLOADS_BILL_INTERVAL: String(options.billIntervalSeconds ?? 600),
    NO_COLOR: "1",
  };
  if (options.killAt !== undefined) env.SONM_TEST_KILL_AT = options.killAt;
  if (options.registryAuth !== undefined) {
    env.WORKLOADS_REGISTRY_AUTH =
      `${options.registryAuth.username}:${options.registryAuth.password}`;
  }
  const log = join(dir, "agent.log");
  const child = new Deno.Command("sh", {
    args: [
      "-c",
      `exec "${Deno.execPath()}" run -A "${CHILD}" rig.yaml "${socket}" "${agentId}" 2>>"${log}"`,
    ],
    cwd: dir,
    env,
    stdout: "piped",
    stdin: "null",
  }).spawn();
  let dead = false;
  const exited = child.status.then((s) => {
    dead = true;
    return s;
  });
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const ready = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return false;
      buffer += value;
      if (buffer.includes("READY ")) return true;
    }
  })();
  const isReady = await Promise.race([ready, exited.then(() => false)]);
  // keep draining stdout so the child never blocks on a full pipe
  (async () => {
    try {
      while (!(await reader.read()).done) { /* drain */ }
    } catch { /* closed */ }
  })();
  if (!isReady && !dead) throw new Error("agent process stopped printing before READY");
  const client = Deno.createHttpClient({ proxy: { transport: "unix", path: socket } });
  exited.then(() => client.close());
  return {
    pid: child.pid,
    socket,
    exited,
    get dead() {
      return dead;
    },
    async send(envelope) {
      try {
        const r = await fetch("http://agent/", {
          method: "POST",
          body: JSON.stringify(envelope),
          client,
        });
        return await r.json();
      } catch {
        return undefined;
      }
    },
    async settled() {
      try {
        const r = await fetch("http://agent/settled", { client });
        return (await r.json()).settled === true;
      } catch {
        return false;
      }
    },
    async stop() {
      if (!dead) child.kill("SIGTERM");
      await exited;
    },
    async kill() {
      if (!dead) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** The agent process's log (stderr), for failure messages. */
export async function agentLog(dir: string): Promise<string> {
  return await Deno.readTextFile(join(dir, "agent.log")).catch(() => "");
}
