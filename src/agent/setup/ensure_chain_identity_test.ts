import assert from "node:assert/strict";
import { createChainStore } from "../state/chain_store.ts";
import type { ChainIdentity } from "./decide_chain_identity.ts";
import { ensureChainIdentity } from "./ensure_chain_identity.ts";
import { ChainIdentityError } from "../base/errors.ts";
import { createLogger } from "../base/logger.ts";
import { openState } from "../state/state.ts";

const first: ChainIdentity = {
  chainId: 31337,
  genesisHash: "0x1111111111111111111111111111111111111111111111111111111111111111",
  market: "0x5fbdb2315678afecb367f032d93f642f64180aa3",
};
const second: ChainIdentity = {
  ...first,
  genesisHash: "0x2222222222222222222222222222222222222222222222222222222222222222",
};

function seeded() {
  const state = openState({ path: ":memory:" });
  const store = createChainStore(state.db);
  const lines: string[] = [];
  const logger = createLogger({ format: "json", write: (l) => lines.push(l) });
  store.applyBlock({
    number: 1n,
    hash: `0x${"ab".repeat(32)}`,
    parentHash: `0x${"00".repeat(32)}`,
    timestamp: 10n,
    events: [],
    orders: [],
    deals: [],
    changeRequests: [],
    bills: [],
    workers: [],
    levels: [],
    listed: [],
  });
  store.saveNonce("0x00000000000000000000000000000000000000a1", { nonce: 3n, txHash: "0x01" });
  state.db.prepare(
    "INSERT INTO plan_orders (order_id, plan, params_hash, placed_at) VALUES (7, 'p', 'h', 1)",
  ).run();
  return { state, store, logger, lines };
}

Deno.test("ensureChainIdentity() records the first chain and keeps it on the next start", () => {
  const { state, store, logger } = seeded();
  const c = { db: state.db, store, logger };
  assert.equal(ensureChainIdentity(c, { actual: first, devnet: false }), "record");
  assert.equal(ensureChainIdentity(c, { actual: first, devnet: false }), "keep");
  assert.equal(store.lastIndexed()?.number, 1n, "nothing indexed was lost");
  state.close();
});

Deno.test("ensureChainIdentity() refuses another RPC chain, names both, and changes nothing", () => {
  const { state, store, logger } = seeded();
  const c = { db: state.db, store, logger };
  ensureChainIdentity(c, { actual: first, devnet: false });
  assert.throws(
    () => ensureChainIdentity(c, { actual: second, devnet: false, dataDir: "/var/lib/sonm" }),
    (error: unknown) => {
      assert.ok(error instanceof ChainIdentityError);
      assert.match(error.message, /recorded on chain 31337 \(genesis "0x1111/);
      assert.match(error.message, /RPC serves chain 31337 \(genesis "0x2222/);
      assert.ok(error.hints.some((h) => h.includes("/var/lib/sonm")));
      return true;
    },
  );
  assert.equal(store.lastIndexed()?.number, 1n);
  assert.equal(ensureChainIdentity(c, { actual: first, devnet: false }), "keep");
  state.close();
});

Deno.test("ensureChainIdentity() starts a new devnet chain afresh: chain tables, nonces, plan orders", () => {
  const { state, store, logger, lines } = seeded();
  const c = { db: state.db, store, logger };
  ensureChainIdentity(c, { actual: first, devnet: true });
  assert.equal(ensureChainIdentity(c, { actual: second, devnet: true }), "reset");
  assert.equal(store.lastIndexed(), undefined);
  assert.equal(store.loadNonce("0x00000000000000000000000000000000000000a1"), undefined);
  const row = state.db.prepare("SELECT retire_reason FROM plan_orders WHERE order_id = 7").get();
  assert.equal(row?.retire_reason, "gone");
  assert.ok(lines.some((l) => l.includes("start afresh")));
  assert.equal(ensureChainIdentity(c, { actual: second, devnet: false }), "keep");
  state.close();
});
