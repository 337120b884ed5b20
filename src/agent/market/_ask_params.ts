import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

/** The parameters of an ASK order, as placeOrder takes them. */
export type AskParameters = {
  /** Seconds; 0 = spot. */
  duration: bigint;
  /** USD x 1e18 per second. */
  price: bigint;
  /** overlay, outbound, incoming. */
  netflags: readonly boolean[];
  identityLevel: 0 | 1 | 2 | 3;
  counterparty: `0x${string}`;
  blacklist: `0x${string}`;
  tag: `0x${string}`;
  /** Benchmark values by id. */
  benchmarks: readonly bigint[];
};

/**
 * A stable hash of an ASK's parameters: equal for a planned order and the
 * same order as the chain stores it. Addresses and the tag are compared case
 * insensitively; trailing false netflags and trailing zero benchmarks are
 * dropped (the contract treats missing entries as false / 0).
 */
export function askParamsHash(p: AskParameters): string {
  const flags = [...p.netflags];
  while (flags.length > 0 && flags[flags.length - 1] === false) flags.pop();
  const bench = [...p.benchmarks];
  while (bench.length > 0 && bench[bench.length - 1] === 0n) bench.pop();
  const canonical = [
    "ask/v1",
    p.duration.toString(),
    p.price.toString(),
    flags.map((f) => (f ? "1" : "0")).join(""),
    String(p.identityLevel),
    p.counterparty.toLowerCase(),
    p.blacklist.toLowerCase(),
    p.tag.toLowerCase(),
    bench.map(String).join(","),
  ].join("|");
  return bytesToHex(sha256(new TextEncoder().encode(canonical)));
}

/** An order's tag: the text as utf-8, right-padded with zeros to 32 bytes. */
export function tagBytes32(tag: string): `0x${string}` {
  const bytes = new TextEncoder().encode(tag);
  const padded = new Uint8Array(32);
  padded.set(bytes.subarray(0, 32));
  return `0x${[...padded].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
