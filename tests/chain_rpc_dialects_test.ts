/**
 * Every node's error dialect through the real chain layer: a loopback proxy
 * in front of anvil rewrites anvil's answers into each recorded dialect
 * (src/chain/_rpc_dialect_fixtures.ts), and the agent's actions must read
 * them as anvil's: a lost race (at estimation and mined) decodes to
 * `OrderNotActive`, a pool's "already known" / "nonce too low" /
 * "underpriced" keep one spend, "insufficient funds" is a clear refusal,
 * a range limit halves the indexer's span, a missing header is retried.
 */
import assert from "node:assert/strict";
import { privateKeyToAccount } from "viem/accounts";
import { startChainFixture } from "./_fixtures/anvil.ts";
import {
  errorAnswer,
  type ProxyRule,
  revertDialect,
  startRpcProxy,
} from "./_fixtures/rpc_proxy.ts";
import {
  ChainError,
  ChainRevertError,
  connectChain,
  createIndexer,
  createMarketClient,
  createTxSender,
  getHeadBlock,
  openDeal,
  placeOrder,
  type WriteMarketClient,
} from "../src/chain/mod.ts";
import { DIALECT_FIXTURES } from "../src/chain/_rpc_dialect_fixtures.ts";
import { classifyOpenFailure } from "../src/agent/market/mod.ts";
import { openState } from "../src/agent/state/state.ts";
import { createChainStore } from "../src/agent/state/chain_store.ts";

const of = (kind: string) => DIALECT_FIXTURES.filter((f) => f.kind === kind);

