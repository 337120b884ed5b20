import { errorText } from "../../internal/mod.ts";
import { mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { type Logger, StateError } from "../base/mod.ts";
import { type Migration, MIGRATIONS } from "./migrations/mod.ts";

/** Options of {@linkcode openState}. */
export type OpenStateOptions = {
  /** The sqlite file; its folder is created when missing. `:memory:` for tests. */
  path: string;
  /**
   * The migrations to apply.
   * @default {MIGRATIONS}
   */
  migrations?: readonly Migration[] | undefined;
  /** Where "the state file is empty" and the like go. @default {nowhere} */
  logger?: Logger | undefined;
};

/** The agent's open state database. */
export type AgentState = {
  /** The connection; int64 columns come back as bigint. */
  readonly db: DatabaseSync;
  readonly path: string;
  /** The schema version after migrations ran. */
  readonly schemaVersion: number;
  /** The migrations applied by this open (empty when the schema was current). */
  readonly applied: readonly Migration[];
  close(): void;
};

/**
 * Opens (creating when needed) the agent's sqlite state: WAL mode, foreign
 * keys on, and every pending migration applied, each in its own transaction.
 *
 * An existing file is first checked through a read-only connection, before
 * anything can write to it: a database written by a newer agent is refused
 * untouched (no journal mode switched, no table created), and a damaged one
 * (sqlite's `quick_check`, or not a database at all) is refused with a hint.
 * A 0-byte file is logged as such, then used as a new database.
 *
 * @throws {StateError} when the file cannot be opened, is damaged, is newer than this build, or a migration fails
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openState } from "./state.ts";
 * const state = openState({ path: ":memory:" });
 * assert.ok(state.schemaVersion >= 1);
 * state.close();
 * ```
 */
export function openState(options: OpenStateOptions): AgentState {
  const { path, migrations = MIGRATIONS, logger } = options;
  checkMigrationOrder(migrations);
  const size = path === ":memory:" ? undefined : fileSize(path);
  if (size === 0) {
    logger?.warn("the state file is empty (0 bytes): starting a new database in it", { path });
  } else if (size !== undefined) {
    checkExisting(path, migrations.length);
  }
  let db: DatabaseSync;
  try {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    db = new DatabaseSync(path, { readBigInts: true });
    db.exec("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;");
  } catch (cause) {
    throw new StateError({ path, reason: errorText(cause) }, { cause });
  }
  try {
    const applied = migrate(db, path, migrations);
    const schemaVersion = currentVersion(db);
    return {
      db,
      path,
      schemaVersion,
      applied,
      close: () => {
        if (db.isOpen) db.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** The file's size; undefined when there is no file. */
function fileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

const DAMAGED_HINTS = [
  "Restore the state file from a backup",
  "Or move it aside (keep it for recovery): the agent then starts a new state and rebuilds what the chain holds",
];

/**
 * Reads an existing file through a read-only connection: refuses it when a
 * newer agent wrote it or when it is damaged, before any write can happen.
 */
function checkExisting(path: string, latest: number): void {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { readOnly: true, readBigInts: true });
  } catch (cause) {
    throw new StateError({ path, reason: errorText(cause) }, { cause });
  }
  try {
    let version: number;
    let problems: string[];
    try {
      version = currentVersion(db);
      problems = (db.prepare("PRAGMA quick_check(5)").all() as { quick_check: string }[])
        .map((r) => r.quick_check);
    } catch (cause) {
      throw new StateError({
        path,
        reason: `it is damaged or not a sqlite database (sqlite: ${errorText(cause)})`,
      }, { cause, hints: DAMAGED_HINTS });
    }
    if (version > latest) {
      throw new StateError({
        path,
        reason:
          `it was written by a newer sonm-agent (schema version ${version}, this build knows up to ${latest})`,
      }, {
        hints: [
          "Upgrade sonm-agent to the version that wrote this database",
          "Or point data_dir at another folder; this database is left untouched",
        ],
      });
    }
    if (problems.length !== 1 || problems[0] !== "ok") {
      throw new StateError({
        path,
        reason: `it is damaged (sqlite quick_check: ${problems.join("; ").slice(0, 300)})`,
      }, { hints: DAMAGED_HINTS });
    }
  } finally {
    db.close();
  }
}

function checkMigrationOrder(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new RangeError(
        `Cannot use migration "${m.name}": expected version ${i + 1}, got ${m.version}`,
      );
    }
  });
}

function currentVersion(db: DatabaseSync): number {
  const row = db.prepare("PRAGMA user_version").get() as { user_version: number | bigint };
  return Number(row.user_version);
}

function migrate(db: DatabaseSync, path: string, migrations: readonly Migration[]): Migration[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL
  ) STRICT`);
  // checkExisting refused a newer file before this connection wrote anything.
  const version = currentVersion(db);
  const pending = migrations.slice(version);
  for (const migration of pending) {
    try {
      db.exec("BEGIN IMMEDIATE");
      db.exec(migration.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
        .run(migration.version, migration.name, Date.now());
      db.exec(`PRAGMA user_version = ${migration.version}`);
      db.exec("COMMIT");
    } catch (cause) {
      if (db.isTransaction) db.exec("ROLLBACK");
      throw new StateError({
        path,
        reason: `migration ${migration.version} "${migration.name}" failed: ${errorText(cause)}`,
      }, { cause });
    }
  }
  return pending;
}

/**
 * When a migration was applied to this database (unix ms), or undefined when
 * it was not: when the tables it created began to record.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { migrationAppliedAt, openState } from "./state.ts";
 * const before = Date.now();
 * const state = openState({ path: ":memory:" });
 * assert.ok(migrationAppliedAt(state.db, 1)! >= before);
 * assert.equal(migrationAppliedAt(state.db, 9999), undefined);
 * state.close();
 * ```
 */
export function migrationAppliedAt(db: DatabaseSync, version: number): number | undefined {
  const row = db.prepare("SELECT applied_at FROM schema_migrations WHERE version = ?").get(
    version,
  ) as { applied_at: number | bigint } | undefined;
  return row === undefined ? undefined : Number(row.applied_at);
}
