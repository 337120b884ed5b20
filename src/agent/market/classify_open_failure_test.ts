import assert from "node:assert/strict";
import {
  ChainError,
  ChainRevertError,
  ChainRpcError,
  ChainTxTimeoutError,
} from "../../chain/mod.ts";
import { chainErrorFields, classifyOpenFailure } from "./classify_open_failure.ts";

const pair = { askId: 3n, bidId: 7n };
const revert = (errorName: string, errorArgs: unknown[] = []) =>
  new ChainRevertError({ functionName: "openDeal", errorName, errorArgs });

Deno.test("classifyOpenFailure() tells our gone ASK from a taken BID", () => {
  assert.equal(classifyOpenFailure(revert("OrderNotActive", [3n]), pair), "ask-gone");
  assert.equal(classifyOpenFailure(revert("OrderNotActive", [7n]), pair), "bid-gone");
});

Deno.test("classifyOpenFailure() parks a BID that only its own change can clear", () => {
  for (
    const name of [
      "ERC20InsufficientAllowance",
      "ERC20InsufficientBalance",
      "Blacklisted",
      "IdentityTooLow",
      "CounterpartyMismatch",
    ]
  ) {
    assert.equal(classifyOpenFailure(revert(name), pair), "bid-blocked", name);
  }
});

Deno.test("classifyOpenFailure() retries node failures and rule disagreements", () => {
  assert.equal(classifyOpenFailure(revert("PriceTooHigh", [2n, 1n]), pair), "retry");
  assert.equal(
    classifyOpenFailure(new ChainRevertError({ functionName: "openDeal", detail: "?" }), pair),
    "retry",
  );
  const rpc = new ChainRpcError({ action: "x", url: "http://n", attempts: 4, detail: "down" });
  assert.equal(classifyOpenFailure(rpc, pair), "retry");
  const timeout = new ChainTxTimeoutError({
    functionName: "openDeal",
    txHash: "0x1",
    timeoutMs: 1,
  });
  assert.equal(classifyOpenFailure(timeout, pair), "retry");
  assert.equal(classifyOpenFailure(new ChainError("refused"), pair), "retry");
});

Deno.test("classifyOpenFailure() leaves a bug to its caller", () => {
  assert.equal(classifyOpenFailure(new TypeError("x is undefined"), pair), undefined);
  assert.equal(classifyOpenFailure("a string", pair), undefined);
});

Deno.test("chainErrorFields() names the decoded contract error", () => {
  assert.deepEqual(chainErrorFields(revert("Blacklisted")).contractError, "Blacklisted");
  assert.equal("contractError" in chainErrorFields(new ChainError("x")), false);
});
