import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { StateError } from "./errors.ts";
import { MIGRATIONS } from "./migrations/mod.ts";
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
