import assert from "node:assert/strict";
import { type ChainIdentity, decideChainIdentity } from "./decide_chain_identity.ts";

const a: ChainIdentity = {
  chainId: 31337,
  genesisHash: "0xaaaa",
  market: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
};

Deno.test("decideChainIdentity() records a first identity, on a devnet or not", () => {
  assert.equal(decideChainIdentity({ recorded: undefined, actual: a, devnet: false }), "record");
  assert.equal(decideChainIdentity({ recorded: undefined, actual: a, devnet: true }), "record");
});

Deno.test("decideChainIdentity() keeps the same RPC chain, ignoring the case of hex", () => {
  const upper = { ...a, genesisHash: "0xAAAA", market: a.market.toLowerCase() } as ChainIdentity;
  assert.equal(decideChainIdentity({ recorded: a, actual: upper, devnet: false }), "keep");
  assert.equal(
    decideChainIdentity({ recorded: a, actual: a, devnet: true }),
    "reset",
    "the embedded devnet is new on every start, even with the genesis of a start in the same second",
  );
});

Deno.test("decideChainIdentity() refuses any difference on an RPC chain, resets on a devnet", () => {
  const others: ChainIdentity[] = [
    { ...a, chainId: 1 },
    { ...a, genesisHash: "0xbbbb" },
    { ...a, market: "0x0000000000000000000000000000000000000001" },
  ];
  for (const actual of others) {
    assert.equal(decideChainIdentity({ recorded: a, actual, devnet: false }), "refuse");
    assert.equal(decideChainIdentity({ recorded: a, actual, devnet: true }), "reset");
  }
});
