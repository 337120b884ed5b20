/**
 * Malformed task-protocol messages, generated from a seed: each is the bytes
 * a hostile or broken peer writes on a fresh stream. Every one must be
 * answered with `refused` (or, when it never completes a frame, a closed
 * stream) and the host must keep serving.
 */
import type { RequestEnvelope } from "../../src/nat/mod.ts";
import { prng } from "../_fixtures/prng.ts";

function frame(bytes: Uint8Array, declared = bytes.byteLength): Uint8Array {
  const out = new Uint8Array(4 + bytes.byteLength);
  new DataView(out.buffer).setUint32(0, declared);
  out.set(bytes, 4);
  return out;
}

const canonical = (value: unknown) => JSON.stringify(value);
const text = (s: string) => new TextEncoder().encode(s);

/** `count` malformed messages from `seed`, mutating a valid `envelope`. */
export function* malformedMessages(
  seed: number,
  count: number,
  envelope: RequestEnvelope,
): Generator<{ kind: string; bytes: Uint8Array }> {
  const random = prng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const junk = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const keys = Object.keys(envelope) as (keyof RequestEnvelope)[];
  const values: unknown[] = [null, 0, -1, 1e308, "", "x".repeat(300), [], {}, true, "0x", "١٢"];
  const makers: [string, () => Uint8Array][] = [
    ["random-bytes", () => frame(junk(int(512)))],
    ["too-large", () => frame(junk(16), 128 * 1024 + 1 + int(1 << 20))],
    ["truncated", () => frame(junk(8 + int(64))).subarray(0, 6 + int(8))],
    ["not-utf8", () => frame(Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]))],
    ["not-json", () => frame(text(`{"action": "status", ${"x".repeat(int(40))}`))],
    ["json-scalar", () => frame(text(JSON.stringify(values[int(values.length)])))],
    ["missing-field", () => {
      const copy: Record<string, unknown> = { ...envelope };
      delete copy[keys[int(keys.length)]!];
      return frame(text(JSON.stringify(copy)));
    }],
    ["wrong-type", () => {
      const copy: Record<string, unknown> = { ...envelope };
      const key = keys[int(keys.length)]!;
      const value = values[int(values.length)];
      // args null or {} mean "no arguments": the same request, not a malformed one
      const same = key === "args" && (value === null || canonical(value) === "{}");
      copy[key] = same ? "x" : value;
      return frame(text(JSON.stringify(copy)));
    }],
    ["extra-field", () => frame(text(JSON.stringify({ ...envelope, admin: true })))],
    ["bad-action", () => frame(text(JSON.stringify({ ...envelope, action: "rm -rf" })))],
    [
      "bad-args",
      () =>
        frame(text(JSON.stringify({ ...envelope, action: "logs", args: { tail: -int(9) - 1 } }))),
    ],
    ["flipped-signature", () => {
      const sig = envelope.signature.split("");
      const at = 2 + int(128);
      sig[at] = sig[at] === "a" ? "b" : "a";
      return frame(text(JSON.stringify({ ...envelope, signature: sig.join("") })));
    }],
    [
      "changed-deal",
      () => frame(text(JSON.stringify({ ...envelope, dealId: String(1 + int(1_000_000)) }))),
    ],
    ["expired", () => frame(text(JSON.stringify({ ...envelope, expiry: String(int(1_000_000)) })))],
    ["huge-number", () => frame(text(JSON.stringify({ ...envelope, nonce: "9".repeat(78) })))],
  ];
  for (let i = 0; i < count; i++) {
    const [kind, make] = makers[int(makers.length)]!;
    yield { kind, bytes: make() };
  }
}
