import { AgentError } from "../../errors.ts";

/** The terminal a prompt uses (Deno.stdin and Deno.stderr by default; tests give their own). */
export type PromptIo = {
  stdin: {
    isTerminal(): boolean;
    setRaw(raw: boolean): void;
    read(buffer: Uint8Array): Promise<number | null>;
  };
  stderr: { writeSync(bytes: Uint8Array): number };
};

/** A passphrase is a line; anything longer is not one. */
const MAX_LINE_BYTES = 4096;

const CTRL_C = 3;
const CTRL_D = 4;
const BACKSPACE = 127;
const CTRL_H = 8;

/**
 * Asks for a passphrase: on a terminal, `prompt` on stderr and the answer
 * read without echo up to Enter (backspace works, Ctrl-C cancels); otherwise
 * one line of stdin (for scripts: `... < pass.txt`). The line's end is
 * dropped; at most 4 KiB are read.
 *
 * @throws {AgentError} when cancelled, or when the line is longer than 4 KiB
 */
export async function promptPassphrase(prompt: string, io?: PromptIo): Promise<string> {
  const { stdin, stderr } = io ?? { stdin: Deno.stdin, stderr: Deno.stderr };
  const terminal = stdin.isTerminal();
  const bytes: number[] = [];
  const chunk = new Uint8Array(256);
  if (terminal) {
    stderr.writeSync(new TextEncoder().encode(prompt));
    stdin.setRaw(true);
  }
  try {
    for (;;) {
      const n = await stdin.read(chunk);
      if (n === null) break; // end of input ends the line
      let done = false;
      for (const byte of chunk.subarray(0, n)) {
        if (byte === 10 || byte === 13) {
          done = true;
          break;
        }
        if (terminal && byte === CTRL_C) {
          throw new AgentError("Cannot read the passphrase: cancelled");
        }
        if (terminal && byte === CTRL_D && bytes.length === 0) {
          done = true;
          break;
        }
        if (terminal && (byte === BACKSPACE || byte === CTRL_H)) {
          bytes.pop();
          continue;
        }
        bytes.push(byte);
      }
      if (bytes.length > MAX_LINE_BYTES) {
        throw new AgentError(
          `Cannot read the passphrase: the line is longer than ${MAX_LINE_BYTES} bytes`,
        );
      }
      if (done) break;
    }
  } finally {
    if (terminal) {
      stdin.setRaw(false);
      stderr.writeSync(new TextEncoder().encode("\n"));
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
