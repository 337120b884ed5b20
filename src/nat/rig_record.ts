/**
 * The rig's signed record: binds the rig's libp2p peer id and current
 * addresses to its Ethereum address, for one chain and one market, with a
 * sequence number and an expiry. The Ethereum key signs it (EIP-191
 * `personal_sign`) over canonical bytes, so anyone holding the record can
 * check who vouches for that peer id, without trusting where the record came
 * from (a relay's DHT store, or the peer itself). Pure: no I/O.
 *
 * @module
 */
import { type Address, getAddress, type Hex, recoverMessageAddress } from "viem";
import { z } from "zod";
import { canonicalJson } from "../internal/mod.ts";
import { NatError } from "./errors.ts";

/** libp2p protocol id on which a rig answers with its current signed record. */
export const RIG_RECORD_PROTOCOL_ID = "/sonm/rig-record/1.0.0";
/** The largest encoded record accepted (DHT value or protocol answer). */
export const MAX_RIG_RECORD_BYTES = 8 * 1024;
/** The most addresses a record may list. */
export const MAX_RIG_RECORD_ADDRS = 16;
/** How far ahead of now a record's expiry may be: a leaked old record stays useless. */
export const MAX_RIG_RECORD_AHEAD_SECONDS = 24 * 3600;
/** The DHT key namespace (`/sonm/...`): the validator and selector are registered under it. */
export const RIG_RECORD_NAMESPACE = "sonm";

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const PEER_ID = /^[1-9A-HJ-NP-Za-km-z]{40,64}$/;

/** The signed fields of a record. */
export type RigRecord = {
  chainId: number;
  market: Address;
  /** The rig's Ethereum address: the author of its ASK orders, a deal's `supplier`. */
  address: Address;
  /** The rig's libp2p peer id. */
  peerId: string;
  /** Multiaddrs the rig can be reached at (direct ones and relay circuits). */
  addrs: string[];
  /** Higher replaces lower: a newer record of the same rig wins. */
  seq: bigint;
  /** Unix seconds after which the record is void. */
  expiry: bigint;
};

/** A record and the signature of its `address` over {@linkcode rigRecordMessage}. */
export type SignedRigRecord = RigRecord & { signature: Hex };

/** The wire form (JSON): integers as decimal strings, strict, bounded. */
const wireSchema = z.strictObject({
  v: z.literal(1),
  chainId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  market: z.string().regex(ADDRESS, "must be a 0x address"),
  address: z.string().regex(ADDRESS, "must be a 0x address"),
  peerId: z.string().regex(PEER_ID, "must be a base58 libp2p peer id"),
  addrs: z.array(z.string().min(2).max(512).startsWith("/")).min(1).max(MAX_RIG_RECORD_ADDRS),
  seq: z.string().regex(/^\d{1,20}$/, "must be a decimal integer"),
  expiry: z.string().regex(/^\d{1,20}$/, "must be a decimal integer"),
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, "must be a 65-byte hex signature"),
});

/** A record that cannot be read (bad bytes, bad JSON, a field out of bounds). */
export class RigRecordFormatError extends NatError {
  override name = "RigRecordFormatError";
}

/** Why a record does not prove the rig's identity for a deal. */
export type RigIdentityProblem =
  | "wrong-chain"
  | "wrong-market"
  | "expired"
  | "expiry-too-far"
  | "bad-signature"
  | "wrong-signer"
  | "wrong-peer";

/**
 * The peer answering is not proven to be the deal's supplier: nothing was
 * sent to it. The message names the address the deal expects and the one
 * the record (or the peer) stands for.
 */
export class RigIdentityError extends NatError {
  override name = "RigIdentityError";
  readonly problem: RigIdentityProblem;
  /** The deal's supplier. */
  readonly expected: Address;
  /** The address (or peer id, for `wrong-peer`) the record stands for. */
  readonly actual: string;
  constructor(
    args: { problem: RigIdentityProblem; expected: Address; actual: string; detail: string },
  ) {
    super(
      `Cannot trust the rig for supplier ${args.expected}: ${args.detail}; the record stands for ${args.actual}; nothing was sent`,
      {
        hints: [
          "Check the deal id and --rig; a rig that never published a record cannot prove who it is",
        ],
      },
    );
    this.problem = args.problem;
    this.expected = args.expected;
    this.actual = args.actual;
  }
}

