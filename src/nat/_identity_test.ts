import assert from "node:assert/strict";
import { join } from "node:path";
import { loadOrCreatePeerKey } from "./_identity.ts";
import { NatError } from "./errors.ts";

Deno.test("the peer key is created 0600 and the same identity comes back", async () => {
  const dir = await Deno.makeTempDir({ prefix: "natt-id-" });
  try {
    const path = join(dir, "peer.key");
    const first = await loadOrCreatePeerKey(path);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const again = await loadOrCreatePeerKey(path);
    assert.ok(first.publicKey.equals(again.publicKey));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a peer key others can read, or a malformed one, is refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "natt-id-" });
  try {
    const path = join(dir, "peer.key");
    await loadOrCreatePeerKey(path);
    await Deno.chmod(path, 0o644);
    await assert.rejects(
      () => loadOrCreatePeerKey(path),
      (e: Error) => e instanceof NatError && /mode 644.*chmod 600/.test(e.message),
    );
    await Deno.writeFile(path, new Uint8Array([1, 2, 3]), { mode: 0o600 });
    await Deno.chmod(path, 0o600);
    await assert.rejects(() => loadOrCreatePeerKey(path), /malformed/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
