import assert from "node:assert/strict";
import { ChunkedDecoder } from "./_raw_http.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("ChunkedDecoder decodes chunks split at every byte boundary", () => {
  const wire = "5\r\nhello\r\n1;ext=1\r\n \r\nb\r\nworld again\r\n0\r\n\r\n";
  for (let size = 1; size <= wire.length; size++) {
    const d = new ChunkedDecoder();
    let out = "";
    for (let i = 0; i < wire.length; i += size) out += dec(d.push(enc(wire.slice(i, i + size))));
    assert.equal(out, "hello world again", `piece size ${size}`);
    assert.equal(d.finished, true);
  }
});

Deno.test("ChunkedDecoder is not finished before the last chunk and refuses a bad size", () => {
  const d = new ChunkedDecoder();
  assert.equal(dec(d.push(enc("3\r\nabc\r\n"))), "abc");
  assert.equal(d.finished, false);
  assert.throws(() => new ChunkedDecoder().push(enc("zz\r\n")), /malformed chunk size/);
});
