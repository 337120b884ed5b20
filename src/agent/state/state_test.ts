import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { StateError } from "../base/errors.ts";
import { MIGRATIONS } from "./migrations/mod.ts";
import { createLogger } from "../base/logger.ts";
import { openState } from "./state.ts";

async function withTempDir(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sonm-state-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("openState() applies every migration to an empty database, in WAL mode", async () => {
  await withTempDir((dir) => {
    const path = join(dir, "nested", "agent.sqlite");
    const state = openState({ path });
    try {
      assert.equal(state.schemaVersion, MIGRATIONS.length);
      assert.equal(state.applied.length, MIGRATIONS.length);
      const mode = state.db.prepare("PRAGMA journal_mode").get() as { journal_mode: string };
      assert.equal(mode.journal_mode, "wal");
      const rows = state.db.prepare("SELECT version FROM schema_migrations ORDER BY version")
        .all() as { version: bigint }[];
      assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => BigInt(m.version)));
    } finally {
      state.close();
    }
  });
});

Deno.test("openState() reads int64 columns as bigint, exactly", async () => {
  await withTempDir((dir) => {
    const state = openState({ path: join(dir, "a.sqlite") });
    try {
      const big = 2n ** 62n + 1n;
      state.db.prepare("INSERT INTO agent_runs (started_at, version, pid) VALUES (?, ?, ?)")
        .run(big, "test", 1);
      const row = state.db.prepare("SELECT started_at FROM agent_runs").get() as {
        started_at: bigint;
      };
      assert.equal(row.started_at, big);
    } finally {
      state.close();
    }
  });
});

Deno.test("openState() on an existing database applies only the new migrations and keeps data", async () => {
  await withTempDir((dir) => {
    const path = join(dir, "a.sqlite");
    const first = openState({ path, migrations: MIGRATIONS.slice(0, 1) });
    first.db.prepare("INSERT INTO meta (key, value) VALUES ('agent', 'x')").run();
    first.close();
    const extra = {
      version: MIGRATIONS.length + 1,
      name: "test-extra",
      sql: "CREATE TABLE extra (id INTEGER PRIMARY KEY) STRICT;",
    };
    const second = openState({ path, migrations: [...MIGRATIONS, extra] });
    try {
      assert.deepEqual(second.applied.map((m) => m.version), [
        ...MIGRATIONS.slice(1).map((m) => m.version),
        extra.version,
      ]);
      const meta = second.db.prepare("SELECT value FROM meta WHERE key = 'agent'").get() as {
        value: string;
      };
      assert.equal(meta.value, "x");
      second.db.prepare("INSERT INTO extra (id) VALUES (1)").run();
    } finally {
      second.close();
    }
    const third = openState({ path, migrations: [...MIGRATIONS, extra] });
    assert.equal(third.applied.length, 0);
    third.close();
  });
});

Deno.test("openState() refuses a database written by a newer version and leaves it untouched", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a.sqlite");
    openState({ path }).close();
    const raw = new DatabaseSync(path);
    raw.exec(`PRAGMA user_version = ${MIGRATIONS.length + 5}`);
    raw.close();
    const before = await Deno.readFile(path);
    assert.throws(() => openState({ path }), (error: unknown) => {
      assert.ok(error instanceof StateError);
      assert.match(error.message, /written by a newer sonm-agent/);
      assert.match(error.message, new RegExp(`schema version ${MIGRATIONS.length + 5}`));
      assert.ok(error.hints.length > 0);
      return true;
    });
    const check = new DatabaseSync(path);
    const row = check.prepare("PRAGMA user_version").get() as { user_version: number };
    check.close();
    assert.equal(Number(row.user_version), MIGRATIONS.length + 5);
    assert.equal((await Deno.readFile(path)).length, before.length);
  });
});

Deno.test("openState() rolls back a failing migration and names it", async () => {
  await withTempDir((dir) => {
    const path = join(dir, "a.sqlite");
    const broken = { version: MIGRATIONS.length + 1, name: "broken", sql: "CREATE TABLE x (;" };
    assert.throws(
      () => openState({ path, migrations: [...MIGRATIONS, broken] }),
      /migration \d+ "broken" failed/,
    );
    const state = openState({ path });
    assert.equal(state.schemaVersion, MIGRATIONS.length);
    state.close();
  });
});

Deno.test("openState() refuses a newer database before touching it: no journal switch, no table", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "newer.sqlite");
    const raw = new DatabaseSync(path);
    raw.exec(`CREATE TABLE t (x INTEGER); PRAGMA user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    const before = await Deno.readFile(path);
    assert.throws(() => openState({ path }), /written by a newer sonm-agent/);
    assert.deepEqual(await Deno.readFile(path), before);
    const check = new DatabaseSync(path, { readOnly: true });
    const mode = check.prepare("PRAGMA journal_mode").get() as { journal_mode: string };
    const tables = check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all();
    check.close();
    assert.equal(mode.journal_mode, "delete");
    assert.deepEqual(tables.map((t) => (t as { name: string }).name), ["t"]);
    assert.ok(!(await exists(`${path}-wal`)), "a WAL file was created");
  });
});

Deno.test("openState() logs a 0-byte state file, then starts a new database in it", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "empty.sqlite");
    await Deno.writeFile(path, new Uint8Array());
    const lines: string[] = [];
    const logger = createLogger({ format: "json", write: (l) => lines.push(l) });
    const state = openState({ path, logger });
    state.close();
    assert.equal(state.schemaVersion, MIGRATIONS.length);
    assert.equal(lines.length, 1);
    const record = JSON.parse(lines[0]!);
    assert.equal(record.level, "warn");
    assert.match(record.msg, /state file is empty \(0 bytes\)/);
    assert.equal(record.path, path);
    // A fresh file is no news.
    lines.length = 0;
    openState({ path: join(dir, "fresh.sqlite"), logger }).close();
    assert.deepEqual(lines, []);
  });
});

Deno.test("openState() refuses a file with corrupted pages, or not a database, with a hint", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "damaged.sqlite");
    const state = openState({ path });
    state.db.exec("CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT)");
    const insert = state.db.prepare("INSERT INTO filler (body) VALUES (?)");
    for (let i = 0; i < 2000; i++) insert.run(`row ${i} ${"x".repeat(100)}`);
    state.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    state.close();
    const bytes = await Deno.readFile(path);
    // Fixed "random" bytes over a page in the middle of the file.
    const middle = Math.floor(bytes.length / 2);
    for (let i = 0; i < 4096; i++) bytes[middle + i] = (Math.imul(i + 7, 2654435761) >>> 13) & 0xff;
    await Deno.writeFile(path, bytes);
    assert.throws(() => openState({ path }), (error: unknown) => {
      assert.ok(error instanceof StateError, String(error));
      assert.match(error.message, /it is damaged( or not a sqlite database)? \(sqlite/);
      assert.ok(error.hints.some((h) => /backup/.test(h)));
      return true;
    });
    const notDb = join(dir, "text.sqlite");
    await Deno.writeTextFile(notDb, "this is not a database, it is a note\n".repeat(200));
    assert.throws(
      () => openState({ path: notDb }),
      /it is damaged or not a sqlite database \(sqlite: file is not a database\)/,
    );
  });
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
