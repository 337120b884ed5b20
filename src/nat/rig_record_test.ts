import assert from "node:assert/strict";
import { privateKeyToAccount } from "viem/accounts";
import {
  decodeRigRecord,
  encodeRigRecord,
  MAX_RIG_RECORD_AHEAD_SECONDS,
  MAX_RIG_RECORD_BYTES,
  RigIdentityError,
  type RigIdentityProblem,
  RigRecordFormatError,
  rigRecordKey,
  signRigRecord,
  validateRigRecordEntry,
  verifyRigRecord,
} from "./rig_record.ts";

const RIG = privateKeyToAccount(`0x${"33".repeat(32)}`);
const OTHER = privateKeyToAccount(`0x${"44".repeat(32)}`);
const MARKET = "0x00000000000000000000000000000000000000aa" as const;
const PEER = "12D3KooWFDjbqKTr4CuLBzwFtrzBcniUPWboDr18VZadAHm9e8Qj";
const OTHER_PEER = "12D3KooWS81zFmeHwZcPMGqkBSKAHRq9bHpBX4y6agUFjA8Pva8M";
const NOW = 1_900_000_000n;
const expect = { chainId: 31337, market: MARKET, supplier: RIG.address, nowSeconds: NOW };

const record = (signer = RIG, fields: Record<string, unknown> = {}) =>
  signRigRecord(signer, {
    chainId: 31337,
    market: MARKET,
    address: signer.address,
    peerId: PEER,
    addrs: [`/ip4/127.0.0.1/tcp/4001/p2p/${PEER}`],
    seq: 1n,
    expiry: NOW + 600n,
    ...fields,
  });

async function problemOf(promise: Promise<void>): Promise<RigIdentityProblem | "ok"> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    assert.ok(error instanceof RigIdentityError, String(error));
    return error.problem;
  }
}

Deno.test("verifyRigRecord() accepts the supplier's record from the supplier's peer", async () => {
  const signed = await record();
  assert.equal(await problemOf(verifyRigRecord(signed, { ...expect, peerId: PEER })), "ok");
  // the wire form round-trips, addresses compared case-blind
  const back = decodeRigRecord(
    encodeRigRecord({ ...signed, market: `0x${MARKET.slice(2).toUpperCase()}` }),
  );
  assert.equal(await problemOf(verifyRigRecord(back, expect)), "ok");
});

Deno.test("verifyRigRecord() refuses each mismatch, naming both addresses", async () => {
  const signed = await record();
  const cases: [Promise<void>, RigIdentityProblem][] = [
    [verifyRigRecord(signed, { ...expect, chainId: 1 }), "wrong-chain"],
    [verifyRigRecord(signed, { ...expect, market: `0x${"bb".repeat(20)}` }), "wrong-market"],
    [verifyRigRecord(await record(RIG, { expiry: NOW }), expect), "expired"],
    [
      verifyRigRecord(
        await record(RIG, { expiry: NOW + BigInt(MAX_RIG_RECORD_AHEAD_SECONDS) + 1n }),
        expect,
      ),
      "expiry-too-far",
    ],
    // another rig's valid record, served by a peer that is not that rig
    [verifyRigRecord(await record(OTHER), expect), "wrong-signer"],
    [verifyRigRecord(signed, { ...expect, peerId: OTHER_PEER }), "wrong-peer"],
    // a field changed after signing
    [verifyRigRecord({ ...signed, addrs: ["/ip4/6.6.6.6/tcp/1"] }, expect), "bad-signature"],
  ];
  for (const [promise, problem] of cases) assert.equal(await problemOf(promise), problem);
  try {
    await verifyRigRecord(await record(OTHER), expect);
  } catch (error) {
    assert.ok(error instanceof RigIdentityError);
    assert.match(error.message, new RegExp(RIG.address));
    assert.match(error.message, new RegExp(OTHER.address));
    assert.match(error.message, /nothing was sent/);
  }
});

Deno.test("decodeRigRecord() refuses oversized, non-JSON and out-of-bounds records", () => {
  const cases: Uint8Array[] = [
    new Uint8Array(MAX_RIG_RECORD_BYTES + 1),
    new Uint8Array([0xff, 0xfe]),
    new TextEncoder().encode('{"v":2}'),
    new TextEncoder().encode(JSON.stringify({ v: 1, addrs: Array(17).fill("/ip4/1.2.3.4") })),
  ];
  for (const bytes of cases) assert.throws(() => decodeRigRecord(bytes), RigRecordFormatError);
});

Deno.test("validateRigRecordEntry() holds the record to its key", async () => {
  const signed = await record();
  const bytes = encodeRigRecord(signed);
  await validateRigRecordEntry(rigRecordKey(signed), bytes, NOW);
  await assert.rejects(
    validateRigRecordEntry(rigRecordKey({ ...signed, address: OTHER.address }), bytes, NOW),
    RigIdentityError,
  );
  await assert.rejects(
    validateRigRecordEntry(rigRecordKey({ ...signed, chainId: 5 }), bytes, NOW),
    RigIdentityError,
  );
  await assert.rejects(
    validateRigRecordEntry(new TextEncoder().encode("/sonm/other"), bytes, NOW),
    RigRecordFormatError,
  );
});
