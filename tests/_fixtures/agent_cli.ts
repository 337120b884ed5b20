/**
 * `sonm-agent` (main.ts) in its own process, run from the repository root
 * with `--log-format json`: its log lines as they come, and signals.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";

const ROOT = resolve(new URL(".", import.meta.url).pathname, "../..");

/** One JSON log line of the agent. */
export type LogLine = Record<string, unknown> & { msg: string };

/** A running `sonm-agent` process and its log lines. */
export type CliAgent = {
  pid: number;
  /** Every log line read so far. */
  lines: LogLine[];
  /** The lines read so far, one JSON object a line (for failure messages). */
  dump(): string;
  /**
   * Reads until a line from index `from` on says `match` (a `msg`) or satisfies
   * it; fails with what was seen on exit or after `timeoutMs`.
   */
  waitFor(
    match: string | ((line: LogLine) => boolean),
    what?: string,
    from?: number,
    timeoutMs?: number,
  ): Promise<LogLine>;
  /** Sends SIGHUP (reload the config). */
  hangUp(): void;
  /** Sends `signal` once, reads the rest of the output (not after SIGKILL); the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
};

/** Options of {@linkcode spawnCliAgent}. */
export type SpawnCliAgentOptions = {
  /** Working directory. @default {the repository root} */
  cwd?: string | undefined;
  /**
   * Which stream carries the JSON lines: stderr (the logs, with `--log-format
   * json`) or stdout (what a command prints, e.g. `client forward`'s events).
   * @default {"stderr"}
   */
  lines?: "stderr" | "stdout" | undefined;
};

/** Starts `deno run -A main.ts ...args` (give `--log-format json`) from the repository root. */
export function spawnCliAgent(args: string[], options: SpawnCliAgentOptions = {}): CliAgent {
  const fromStdout = options.lines === "stdout";
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "main.ts"), ...args],
    cwd: options.cwd ?? ROOT,
    env: { NO_COLOR: "1" },
    stdout: fromStdout ? "piped" : "null",
    stderr: fromStdout ? "null" : "piped",
  }).spawn();
  const reader = (fromStdout ? child.stdout : child.stderr)
    .pipeThrough(new TextDecoderStream()).getReader();
  const lines: LogLine[] = [];
  let buffer = "";
  const readMore = async (): Promise<boolean> => {
    const { value, done } = await reader.read();
    if (done) return false;
    buffer += value;
    const parts = buffer.split("\n");
    buffer = parts.pop() ?? "";
    lines.push(...parts.map((part) => JSON.parse(part) as LogLine));
    return true;
  };
  const dump = () => lines.map((l) => JSON.stringify(l)).join("\n");
  let stopped: Promise<number> | undefined;
  return {
    pid: child.pid,
    lines,
    dump,
    async waitFor(match, what, from = 0, timeoutMs = 60_000) {
      const test = typeof match === "string" ? (l: LogLine) => l.msg === match : match;
      const name = what ?? (typeof match === "string" ? `"${match}" line` : "matching line");
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.slice(from).find(test);
        if (found !== undefined) return found;
        if (Date.now() > deadline || !(await readMore())) {
          assert.fail(`no ${name}; got:\n${dump()}`);
        }
      }
    },
    hangUp: () => child.kill("SIGHUP"),
    stop(signal = "SIGINT") {
      stopped ??= (async () => {
        child.kill(signal);
        if (signal === "SIGKILL") await reader.cancel().catch(() => {});
        else while (await readMore()) { /* read until exit */ }
        return (await child.status).code;
      })();
      return stopped;
    },
  };
}

/** What a finished `sonm-agent` command printed, and its exit code. */
export type CliResult = { code: number; stdout: string; stderr: string };

/**
 * Runs `deno run -A main.ts ...args` to its end in `cwd` (default: the
 * repository root), with `stdin` as its input (default: none), killed after
 * `timeoutMs` if given.
 */
export async function runCli(
  args: string[],
  options: {
    cwd?: string | undefined;
    env?: Record<string, string> | undefined;
    stdin?: string | undefined;
    /** Kill it (SIGTERM) when it runs longer: for a command that must not keep running. */
    timeoutMs?: number | undefined;
  } = {},
): Promise<CliResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "main.ts"), ...args],
    cwd: options.cwd ?? ROOT,
    ...(options.timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(options.timeoutMs) }),
    env: { NO_COLOR: "1", ...options.env },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await child.output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}
