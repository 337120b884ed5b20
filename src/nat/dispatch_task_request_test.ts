import assert from "node:assert/strict";
import { privateKeyToAccount } from "viem/accounts";
import {
  RequestRefusedError,
  signRequest,
  type TaskRequestHandler,
  type TaskStatus,
} from "./mod.ts";
import { dispatchTaskRequest } from "./dispatch_task_request.ts";

const domain = { chainId: 31337, market: "0x00000000000000000000000000000000000000aa" } as const;
const account = privateKeyToAccount(`0x${"22".repeat(32)}`);
const NOW = 1_900_000_000n;
const status: TaskStatus = { dealId: "1", taskId: "1", image: "i", state: "running", ports: [] };

// a stand-in handler: the dispatcher's own logic (verification, routing, refusals) is under test
function handler(seen: string[]): TaskRequestHandler {
  return {
    submit: (r) => (seen.push(`submit:${r.signer}`), Promise.resolve(status)),
    status: () => Promise.reject(new RequestRefusedError("deal-not-open", "deal 1 is closed")),
    async *logs(r) {
      if (r.args.tail === 1) throw new RequestRefusedError("unknown-task", "no task");
      yield new Uint8Array(0);
      yield new TextEncoder().encode("out");
    },
    stop: () => Promise.reject(new Error("a bug")),
    forward: () => Promise.resolve({ hostname: "127.0.0.1", port: 1 }),
    report: () => Promise.resolve({}),
    exec: () => Promise.reject(new Error("exec goes over its own protocol")),
    admin: () => Promise.resolve({ ok: true }),
  };
}

const sign = (action: "submit" | "status" | "logs" | "stop", args: unknown, expiry = NOW + 60n) =>
  signRequest(account, domain, {
    action,
    dealId: 1n,
    args: args as never,
    nonce: 1n,
    expiry,
    issuedAt: NOW - 5n,
  });

Deno.test("dispatchTaskRequest() routes a verified request with its recovered signer", async () => {
  const seen: string[] = [];
  const reply = await dispatchTaskRequest(
    handler(seen),
    await sign("submit", { spec: { image: "a/b:1" } }),
    { domain, nowSeconds: NOW },
  );
  assert.deepEqual(reply, { kind: "ok", result: status });
  assert.deepEqual(seen, [`submit:${account.address}`]);
});

Deno.test("dispatchTaskRequest() answers refusals with their code, bugs as internal", async () => {
  const seen: string[] = [];
  const errors: unknown[] = [];
  const opts = { domain, nowSeconds: NOW, onInternalError: (e: unknown) => errors.push(e) };
  const closed = await dispatchTaskRequest(handler(seen), await sign("status", {}), opts);
  assert.deepEqual(closed, { kind: "refused", code: "deal-not-open", message: "deal 1 is closed" });
  const expired = await dispatchTaskRequest(handler(seen), await sign("status", {}, NOW), opts);
  assert.equal((expired as { code: string }).code, "expired");
  const tampered = { ...(await sign("submit", { spec: { image: "a/b:1" } })), dealId: "2" };
  await dispatchTaskRequest(handler(seen), tampered, opts);
  assert.equal(seen.length, 1);
  assert.notEqual(seen[0], `submit:${account.address}`, "a tampered request is another signer's");
  const bug = await dispatchTaskRequest(handler(seen), await sign("stop", {}), opts);
  assert.deepEqual(bug, {
    kind: "refused",
    code: "internal",
    message: "the rig failed to handle the request",
  });
  assert.equal(errors.length, 1);
  const junk = await dispatchTaskRequest(handler(seen), { action: "submit" }, opts);
  assert.equal((junk as { code: string }).code, "malformed");
});

Deno.test("dispatchTaskRequest() answers a refused logs request before any stream", async () => {
  const refused = await dispatchTaskRequest(handler([]), await sign("logs", { tail: 1 }), {
    domain,
    nowSeconds: NOW,
  });
  assert.equal((refused as { code: string }).code, "unknown-task");
  const ok = await dispatchTaskRequest(handler([]), await sign("logs", { tail: 5 }), {
    domain,
    nowSeconds: NOW,
  });
  assert.equal(ok.kind, "stream");
  const chunks: string[] = [];
  for await (const c of (ok as { chunks: AsyncIterable<Uint8Array> }).chunks) {
    chunks.push(new TextDecoder().decode(c));
  }
  assert.deepEqual(chunks, ["out"]);
});
