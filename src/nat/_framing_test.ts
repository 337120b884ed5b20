import assert from "node:assert/strict";
import { encodeFrame, FrameReader, FrameTooLargeError } from "./_framing.ts";

async function* chunks(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield part;
}

const bytes = (...values: number[]) => Uint8Array.from(values);

Deno.test("FrameReader reassembles frames split across chunks and keeps the rest", async () => {
  const wire = new Uint8Array([...encodeFrame(bytes(1, 2, 3)), ...encodeFrame(bytes()), 9, 8]);
  const reader = new FrameReader(
    chunks(wire.subarray(0, 2), wire.subarray(2, 9), wire.subarray(9)),
  );
  assert.deepEqual(await reader.next(10), bytes(1, 2, 3));
  assert.deepEqual(await reader.next(10), bytes());
  const rest: number[] = [];
  for await (const chunk of reader.rest()) rest.push(...chunk);
  assert.deepEqual(rest, [9, 8]);
});

Deno.test("FrameReader refuses a frame over the limit before reading its body", async () => {
  let pulled = 0;
  async function* source() {
    pulled++;
    yield encodeFrame(new Uint8Array(100)).subarray(0, 4); // only the header arrives
    pulled++;
    yield new Uint8Array(100);
  }
  const reader = new FrameReader(source());
  await assert.rejects(() => reader.next(99), FrameTooLargeError);
  assert.equal(pulled, 1);
});

Deno.test("FrameReader: a clean end is undefined, a cut frame is an error", async () => {
  assert.equal(await new FrameReader(chunks()).next(10), undefined);
  await assert.rejects(() => new FrameReader(chunks(bytes(0, 0))).next(10), /frame header/);
  await assert.rejects(
    () => new FrameReader(chunks(bytes(0, 0, 0, 5, 1))).next(10),
    /inside a frame/,
  );
});
