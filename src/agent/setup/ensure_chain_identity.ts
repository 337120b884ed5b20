import type { DatabaseSync } from "node:sqlite";
import type { SqliteChainStore } from "../state/mod.ts";
import {
  type ChainIdentity,
  type ChainIdentityDecision,
  decideChainIdentity,
  describeChainIdentity,
} from "./decide_chain_identity.ts";
import { ChainIdentityError, type Logger } from "../base/mod.ts";

/** Components of {@linkcode ensureChainIdentity}. */
export type EnsureChainIdentityComponents = {
  /** The state database (migration 0005 ran). */
  db: DatabaseSync;
  /** Its chain tables, cleared on a reset. */
  store: Pick<SqliteChainStore, "clear">;
  logger: Logger;
};

/** Options of {@linkcode ensureChainIdentity}. */
export type EnsureChainIdentityOptions = {
  actual: ChainIdentity;
  /** The chain is the embedded devnet: a new one starts the chain tables afresh. */
  devnet: boolean;
  /** For the error's hint. */
  dataDir?: string | undefined;
};

/**
 * Checks the state's recorded chain identity against the chain the agent
 * connected to ({@linkcode decideChainIdentity}) and acts on it in one
 * transaction: records a first identity; on a new devnet chain clears the
 * chain tables and retires the plans' orders as "gone" (their ids name
 * nothing on the new chain); refuses another RPC chain or market.
 *
 * @throws {ChainIdentityError} when an RPC chain or market differs from the recorded one
 * @example
 * ```ts ignore
 * ensureChainIdentity({ db, store, logger }, { actual, devnet: false });
 * ```
 */
export function ensureChainIdentity(
  components: EnsureChainIdentityComponents,
  options: EnsureChainIdentityOptions,
): ChainIdentityDecision {
  const { db, store, logger } = components;
  const { actual, devnet } = options;
  const recorded = readChainIdentity(db);
  const decision = decideChainIdentity({ recorded, actual, devnet });
  if (decision === "refuse") {
    throw new ChainIdentityError({
      recorded: describeChainIdentity(recorded!),
      actual: describeChainIdentity(actual),
      dataDir: options.dataDir,
    });
  }
  if (decision === "keep") return decision;
  if (decision === "reset") {
    store.clear();
    logger.info("a new devnet chain: the chain tables start afresh", {
      previous: describeChainIdentity(recorded!),
      now: describeChainIdentity(actual),
    });
  }
  const now = Date.now();
  db.exec("BEGIN IMMEDIATE");
  try {
    if (decision === "reset") {
      db.prepare(
        "UPDATE plan_orders SET retired_at = ?, retire_reason = 'gone' WHERE retired_at IS NULL",
      ).run(now);
    }
    db.prepare(
      `INSERT INTO chain_identity (id, chain_id, genesis_hash, market, recorded_at)
       VALUES (1, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET chain_id = excluded.chain_id,
         genesis_hash = excluded.genesis_hash, market = excluded.market,
         recorded_at = excluded.recorded_at`,
    ).run(actual.chainId, actual.genesisHash.toLowerCase(), actual.market.toLowerCase(), now);
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
  return decision;
}

/**
 * The chain identity the state recorded (the chain the agent last traded
 * on), or undefined before the first start.
 *
 * @example
 * ```ts ignore
 * const recorded = readChainIdentity(db); // { chainId, genesisHash, market } | undefined
 * ```
 */
export function readChainIdentity(db: DatabaseSync): ChainIdentity | undefined {
  const row = db.prepare(
    "SELECT chain_id, genesis_hash, market FROM chain_identity WHERE id = 1",
  ).get() as { chain_id: bigint | number; genesis_hash: string; market: string } | undefined;
  return row === undefined ? undefined : {
    chainId: Number(row.chain_id),
    genesisHash: row.genesis_hash as `0x${string}`,
    market: row.market as `0x${string}`,
  };
}
