import assert from "node:assert/strict";
import { readPassphrase } from "./read_passphrase.ts";
import type { PromptIo } from "./_prompt_passphrase.ts";

/** A terminal (or a pipe) that yields `chunks`, and what was written to stderr. */
function fakeIo(chunks: string[], terminal: boolean) {
  const written: string[] = [];
  const raw: boolean[] = [];
  const queue = chunks.map((c) => new TextEncoder().encode(c));
  const io: PromptIo = {
    stdin: {
      isTerminal: () => terminal,
      setRaw: (on) => void raw.push(on),
      read: (buffer) => {
        const next = queue.shift();
        if (next === undefined) return Promise.resolve(null);
        buffer.set(next);
        return Promise.resolve(next.length);
      },
    },
    stderr: {
      writeSync: (bytes) => {
        written.push(new TextDecoder().decode(bytes));
        return bytes.length;
      },
    },
  };
  return { io, written, raw };
}

Deno.test("readPassphrase() prompts on a terminal without echo, with backspace", async () => {
  const { io, written, raw } = fakeIo(["hunx\x7fter", "2\r"], true);
  const pass = await readPassphrase({ from: "prompt" }, { io, prompt: "Passphrase for k.json: " });
  assert.equal(pass, "hunter2");
  assert.deepEqual(written, ["Passphrase for k.json: ", "\n"]); // nothing echoed
  assert.deepEqual(raw, [true, false]);
});

Deno.test("readPassphrase() reads one line of stdin when it is not a terminal", async () => {
  const { io, written } = fakeIo(["s3cret\nnext line\n"], false);
  assert.equal(await readPassphrase({ from: "prompt" }, { io }), "s3cret");
  assert.deepEqual(written, []);
});

Deno.test("readPassphrase() refuses an empty answer and a cancelled prompt", async () => {
  await assert.rejects(
    () => readPassphrase({ from: "prompt" }, { io: fakeIo([], false).io }),
    /an empty line was given/,
  );
  await assert.rejects(
    () => readPassphrase({ from: "prompt" }, { io: fakeIo(["ab\x03"], true).io }),
    /cancelled/,
  );
});
