import assert from "node:assert/strict";
import { InternalRpcError, RpcRequestError } from "viem";
import { classifyRpcError, revertDataOf, RPC_DIALECTS } from "./rpc_dialects.ts";
import { DIALECT_FIXTURES, REVERT_SAMPLE } from "./_rpc_dialect_fixtures.ts";

/** The answer as viem hands it over: an RpcRequestError inside the error its code maps to. */
function asViem(answer: { code: number; message: string; data?: unknown }): Error {
  const request = new RpcRequestError({ body: {}, error: answer, url: "http://127.0.0.1:8545" });
  return new InternalRpcError(request);
}

Deno.test("classifyRpcError() names every recorded answer's kind, bare and inside viem's errors", () => {
  const wrong: string[] = [];
  for (const f of DIALECT_FIXTURES) {
    for (const e of [f.answer, asViem(f.answer)]) {
      const kind = classifyRpcError(e);
      if (kind !== f.kind) wrong.push(`${f.node} ${f.kind}: got ${kind} for "${f.answer.message}"`);
    }
  }
  assert.deepEqual(wrong, []);
});

Deno.test("revertDataOf() finds the revert data in every dialect that sends it", () => {
  for (const f of DIALECT_FIXTURES.filter((x) => x.kind === "reverted")) {
    const expected = f.answer.data === undefined ? undefined : REVERT_SAMPLE;
    assert.equal(revertDataOf(f.answer), expected, f.node);
    assert.equal(revertDataOf(asViem(f.answer)), expected, f.node);
  }
  const ganache6 = {
    message: "VM Exception",
    data: { [`0x${"ab".repeat(32)}`]: { error: "revert", return: REVERT_SAMPLE } },
  };
  assert.equal(revertDataOf(ganache6), REVERT_SAMPLE);
});

Deno.test("the dialect table covers every kind for every node with a recorded answer", () => {
  const kinds = new Set(RPC_DIALECTS.map((r) => r.kind));
  assert.equal(kinds.size, 7);
  for (const kind of kinds) {
    assert.ok(DIALECT_FIXTURES.some((f) => f.kind === kind), kind);
  }
  // an unknown answer is nobody's: the caller treats it as a world failure
  assert.equal(classifyRpcError({ code: -32000, message: "something odd happened" }), undefined);
  // a gas-limit refusal is not a range limit
  assert.equal(
    classifyRpcError({ code: -32005, message: "Transaction gas limit exceeds block gas limit" }),
    undefined,
  );
});
