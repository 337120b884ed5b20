import assert from "node:assert/strict";
import { createLogger } from "./logger.ts";

const clock = () => new Date("2026-01-02T03:04:05.000Z");

Deno.test("createLogger() writes JSON lines with component and fields", () => {
  const lines: string[] = [];
  const log = createLogger({ format: "json", write: (l) => lines.push(l), now: clock });
  log.child("devnet").info("anvil is up", { port: 8545, balance: 10n ** 20n });
  assert.deepEqual(JSON.parse(lines[0]!), {
    time: "2026-01-02T03:04:05.000Z",
    level: "info",
    component: "agent:devnet",
    msg: "anvil is up",
    port: 8545,
    balance: "100000000000000000000",
  });
});

Deno.test("createLogger() drops lines below its level", () => {
  const lines: string[] = [];
  const log = createLogger({ level: "warn", write: (l) => lines.push(l), now: clock });
  log.debug("d");
  log.info("i");
  log.warn("w");
  log.error("e");
  assert.deepEqual(lines.map((l) => l.split(" ")[1]), ["WARN", "ERROR"]);
});

Deno.test("createLogger() never writes secret fields", () => {
  const lines: string[] = [];
  const log = createLogger({ write: (l) => lines.push(l), now: clock });
  log.info("unlocked", { passphrase: "hunter2", privateKey: "0xabc", address: "0x1" });
  assert.equal(lines.length, 1);
  assert.ok(!lines[0]!.includes("hunter2"));
  assert.ok(!lines[0]!.includes("0xabc"));
  assert.match(lines[0]!, /address=0x1/);
});

Deno.test("createLogger() writes nested bigints and redacts secrets at any depth", () => {
  const lines: string[] = [];
  const log = createLogger({ format: "json", write: (l) => lines.push(l), now: clock });
  log.info("deal", {
    deal: { id: 7n, payments: [{ amount: 10n ** 18n }], keystore: { passphrase: "hunter2" } },
    accounts: [{ address: "0x1", privateKey: "0xabc" }],
    raw: new Uint8Array([1, 2, 3]),
  });
  const record = JSON.parse(lines[0]!);
  assert.deepEqual(record.deal, {
    id: "7",
    payments: [{ amount: "1000000000000000000" }],
    keystore: { passphrase: "[redacted]" },
  });
  assert.deepEqual(record.accounts, [{ address: "0x1", privateKey: "[redacted]" }]);
  assert.equal(record.raw, "[3 bytes]");
  assert.ok(!lines[0]!.includes("hunter2") && !lines[0]!.includes("0xabc"));
  // Text lines too.
  const text: string[] = [];
  createLogger({ write: (l) => text.push(l), now: clock }).info("deal", {
    deal: { id: 7n, secret: "s3" },
  });
  assert.match(text[0]!, /deal=\{"id":"7","secret":"\[redacted\]"\}/);
});

Deno.test("createLogger() keeps an error's cause chain, and survives cycles", () => {
  const root = new Error("connection refused");
  const error = new Error("Cannot reach the chain", { cause: root });
  const lines: string[] = [];
  createLogger({ format: "json", write: (l) => lines.push(l), now: clock })
    .error("sync failed", { error });
  assert.deepEqual(JSON.parse(lines[0]!).error, {
    name: "Error",
    message: "Cannot reach the chain",
    cause: { name: "Error", message: "connection refused" },
  });
  const text: string[] = [];
  const loop: Record<string, unknown> = { n: 1n };
  loop.self = loop;
  createLogger({ write: (l) => text.push(l), now: clock }).warn("x", { error, loop });
  assert.match(
    text[0]!,
    /error="Error: Cannot reach the chain; caused by Error: connection refused"/,
  );
  assert.match(text[0]!, /loop=\{"n":"1","self":"\[Circular\]"\}/);
});
