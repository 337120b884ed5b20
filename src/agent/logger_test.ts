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
