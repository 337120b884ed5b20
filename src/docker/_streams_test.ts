import assert from "node:assert/strict";
import { demultiplex, jsonLines } from "./_streams.ts";

function frame(type: number, text: string): Uint8Array {
  const data = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + data.length);
  out[0] = type;
  new DataView(out.buffer).setUint32(4, data.length);
  out.set(data, 8);
  return out;
}

function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (let i = 0; i < bytes.length; i += size) c.enqueue(bytes.slice(i, i + size));
      c.close();
    },
  });
}

Deno.test("demultiplex() decodes frames split across chunks of any size", async () => {
  const all = new Uint8Array([...frame(1, "hello "), ...frame(2, "oops"), ...frame(1, "world")]);
  for (const size of [1, 3, 7, 8, 13, all.length]) {
    const got: [string, string][] = [];
    for await (const f of demultiplex(chunked(all, size))) {
      const last = got[got.length - 1];
      const text = new TextDecoder().decode(f.data);
      if (last && last[0] === f.stream) last[1] += text;
      else got.push([f.stream, text]);
    }
    assert.deepEqual(
      got,
      [["stdout", "hello "], ["stderr", "oops"], ["stdout", "world"]],
      `chunk size ${size}`,
    );
  }
});

Deno.test("jsonLines() yields each line and the last one without a newline", async () => {
  const text = '{"a":1}\n\n{"b":2}\r\n{"c":3}';
  const got = [];
  for await (const v of jsonLines(chunked(new TextEncoder().encode(text), 4))) got.push(v);
  assert.deepEqual(got, [{ a: 1 }, { b: 2 }, { c: 3 }]);
});

Deno.test("demultiplex() joins consecutive frames of one stream within a chunk", async () => {
  const all = new Uint8Array([
    ...frame(1, "a"),
    ...frame(1, "b"),
    ...frame(2, "c"),
    ...frame(1, "d"),
  ]);
  const got: string[] = [];
  for await (const f of demultiplex(chunked(all, all.length))) {
    got.push(`${f.stream}:${new TextDecoder().decode(f.data)}`);
  }
  assert.deepEqual(got, ["stdout:ab", "stderr:c", "stdout:d"]);
});
