import type { DatabaseSync } from "node:sqlite";

/**
 * Runs `fn` in one write transaction (`BEGIN IMMEDIATE`: the write lock is
 * taken at once, so a second writer waits at the start, not halfway): all of
 * it commits, or on a throw none of it does and the error goes on. The one
 * transaction helper of the state's tables.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DatabaseSync } from "node:sqlite";
 * import { inTransaction } from "./transaction.ts";
 * const db = new DatabaseSync(":memory:");
 * db.exec("CREATE TABLE t (v INTEGER)");
 * assert.throws(() =>
 *   inTransaction(db, () => {
 *     db.exec("INSERT INTO t VALUES (1)");
 *     throw new Error("half way");
 *   }), /half way/);
 * assert.equal(inTransaction(db, () => db.prepare("SELECT COUNT(*) AS n FROM t").get()?.n), 0);
 * db.close();
 * ```
 */
export function inTransaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const out = fn();
    db.exec("COMMIT");
    return out;
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}

/** Whether the state file has table `name` (a state older than its migration has not). */
export function hasTable(db: DatabaseSync, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !==
    undefined;
}
