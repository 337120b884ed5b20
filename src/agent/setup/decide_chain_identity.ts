/** What tells one chain and market from another. */
export type ChainIdentity = {
  chainId: number;
  /** Hash of block 0. */
  genesisHash: `0x${string}`;
  /** The Market contract's address. */
  market: `0x${string}`;
};

/**
 * What to do with the state's chain tables at start:
 * - `record`: the state has no identity yet (first start, or an older
 *   state): record this one and keep what is indexed;
 * - `keep`: the same chain and market;
 * - `reset`: the embedded devnet started a new chain (it does on every
 *   start, by construction; anvil's genesis hash comes from its start
 *   second, so two quick starts can share it): forget the chain tables and
 *   the plans' orders, record the new identity;
 * - `refuse`: a configured RPC serves another chain or market.
 */
export type ChainIdentityDecision = "record" | "keep" | "reset" | "refuse";

/**
 * Decides whether the state's chain tables belong to the chain the agent
 * connected to. Pure; addresses and hashes compare case-insensitively.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decideChainIdentity } from "./decide_chain_identity.ts";
 * const a = { chainId: 31337, genesisHash: "0xaa", market: "0x01" } as const;
 * const b = { ...a, genesisHash: "0xbb" } as const;
 * assert.equal(decideChainIdentity({ recorded: a, actual: a, devnet: false }), "keep");
 * assert.equal(decideChainIdentity({ recorded: a, actual: a, devnet: true }), "reset");
 * assert.equal(decideChainIdentity({ recorded: a, actual: b, devnet: true }), "reset");
 * assert.equal(decideChainIdentity({ recorded: a, actual: b, devnet: false }), "refuse");
 * ```
 */
export function decideChainIdentity(input: {
  recorded: ChainIdentity | undefined;
  actual: ChainIdentity;
  /** The chain is the agent's own embedded devnet, started just now: always a new chain. */
  devnet: boolean;
}): ChainIdentityDecision {
  const { recorded, actual, devnet } = input;
  if (recorded === undefined) return "record";
  if (devnet) return "reset";
  const same = recorded.chainId === actual.chainId &&
    recorded.genesisHash.toLowerCase() === actual.genesisHash.toLowerCase() &&
    recorded.market.toLowerCase() === actual.market.toLowerCase();
  return same ? "keep" : "refuse";
}

/**
 * A chain identity as people read it in an error: `chain 31337 (genesis 0xab…) market 0x…`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeChainIdentity } from "./decide_chain_identity.ts";
 * const text = describeChainIdentity({ chainId: 1, genesisHash: "0xd4e5", market: "0x01" });
 * assert.equal(text, 'chain 1 (genesis "0xd4e5"), market "0x01"');
 * ```
 */
export function describeChainIdentity(id: ChainIdentity): string {
  return `chain ${id.chainId} (genesis "${id.genesisHash}"), market "${id.market}"`;
}