Deno.test("every node's error dialect reads as anvil's: lost races, pool answers, range limits, missing headers", async (t) => {
  const fx = await startChainFixture();
  const proxy = startRpcProxy(fx.anvil.rpcUrl);
  const dir = await Deno.makeTempDir({ prefix: "chain_rpc_dialects_test_" });
  try {
    const chain = await connectChain({ url: proxy.url, retry: { attempts: 3, backoffMs: 20 } });
    const client = (i: number) =>
      createMarketClient(chain, {
        addresses: fx.addresses,
        sender: createTxSender(chain, {
          account: privateKeyToAccount(fx.accounts[i]!.privateKey),
          receiptTimeoutMs: 10_000,
        }),
      }) as WriteMarketClient;
    const [supplier, consumer, rival] = [client(1), client(2), client(3)];
    // a BID that a rival takes first: every later openDeal on it is a lost race
    const price = 10n ** 12n;
    const bid = (await placeOrder(consumer, { type: "BID", duration: 0n, price })).orderId;
    const rivalAsk = (await placeOrder(rival, { type: "ASK", duration: 0n, price })).orderId;
    await openDeal(rival, { askId: rivalAsk, bidId: bid });

    await t.step("a lost race at estimation, through each node's revert answer", async () => {
      const ask = (await placeOrder(supplier, { type: "ASK", duration: 0n, price })).orderId;
      for (const f of of("reverted")) {
        proxy.setRules([revertDialect(f.answer)]);
        const error = await openDeal(supplier, { askId: ask, bidId: bid }).then(
          () => assert.fail(`${f.node}: the lost race opened a deal`),
          (e: unknown) => e,
        );
        assert.ok(error instanceof ChainRevertError, `${f.node}: ${error}`);
        const kind = classifyOpenFailure(error, { askId: ask, bidId: bid });
        if (f.answer.data === undefined) {
          // a node that drops the data: still a chain failure of the step, never a stop
          assert.equal(kind, "retry", f.node);
        } else {
          assert.equal(error.errorName, "OrderNotActive", f.node);
          assert.deepEqual(error.errorArgs, [bid], f.node);
          assert.equal(kind, "bid-gone", f.node);
        }
      }
      proxy.setRules([]);
    });

    await t.step("a lost race mined, explained by a replay in each node's dialect", async () => {
      const ask = (await placeOrder(supplier, { type: "ASK", duration: 0n, price })).orderId;
      for (const f of of("reverted").filter((x) => x.answer.data !== undefined)) {
        // the node estimates as if the BID were free (pending state elsewhere): the tx is mined
        const estimate: ProxyRule = (call) =>
          call.method === "eth_estimateGas"
            ? { jsonrpc: "2.0", id: call.id, result: "0x7a120" }
            : undefined;
        proxy.setRules([estimate, revertDialect(f.answer, ["eth_call"])]);
        const error = await openDeal(supplier, { askId: ask, bidId: bid }).catch((e: unknown) => e);
        assert.ok(error instanceof ChainRevertError, `${f.node}: ${error}`);
        assert.equal(error.errorName, "OrderNotActive", f.node);
        assert.ok(error.txHash !== undefined, f.node);
      }
      proxy.setRules([]);
    });

    await t.step("pool answers: already known and nonce too low keep one spend", async () => {
      for (const f of [...of("already-known"), ...of("nonce-too-low")]) {
        let injected = false;
        proxy.setRules([async (call, upstream) => {
          if (call.method !== "eth_sendRawTransaction" || injected) return undefined;
          injected = true;
          await upstream(); // the node took it, then answered in its dialect
          return errorAnswer(f.answer);
        }]);
        const sender = supplier.sender;
        const before = await fx.publicClient.getTransactionCount({ address: sender.address });
        const receipt = await sender.sendTransaction({ to: sender.address, value: 1n });
        assert.equal(receipt.status, "success", `${f.node} ${f.kind}`);
        const after = await fx.publicClient.getTransactionCount({ address: sender.address });
        assert.equal(after, before + 1, `${f.node} ${f.kind}: one spend`);
      }
      proxy.setRules([]);
    });

    await t.step("pool answers: replacement underpriced takes the next nonce", async () => {
      for (const f of of("underpriced")) {
        let injected = false;
        proxy.setRules([(call) => {
          if (call.method !== "eth_sendRawTransaction" || injected) return undefined;
          injected = true;
          return errorAnswer(f.answer); // the pool refused it: not sent
        }]);
        const sender = supplier.sender;
        const receipt = await sender.sendTransaction({ to: sender.address, value: 1n });
        assert.equal(receipt.status, "success", f.node);
      }
      proxy.setRules([]);
    });

    await t.step(
      "insufficient funds: a clear refusal naming the account, in each dialect",
      async () => {
        for (const f of of("insufficient-funds")) {
          proxy.setRules([
            (call) => call.method === "eth_sendRawTransaction" ? errorAnswer(f.answer) : undefined,
          ]);
          const sender = createTxSender(chain, {
            account: privateKeyToAccount(fx.accounts[4]!.privateKey),
          });
          const error = await sender.sendTransaction({ to: sender.address, value: 1n }).catch((
            e: unknown,
          ) => e);
          assert.ok(error instanceof ChainError, f.node);
          assert.match(error.message, /node refused the transaction/, f.node);
          assert.ok(error.hints.some((h) => h.includes(sender.address)), f.node);
        }
        proxy.setRules([]);
      },
    );

    await t.step(
      "range limits: the indexer's span halves in each dialect",
      async () => {
        for (const [i, f] of of("range-too-large").entries()) {
          let refused = 0;
          proxy.setRules([(call) => {
            if (call.method !== "eth_getLogs") return undefined;
            const p = call.params[0] as { fromBlock: string; toBlock: string };
            if (BigInt(p.toBlock) - BigInt(p.fromBlock) + 1n <= 4n) return undefined;
            refused++;
            return errorAnswer(f.answer);
          }]);
          const state = openState({ path: `${dir}/range-${i}.sqlite` });
          const store = createChainStore(state.db);
          const market = createMarketClient(chain, { addresses: fx.addresses });
          const r = await createIndexer(market, { store, batchSize: 64n }).syncOnce();
          assert.equal(r.indexedTo, await fx.publicClient.getBlockNumber(), f.node);
          assert.ok(refused > 0, f.node);
          assert.equal(store.getDeal(1n)?.status, "ACCEPTED", f.node);
          state.close();
        }
        proxy.setRules([]);
      },
    );

    await t.step("a missing header or state is retried, in each dialect", async () => {
      for (const f of of("state-unavailable")) {
        let injected = false;
        proxy.setRules([(call) => {
          if (call.method !== "eth_getBlockByNumber" || injected) return undefined;
          injected = true;
          return errorAnswer(f.answer);
        }]);
        const head = await getHeadBlock(chain);
        assert.ok(head.number > 0n, f.node);
        assert.ok(injected, f.node);
      }
      proxy.setRules([]);
    });
    await chain.close();
  } finally {
    await proxy.close();
    await fx.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});
