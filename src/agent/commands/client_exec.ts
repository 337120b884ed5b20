/**
 * `sonm-agent client exec` and `client shell`: a command, or an interactive
 * shell, in the deal's running task, through the rig found from the deal
 * (direct or relayed). One signed `exec` request opens the session; then
 * stdin, stdout, stderr, the terminal's size and the exit code travel as exec
 * frames. The remote exit code becomes the command's own.
 *
 * @module
 */
import { type ExecChannel, openExec } from "../../nat/mod.ts";
import { type ClientTarget, openClientSession } from "./client_command.ts";

/** Options of {@linkcode runClientExec}. */
export type RunClientExecOptions = {
  /** The command and its arguments. */
  command: string[];
};

/** Options of {@linkcode runClientShell}. */
export type RunClientShellOptions = {
  /** The shell to start. @default {["/bin/sh"]} */
  command?: string[] | undefined;
};

/**
 * Reads stdin into the channel until EOF, then ends the remote stdin (`atEof`:
 * a shell's terminal gets Ctrl-D instead, as a local terminal would send).
 */
async function pumpStdin(
  channel: ExecChannel,
  signal: AbortSignal,
  atEof: () => Promise<void> = () => channel.end(),
): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  try {
    while (!signal.aborted) {
      const n = await Deno.stdin.read(buffer);
      if (n === null || signal.aborted) break;
      await channel.write(buffer.slice(0, n));
    }
    if (!signal.aborted) await atEof();
  } catch {
    // stdin closed or the session over: nothing more to send
  }
}

async function writeAll(to: typeof Deno.stdout, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.byteLength;) at += await to.write(bytes.subarray(at));
}

/**
 * `client exec --deal ID -- CMD...`: runs the command in the deal's task,
 * its stdout and stderr kept apart on ours; stdin is passed through when it
 * is not a terminal (else the remote stdin is closed at once).
 *
 * @returns the remote command's exit code
 * @throws {RequestRefusedError} when the rig refused (nothing ran); {@linkcode NatError} when the session broke
 * @example
 * ```ts ignore
 * const code = await runClientExec(target, { command: ["cat", "/etc/hostname"] });
 * ```
 */
export async function runClientExec(
  target: ClientTarget,
  options: RunClientExecOptions,
): Promise<number> {
  const session = await openClientSession(target);
  const done = new AbortController();
  try {
    const channel = await openExec(
      session.rig.connection,
      await session.sign("exec", { command: options.command, tty: false }),
    );
    target.onStep?.("exec started", performance.now());
    if (Deno.stdin.isTerminal()) await channel.end();
    else void pumpStdin(channel, done.signal);
    for await (const chunk of channel.output()) {
      await writeAll(chunk.stream === "stderr" ? Deno.stderr : Deno.stdout, chunk.data);
    }
    return await channel.exitCode;
  } finally {
    done.abort();
    await session.close();
  }
}

/** The local terminal's size, when there is one. */
function terminalSize(): { cols: number; rows: number } | undefined {
  try {
    const { columns, rows } = Deno.consoleSize();
    return columns > 0 && rows > 0 ? { cols: columns, rows } : undefined;
  } catch {
    return undefined; // not a terminal
  }
}

function listen(signal: Deno.Signal, handler: () => void): () => void {
  try {
    Deno.addSignalListener(signal, handler);
    return () => Deno.removeSignalListener(signal, handler);
  } catch {
    return () => {}; // a platform without this signal
  }
}

/**
 * `client shell --deal ID [--cmd /bin/sh]`: an interactive shell in the
 * deal's task. The local terminal goes to raw mode (Ctrl-C, Ctrl-D and every
 * other key go to the remote side), its size is sent at the start and on
 * every SIGWINCH, and it is restored on every way out: the remote exit, a
 * refusal, a broken connection, SIGTERM or SIGHUP. Without a local terminal
 * (stdin piped) the remote shell still gets one and reads the pipe.
 *
 * @returns the remote shell's exit code
 * @throws {RequestRefusedError} when the rig refused (nothing ran); {@linkcode NatError} when the session broke
 * @example
 * ```ts ignore
 * const code = await runClientShell(target, { command: ["/bin/sh"] });
 * ```
 */
export async function runClientShell(
  target: ClientTarget,
  options: RunClientShellOptions = {},
): Promise<number> {
  const session = await openClientSession(target);
  const done = new AbortController();
  const cleanups: (() => void)[] = [];
  const interactive = Deno.stdin.isTerminal();
  try {
    const size = terminalSize();
    const channel = await openExec(
      session.rig.connection,
      await session.sign("exec", {
        command: options.command ?? ["/bin/sh"],
        tty: true,
        ...(size === undefined ? {} : { size }),
      }),
    );
    target.onStep?.("shell started", performance.now());
    if (interactive) {
      Deno.stdin.setRaw(true);
      cleanups.push(() => {
        try {
          Deno.stdin.setRaw(false);
        } catch { /* the terminal is gone */ }
      });
    }
    cleanups.push(listen("SIGWINCH", () => {
      const now = terminalSize();
      if (now !== undefined) channel.resize(now).catch(() => {});
    }));
    // raw mode sends Ctrl-C as a byte; a signal from outside ends the session (and restores)
    for (const signal of ["SIGTERM", "SIGHUP", "SIGINT"] as const) {
      cleanups.push(listen(signal, () => channel.close()));
    }
    void pumpStdin(channel, done.signal, () => channel.write(new Uint8Array([4])));
    for await (const chunk of channel.output()) await writeAll(Deno.stdout, chunk.data);
    return await channel.exitCode;
  } finally {
    done.abort();
    for (const cleanup of cleanups.reverse()) cleanup();
    await session.close();
  }
}