/**
 * The bytes the rig's key signs (EIP-191 adds its own prefix): a fixed
 * title, then the canonical JSON of the fields (sorted keys, addresses in
 * lower case, integers as decimal strings), so one record has one message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rigRecordMessage } from "./rig_record.ts";
 * const text = new TextDecoder().decode(rigRecordMessage({
 *   chainId: 31337, market: "0x00000000000000000000000000000000000000AA",
 *   address: "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A",
 *   peerId: "12D3KooWFDjbqKTr4CuLBzwFtrzBcniUPWboDr18VZadAHm9e8Qj",
 *   addrs: ["/ip4/127.0.0.1/tcp/4001"], seq: 1n, expiry: 2_000_000_000n,
 * }));
 * assert.ok(text.startsWith("sonm rig record\n{\"address\":\"0x19e7e376"));
 * assert.ok(text.includes('"market":"0x00000000000000000000000000000000000000aa"'));
 * ```
 */
export function rigRecordMessage(record: RigRecord): Uint8Array {
  return new TextEncoder().encode(
    "sonm rig record\n" + canonicalJson({
      v: 1,
      chainId: record.chainId,
      market: record.market.toLowerCase(),
      address: record.address.toLowerCase(),
      peerId: record.peerId,
      addrs: record.addrs,
      seq: record.seq.toString(),
      expiry: record.expiry.toString(),
    }),
  );
}

/** What signs a record: the rig's Ethereum account (a viem LocalAccount fits). */
export type RigRecordSigner = {
  address: Address;
  signMessage(args: { message: { raw: Uint8Array } }): Promise<Hex>;
};

/**
 * Signs a record with the rig's account; `record.address` must be the account's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { privateKeyToAccount } from "viem/accounts";
 * import { recoverRigRecordSigner, signRigRecord } from "./rig_record.ts";
 * const rig = privateKeyToAccount(`0x${"33".repeat(32)}`);
 * const signed = await signRigRecord(rig, {
 *   chainId: 31337, market: "0x00000000000000000000000000000000000000aa", address: rig.address,
 *   peerId: "12D3KooWFDjbqKTr4CuLBzwFtrzBcniUPWboDr18VZadAHm9e8Qj",
 *   addrs: ["/ip4/127.0.0.1/tcp/4001"], seq: 1n, expiry: 2_000_000_000n,
 * });
 * assert.equal(await recoverRigRecordSigner(signed), rig.address);
 * ```
 */
export async function signRigRecord(
  signer: RigRecordSigner,
  record: RigRecord,
): Promise<SignedRigRecord> {
  if (getAddress(record.address) !== getAddress(signer.address)) {
    throw new TypeError(`record address ${record.address} is not the signer's ${signer.address}`);
  }
  const signature = await signer.signMessage({ message: { raw: rigRecordMessage(record) } });
  return { ...record, signature };
}

/** The address whose key signed the record (checksummed). */
export async function recoverRigRecordSigner(signed: SignedRigRecord): Promise<Address> {
  try {
    return getAddress(
      await recoverMessageAddress({
        message: { raw: rigRecordMessage(signed) },
        signature: signed.signature,
      }),
    );
  } catch (cause) {
    throw new RigRecordFormatError("the record's signature cannot be recovered", { cause });
  }
}

/** The record as bytes on the wire (UTF-8 JSON). */
export function encodeRigRecord(signed: SignedRigRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({
    v: 1,
    chainId: signed.chainId,
    market: signed.market,
    address: signed.address,
    peerId: signed.peerId,
    addrs: signed.addrs,
    seq: signed.seq.toString(),
    expiry: signed.expiry.toString(),
    signature: signed.signature,
  }));
}

/**
 * Reads a record from untrusted bytes: size bound, UTF-8, JSON, the strict
 * schema. Does not check the signature (see {@linkcode verifyRigRecord}).
 *
 * @throws {RigRecordFormatError} naming what is wrong
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeRigRecord, RigRecordFormatError } from "./rig_record.ts";
 * assert.throws(() => decodeRigRecord(new TextEncoder().encode("{}")), RigRecordFormatError);
 * ```
 */
