/**
 * Test fixture: makes sure a real dockerd answers on its unix socket, starting
 * one (`dockerd --storage-driver=vfs --live-restore`, in the background) when
 * none does, and restarts it for the reconnect test. A daemon that was already
 * running is left running; one that this fixture started is left running too,
 * since other test files share it.
 *
 * @module
 */
import { createDockerClient, type DockerClient, ping } from "../../src/docker/mod.ts";

/** The socket every docker test uses. */
export const DOCKER_SOCKET = Deno.env.get("SONM_TEST_DOCKER_SOCKET") ?? "/var/run/docker.sock";
const PID_FILE = "/var/run/docker.pid";
const LOG_FILE = "/tmp/sonm-test-dockerd.log";
const DEFAULT_ARGS = ["--storage-driver=vfs", "--live-restore"];
const LOCK_FILE = "/tmp/sonm-test-dockerd.lock";

/** A held lock on the shared daemon; release it when the test ends. */
export type DockerdLock = { release(): void };

/**
 * Locks the shared dockerd for a test: `shared` for tests that only use it,
 * `exclusive` for the test that restarts it. With `deno test --parallel`, a
 * restart then waits until no other docker test runs, and other docker tests
 * wait until the restart is over. Every test file that uses dockerd should
 * hold a shared lock (advisory `flock` on /tmp/sonm-test-dockerd.lock).
 */
export async function lockDockerd(mode: "shared" | "exclusive"): Promise<DockerdLock> {
  const file = await Deno.open(LOCK_FILE, { create: true, read: true, write: true });
  await file.lock(mode === "exclusive");
  return {
    release() {
      try {
        file.unlockSync();
      } finally {
        file.close();
      }
    },
  };
}

async function answers(socketPath: string, timeoutMs = 2_000): Promise<boolean> {
  const client = createDockerClient({ socketPath, timeoutMs });
  try {
    await ping(client);
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Cannot ${what}: gave up after ${timeoutMs} ms (see ${LOG_FILE})`);
}

async function spawnDetached(args: string[]): Promise<void> {
  // setsid + & so that dockerd outlives the test process. Descriptors 3-9 are closed for
  // it: a test run as `flock /tmp/sonm-it.lock deno test ...` holds the lock on one of them,
  // and a dockerd that inherited it would hold everyone's lock for as long as it runs.
  const quoted = args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const closed = [3, 4, 5, 6, 7, 8, 9].map((fd) => `${fd}>&-`).join(" ");
  const out = await new Deno.Command("sh", {
    args: ["-c", `setsid dockerd ${quoted} >>${LOG_FILE} 2>&1 < /dev/null ${closed} &`],
    stdout: "null",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`Cannot start dockerd: sh exited with ${out.code}`);
}

/** Makes sure dockerd answers, starting it if needed; returns a client (close it). */
export async function ensureDockerd(): Promise<DockerClient> {
  if (!(await answers(DOCKER_SOCKET))) {
    // A daemon that is alive but not answering yet (starting, restarting) is waited for.
    const pid = readPid();
    if (!(pid && alive(pid))) await spawnDetached(DEFAULT_ARGS);
    await waitFor(() => answers(DOCKER_SOCKET), 60_000, "start dockerd");
  }
  return createDockerClient({ socketPath: DOCKER_SOCKET, timeoutMs: 30_000 });
}

function readPid(): number | undefined {
  try {
    const pid = Number(Deno.readTextFileSync(PID_FILE).trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** The running daemon's arguments (without the program name). */
export function dockerdArgs(): string[] {
  const pid = readPid();
  if (!pid) return [...DEFAULT_ARGS];
  const argv = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").filter(Boolean);
  return argv.slice(1);
}

/**
 * Stops dockerd gracefully (SIGTERM) and starts it again with the same flags,
 * less `dropArgs`, plus `extraArgs` not already present. Waits until it answers again. When
 * `whileDown` is given, it runs while the daemon is down.
 */
export async function restartDockerd(
  options: {
    extraArgs?: string[];
    /** Flags to leave out this time (`--live-restore`: running containers die with the daemon). */
    dropArgs?: string[];
    whileDown?: () => Promise<void>;
  } = {},
): Promise<void> {
  const args = dockerdArgs().filter((a) => !(options.dropArgs ?? []).includes(a));
  for (const a of options.extraArgs ?? []) if (!args.includes(a)) args.push(a);
  const pid = readPid();
  if (pid && alive(pid)) {
    Deno.kill(pid, "SIGTERM");
    await waitFor(() => Promise.resolve(!alive(pid)), 60_000, "stop dockerd");
  }
  try {
    await options.whileDown?.();
  } finally {
    await spawnDetached(args);
    await waitFor(() => answers(DOCKER_SOCKET), 60_000, "restart dockerd");
  }
}
