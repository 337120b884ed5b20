import type { DatabaseSync } from "node:sqlite";
import {
  inTransaction,
  planOrdersTable,
  readChainIdentity,
  recordChainIdentity,
  type SqliteChainStore,
} from "../state/mod.ts";
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
  const recorded: ChainIdentity | undefined = readChainIdentity(db);
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
  inTransaction(db, () => {
    if (decision === "reset") planOrdersTable(db).retireAll("gone", now);
    recordChainIdentity(db, actual, now);
  });
  return decision;
}