export function decodeRigRecord(bytes: Uint8Array): SignedRigRecord {
  if (bytes.byteLength > MAX_RIG_RECORD_BYTES) {
    throw new RigRecordFormatError(
      `the record is ${bytes.byteLength} bytes, over the limit of ${MAX_RIG_RECORD_BYTES}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new RigRecordFormatError("the record is not UTF-8 JSON");
  }
  const parsed = wireSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RigRecordFormatError(
      `the record's ${issue?.path.join(".") || "(record)"}: ${issue?.message ?? "invalid"}`,
    );
  }
  const w = parsed.data;
  return {
    chainId: w.chainId,
    market: getAddress(w.market),
    address: getAddress(w.address),
    peerId: w.peerId,
    addrs: w.addrs,
    seq: BigInt(w.seq),
    expiry: BigInt(w.expiry),
    signature: w.signature as Hex,
  };
}

/** What a record must match: the deal's chain, market and supplier, the time, the peer. */
export type VerifyRigRecordOptions = {
  chainId: number;
  market: Address;
  /** The deal's supplier (or, for an administrator, the rig's address). */
  supplier: Address;
  nowSeconds: bigint;
  /** The connected peer: the record must be this peer's. */
  peerId?: string | undefined;
};

/**
 * Checks that a record proves the rig: signed by `supplier`, for this chain
 * and market, unexpired (and not valid unreasonably long), and, when
 * `peerId` is given, the connected peer's.
 *
 * @throws {RigIdentityError} naming the expected address and the record's
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { privateKeyToAccount } from "viem/accounts";
 * import { RigIdentityError, signRigRecord, verifyRigRecord } from "./rig_record.ts";
 * const rig = privateKeyToAccount(`0x${"33".repeat(32)}`);
 * const market = "0x00000000000000000000000000000000000000aa" as const;
 * const peerId = "12D3KooWFDjbqKTr4CuLBzwFtrzBcniUPWboDr18VZadAHm9e8Qj";
 * const signed = await signRigRecord(rig, {
 *   chainId: 31337, market, address: rig.address, peerId,
 *   addrs: ["/ip4/127.0.0.1/tcp/4001"], seq: 1n, expiry: 2_000_000_000n,
 * });
 * const expect = { chainId: 31337, market, supplier: rig.address, nowSeconds: 1_999_999_000n };
 * await verifyRigRecord(signed, { ...expect, peerId });
 * await assert.rejects(verifyRigRecord(signed, { ...expect, chainId: 1 }), RigIdentityError);
 * ```
 */
export async function verifyRigRecord(
  signed: SignedRigRecord,
  options: VerifyRigRecordOptions,
): Promise<void> {
  const expected = getAddress(options.supplier);
  const fail = (problem: RigIdentityProblem, actual: string, detail: string): never => {
    throw new RigIdentityError({ problem, expected, actual, detail });
  };
  if (signed.chainId !== options.chainId) {
    fail(
      "wrong-chain",
      signed.address,
      `the record is for chain ${signed.chainId}, not ${options.chainId}`,
    );
  }
  if (signed.market.toLowerCase() !== options.market.toLowerCase()) {
    fail(
      "wrong-market",
      signed.address,
      `the record is for market ${signed.market}, not ${options.market}`,
    );
  }
  if (signed.expiry <= options.nowSeconds) {
    fail(
      "expired",
      signed.address,
      `the record expired at ${signed.expiry} (now ${options.nowSeconds})`,
    );
  }
  if (signed.expiry > options.nowSeconds + BigInt(MAX_RIG_RECORD_AHEAD_SECONDS)) {
    fail(
      "expiry-too-far",
      signed.address,
      `the record's expiry ${signed.expiry} is more than ${MAX_RIG_RECORD_AHEAD_SECONDS} s ahead`,
    );
  }
  let signer: Address;
  try {
    signer = await recoverRigRecordSigner(signed);
  } catch {
    return fail("bad-signature", signed.address, "the record's signature cannot be recovered");
  }
  if (signer !== getAddress(signed.address)) {
    fail("bad-signature", signer, `the record names ${signed.address} but ${signer} signed it`);
  }
  if (signer !== expected) {
    fail("wrong-signer", signer, `the record is signed by ${signer}`);
  }
  if (options.peerId !== undefined && options.peerId !== signed.peerId) {
    fail(
      "wrong-peer",
      signer,
      `the connected peer ${options.peerId} is not the record's peer ${signed.peerId}`,
    );
  }
}

