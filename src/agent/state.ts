import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { StateError } from "./errors.ts";
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
 * A database written by a newer agent is refused, not touched.
 *
 * @throws {StateError} when the file cannot be opened, is newer than this build, or a migration fails
 * @example
 * ```ts
 * import { openState } from "./state.ts";
 * const state = openState({ path: ":memory:" });
 * console.assert(state.schemaVersion >= 1);
 * state.close();
 * ```
 */
export function openState(options: OpenStateOptions): AgentState {
  const { path, migrations = MIGRATIONS } = options;
  checkMigrationOrder(migrations);
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
  const version = currentVersion(db);
  const latest = migrations.length;
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

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
