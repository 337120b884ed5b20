import assert from "node:assert/strict";
import { join } from "node:path";
import { readBoundedFile } from "./read_bounded_file.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "bounded-read-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("readBoundedFile() refuses a FIFO at once instead of waiting for a writer", async () => {
  await withDir(async (dir) => {
    const fifo = join(dir, "rig.yaml");
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert.equal(made.code, 0);
    const r = await readBoundedFile(fifo, { maxBytes: 1024, timeoutMs: 60_000 });
    assert.deepEqual(r, {
      ok: false,
      reason: "not-a-file",
      detail: "it is not a regular file (a FIFO)",
    });
  });
});

Deno.test("readBoundedFile() refuses /dev/zero and a symlink to it without reading", async () => {
  await withDir(async (dir) => {
    const link = join(dir, "rig.yaml");
    await Deno.symlink("/dev/zero", link);
    for (const path of ["/dev/zero", link]) {
      const r = await readBoundedFile(path, { maxBytes: 256 * 1024 });
      assert.equal(r.ok ? "read" : r.reason, "not-a-file", path);
    }
  });
});

Deno.test("readBoundedFile() reads a file of exactly the limit and refuses one byte more", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "f");
    await Deno.writeTextFile(path, "x".repeat(100));
    assert.deepEqual(await readBoundedFile(path, { maxBytes: 100 }), {
      ok: true,
      text: "x".repeat(100),
    });
    const over = await readBoundedFile(path, { maxBytes: 99 });
    assert.deepEqual(over, {
      ok: false,
      reason: "too-large",
      detail: "it is larger than 99 bytes",
    });
  });
});

Deno.test("readBoundedFile() names a missing path, a directory and an unreadable file", async () => {
  await withDir(async (dir) => {
    const missing = await readBoundedFile(join(dir, "none"), { maxBytes: 10 });
    assert.equal(missing.ok ? "read" : missing.reason, "missing");
    const directory = await readBoundedFile(dir, { maxBytes: 10 });
    assert.equal(directory.ok ? "read" : directory.reason, "directory");
    if (Deno.uid() !== 0) {
      const locked = join(dir, "locked");
      await Deno.writeTextFile(locked, "x", { mode: 0o000 });
      const r = await readBoundedFile(locked, { maxBytes: 10 });
      assert.equal(r.ok ? "read" : r.reason, "permission");
    }
  });
});

Deno.test("readBoundedFile() gives up on an aborted signal", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "f");
    await Deno.writeTextFile(path, "x");
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    await assert.rejects(
      () => readBoundedFile(path, { maxBytes: 10, signal: controller.signal }),
      /stop/,
    );
  });
});

Deno.test("readBoundedFile() reads past a size of 0 (as /proc reports), up to the bound", async () => {
  assert.equal((await Deno.stat("/proc/self/status")).size, 0);
  const r = await readBoundedFile("/proc/self/status", { maxBytes: 1 << 20 });
  assert.ok(r.ok && r.text.includes("\nPid:\t"), JSON.stringify(r).slice(0, 120));
  const over = await readBoundedFile("/proc/self/status", { maxBytes: 16 });
  assert.equal(over.ok ? "read" : over.reason, "too-large");
});