/**
 * The DHT key of a rig's record: `/sonm/rig/<chain id>/<market>/<address>`
 * (addresses in lower case).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rigRecordKey } from "./rig_record.ts";
 * const key = rigRecordKey({
 *   chainId: 31337, market: "0x00000000000000000000000000000000000000AA",
 *   address: "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A",
 * });
 * assert.equal(
 *   new TextDecoder().decode(key),
 *   "/sonm/rig/31337/0x00000000000000000000000000000000000000aa/0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a",
 * );
 * ```
 */
export function rigRecordKey(
  of: { chainId: number; market: Address; address: Address },
): Uint8Array {
  return new TextEncoder().encode(
    `/${RIG_RECORD_NAMESPACE}/rig/${of.chainId}/${of.market.toLowerCase()}/${of.address.toLowerCase()}`,
  );
}

const KEY = /^\/sonm\/rig\/(\d{1,16})\/(0x[0-9a-f]{40})\/(0x[0-9a-f]{40})$/;

/**
 * The DHT's validator of `/sonm/` keys (relays run it on every PUT, clients
 * on every value found): the record decodes, is for the key's chain, market
 * and address, is signed by that address, and is unexpired.
 *
 * @throws {RigRecordFormatError | RigIdentityError} when the value is not a valid record for the key
 */
export async function validateRigRecordEntry(
  key: Uint8Array,
  value: Uint8Array,
  nowSeconds: bigint = BigInt(Math.floor(Date.now() / 1000)),
): Promise<void> {
  const match = new TextDecoder().decode(key).match(KEY);
  if (match === null) throw new RigRecordFormatError("the key is not a /sonm/rig/ key");
  const signed = decodeRigRecord(value);
  await verifyRigRecord(signed, {
    chainId: Number(match[1]),
    market: getAddress(match[2]!),
    supplier: getAddress(match[3]!),
    nowSeconds,
  });
}

/**
 * The DHT's selector of `/sonm/` keys: the index of the best of several
 * values for one key: the highest sequence number, then the latest expiry;
 * values that do not decode never win.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { privateKeyToAccount } from "viem/accounts";
 * import { encodeRigRecord, selectRigRecord, signRigRecord } from "./rig_record.ts";
 * const rig = privateKeyToAccount(`0x${"33".repeat(32)}`);
 * const at = async (seq: bigint) => encodeRigRecord(await signRigRecord(rig, {
 *   chainId: 31337, market: "0x00000000000000000000000000000000000000aa", address: rig.address,
 *   peerId: "12D3KooWFDjbqKTr4CuLBzwFtrzBcniUPWboDr18VZadAHm9e8Qj",
 *   addrs: ["/ip4/127.0.0.1/tcp/4001"], seq, expiry: 2_000_000_000n,
 * }));
 * const garbage = new TextEncoder().encode('{"seq":"99"}');
 * assert.equal(selectRigRecord(new Uint8Array(), [await at(1n), garbage, await at(3n), await at(2n)]), 2);
 * ```
 */
export function selectRigRecord(_key: Uint8Array, values: Uint8Array[]): number {
  let best = 0;
  let bestRank: [bigint, bigint] | undefined;
  values.forEach((value, index) => {
    let rank: [bigint, bigint];
    try {
      const record = decodeRigRecord(value);
      rank = [record.seq, record.expiry];
    } catch {
      return;
    }
    if (
      bestRank === undefined || rank[0] > bestRank[0] ||
      (rank[0] === bestRank[0] && rank[1] > bestRank[1])
    ) {
      best = index;
      bestRank = rank;
    }
  });
  return best;
}
