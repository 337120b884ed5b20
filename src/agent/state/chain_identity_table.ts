import type { DatabaseSync } from "node:sqlite";

/** The chain a state belongs to, as `chain_identity` records it (addresses in lower case). */
export type RecordedChainIdentity = {
  chainId: number;
  genesisHash: `0x${string}`;
  market: `0x${string}`;
};

/**
 * The chain identity the state recorded (migration 0005), or undefined for a
 * state that never connected (the owner of `chain_identity`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openState } from "./state.ts";
 * import { readChainIdentity, recordChainIdentity } from "./chain_identity_table.ts";
 * const { db, close } = openState({ path: ":memory:" });
 * assert.equal(readChainIdentity(db), undefined);
 * recordChainIdentity(db, { chainId: 31337, genesisHash: "0xAB", market: "0xCD" }, 1000);
 * assert.deepEqual(readChainIdentity(db), { chainId: 31337, genesisHash: "0xab", market: "0xcd" });
 * close();
 * ```
 */
export function readChainIdentity(db: DatabaseSync): RecordedChainIdentity | undefined {
  const row = db.prepare(
    "SELECT chain_id, genesis_hash, market FROM chain_identity WHERE id = 1",
  ).get() as { chain_id: bigint; genesis_hash: string; market: string } | undefined;
  return row === undefined ? undefined : {
    chainId: Number(row.chain_id),
    genesisHash: row.genesis_hash as `0x${string}`,
    market: row.market as `0x${string}`,
  };
}

/** Records (or replaces) the state's chain identity at `now` (ms). */
export function recordChainIdentity(
  db: DatabaseSync,
  identity: RecordedChainIdentity,
  now: number,
): void {
  db.prepare(
    `INSERT INTO chain_identity (id, chain_id, genesis_hash, market, recorded_at)
     VALUES (1, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET chain_id = excluded.chain_id,
       genesis_hash = excluded.genesis_hash, market = excluded.market,
       recorded_at = excluded.recorded_at`,
  ).run(identity.chainId, identity.genesisHash.toLowerCase(), identity.market.toLowerCase(), now);
}
