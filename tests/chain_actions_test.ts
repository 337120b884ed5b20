import assert from "node:assert/strict";
import { privateKeyToAccount } from "viem/accounts";
import { type Abi, zeroAddress } from "viem";
import { startChainFixture } from "./_fixtures/anvil.ts";
import { profileRegistryAbi } from "../src/chain/contracts.ts";
import { connectChain } from "../src/chain/connect_chain.ts";
import { createTxSender } from "../src/chain/create_tx_sender.ts";
import { createMarketClient, type WriteMarketClient } from "../src/chain/create_market_client.ts";
import { ChainInputError, ChainRevertError } from "../src/chain/errors.ts";
import { placeOrder } from "../src/chain/place_order.ts";
import { cancelOrder } from "../src/chain/cancel_order.ts";
import { openDeal } from "../src/chain/open_deal.ts";
import { quickBuy } from "../src/chain/quick_buy.ts";
import { bill } from "../src/chain/bill.ts";
import { closeDeal } from "../src/chain/close_deal.ts";
import { createChangeRequest } from "../src/chain/create_change_request.ts";
import { cancelChangeRequest } from "../src/chain/cancel_change_request.ts";
import { registerWorker } from "../src/chain/register_worker.ts";
import { confirmWorker } from "../src/chain/confirm_worker.ts";
import { removeWorker } from "../src/chain/remove_worker.ts";
import { getOrder } from "../src/chain/get_order.ts";
import { getDeal } from "../src/chain/get_deal.ts";
import { getChangeRequest } from "../src/chain/get_change_request.ts";
import { masterOf } from "../src/chain/master_of.ts";
import { pendingMasterOf } from "../src/chain/pending_master_of.ts";
import { levelOf } from "../src/chain/level_of.ts";
import { listed } from "../src/chain/listed.ts";
import { approveToken } from "../src/chain/approve_token.ts";
import { tokenBalance } from "../src/chain/token_balance.ts";
import { getRate } from "../src/chain/get_rate.ts";
import { checkMatch } from "../src/chain/check_match.ts";
import { paymentFor } from "../src/chain/payment_for.ts";
import { parseUsdPerHour } from "../src/chain/parse_usd_per_hour.ts";

/** Asserts a decoded ChainRevertError. */
async function rejectsWith(
  p: Promise<unknown>,
  errorName: string,
  check: (e: ChainRevertError) => void = () => {},
): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ChainRevertError, String(e));
    assert.equal(e.errorName, errorName, e.message);
    check(e);
    return true;
  });
}

Deno.test("market actions drive orders, deals, bills, changes and workers on the real contracts", async (t) => {
  await using fx = await startChainFixture({ initialRate: 2n * 10n ** 18n });
  const chain = await connectChain({ url: fx.anvil.rpcUrl });
  const clientFor = (i: number): WriteMarketClient => {
    const account = privateKeyToAccount(fx.accounts[i]!.privateKey);
    const sender = createTxSender(chain, { account });
    return createMarketClient(chain, { addresses: fx.addresses, sender }) as WriteMarketClient;
  };
  const supplier = clientFor(1);
  const consumer = clientFor(2);
  const worker = clientFor(3);
  const master = clientFor(4);
  const s = supplier.sender.address;
  const c = consumer.sender.address;
  const price = parseUsdPerHour("3.6"); // 1e15 per second
  const rate = await getRate(supplier, {});
  assert.equal(rate, 2n * 10n ** 18n);

  await t.step("approveToken() and tokenBalance()", async () => {
    await approveToken(consumer, { amount: 5n * 10n ** 22n });
    const { balance, allowance } = await tokenBalance(consumer, { who: c });
    assert.equal(allowance, 5n * 10n ** 22n);
    assert.equal(balance, 10n ** 24n);
  });

  const ask = await placeOrder(supplier, {
    type: "ASK",
    duration: 7200n,
    price,
    netflags: [true, true, false],
    benchmarks: [100n, 10n, 4n],
    tag: `0x${"11".repeat(32)}`,
  });

  await t.step("placeOrder() returns the id and getOrder() reads it back", async () => {
    const order = await getOrder(supplier, { orderId: ask.orderId });
    assert.ok(order !== undefined);
    assert.equal(order.type, "ASK");
    assert.equal(order.active, true);
    assert.equal(order.author, s);
    assert.equal(order.counterparty, zeroAddress);
    assert.equal(order.duration, 7200n);
    assert.equal(order.price, price);
    assert.deepEqual(order.netflags, [true, true, false]);
    assert.deepEqual(order.benchmarks, [100n, 10n, 4n]);
    assert.equal(order.frozenSum, 0n);
    assert.equal(await getOrder(supplier, { orderId: 999n }), undefined);
  });

  await t.step("placeOrder() refuses out-of-range values before sending", async () => {
    await assert.rejects(
      placeOrder(supplier, { type: "ASK", duration: 1n, price: 1n, benchmarks: [2n ** 63n] }),
      (e: unknown) => e instanceof ChainInputError && e.field === "benchmarks[0]",
    );
  });

  await t.step("openDeal() and checkMatch() decode the failing rule", async () => {
    const greedy = await placeOrder(consumer, {
      type: "BID",
      duration: 3600n,
      price,
      benchmarks: [200n],
    });
    const why = await checkMatch(consumer, { askId: ask.orderId, bidId: greedy.orderId });
    assert.equal(why.ok, false);
    if (!why.ok) assert.equal(why.error.errorName, "BenchmarkTooLow");
    await rejectsWith(
      openDeal(consumer, { askId: ask.orderId, bidId: greedy.orderId }),
      "BenchmarkTooLow",
      (e) => {
        assert.deepEqual(e.errorArgs, [0n, 100n, 200n]);
        assert.equal(e.orderId, ask.orderId);
        assert.equal(e.txHash, undefined); // refused at estimation: nothing was sent
      },
    );
    const before = (await tokenBalance(consumer, { who: c })).balance;
    await cancelOrder(consumer, { orderId: greedy.orderId });
    const refunded = (await tokenBalance(consumer, { who: c })).balance - before;
    assert.equal(refunded, paymentFor({ price, seconds: 3600n, rate }));
    await rejectsWith(cancelOrder(consumer, { orderId: greedy.orderId }), "OrderNotActive", (e) => {
      assert.equal(e.orderId, greedy.orderId);
      assert.match(e.message, new RegExp(`order ${greedy.orderId}.*OrderNotActive`));
    });
  });

  const bid = await placeOrder(consumer, {
    type: "BID",
    duration: 3600n,
    price: price * 2n,
    netflags: [false, true],
    benchmarks: [50n, 10n],
  });
  const { dealId } = await openDeal(supplier, { askId: ask.orderId, bidId: bid.orderId });
  const deal0 = await getDeal(supplier, { dealId });

  await t.step("openDeal() returns the deal id and getDeal() reads the deal", () => {
    assert.ok(deal0 !== undefined);
    assert.equal(deal0.askId, ask.orderId);
    assert.equal(deal0.bidId, bid.orderId);
    assert.equal(deal0.supplier, s);
    assert.equal(deal0.consumer, c);
    assert.equal(deal0.master, s);
    assert.equal(deal0.price, price); // the ASK's price
    assert.equal(deal0.duration, 3600n);
    assert.equal(deal0.status, "ACCEPTED");
    assert.equal(deal0.blockedBalance, paymentFor({ price, seconds: 3600n, rate }));
    return Promise.resolve();
  });

  await t.step("bill() pays price x elapsed x rate to the payee", async () => {
    assert.ok(deal0 !== undefined);
    const before = (await tokenBalance(supplier, { who: s })).balance;
    await fx.setNextTimestamp(deal0.startTime + 600n);
    const r = await bill(supplier, { dealId });
    const expected = paymentFor({ price, seconds: 600n, rate });
    assert.equal(r.paidAmount, expected);
    assert.equal(r.closed, false);
    assert.equal((await tokenBalance(supplier, { who: s })).balance - before, expected);
    assert.equal((await getDeal(supplier, { dealId }))?.totalPayout, expected);
  });

  await t.step("createChangeRequest() applies when both sides agree", async () => {
    const first = await createChangeRequest(consumer, {
      dealId,
      newPrice: price / 2n,
      newDuration: 5400n,
    });
    assert.equal(first.applied, false);
    assert.equal(
      (await getChangeRequest(consumer, { changeRequestId: first.changeRequestId }))
        ?.status,
      "CREATED",
    );
    const second = await createChangeRequest(supplier, {
      dealId,
      newPrice: price / 2n,
      newDuration: 5400n,
    });
    assert.equal(second.applied, true);
    const cr = await getChangeRequest(supplier, { changeRequestId: first.changeRequestId });
    assert.deepEqual(cr, {
      id: first.changeRequestId,
      dealId,
      side: "BID",
      price: price / 2n,
      duration: 5400n,
      status: "ACCEPTED",
    });
    const deal = await getDeal(supplier, { dealId });
    assert.equal(deal?.price, price / 2n);
    assert.equal(deal?.endTime, deal0!.startTime + 5400n);
  });

  await t.step("cancelChangeRequest() rejects the other side's request", async () => {
    const req = await createChangeRequest(consumer, { dealId, newPrice: 1n, newDuration: 5400n });
    await cancelChangeRequest(supplier, { changeRequestId: req.changeRequestId });
    assert.equal(
      (await getChangeRequest(supplier, { changeRequestId: req.changeRequestId }))?.status,
      "REJECTED",
    );
    await rejectsWith(
      createChangeRequest(consumer, { dealId, newPrice: 1n, newDuration: 1n }),
      "InvalidChangeDuration",
      (e) => assert.equal(e.dealId, dealId),
    );
  });

  await t.step(
    "closeDeal() refuses the supplier early, lets the consumer close and blacklist",
    async () => {
      await rejectsWith(closeDeal(supplier, { dealId }), "DealNotEnded", (e) => {
        assert.equal(e.dealId, dealId);
      });
      assert.equal(await listed(consumer, { owner: c, who: s }), false);
      await closeDeal(consumer, { dealId, blacklistOther: true });
      assert.equal((await getDeal(consumer, { dealId }))?.status, "CLOSED");
      assert.equal(await listed(consumer, { owner: c, who: s }), true);
      await rejectsWith(bill(supplier, { dealId }), "DealNotActive");
    },
  );

  await t.step("registerWorker(), confirmWorker(), masterOf() and removeWorker()", async () => {
    const w = worker.sender.address;
    const m = master.sender.address;
    assert.equal(await masterOf(worker, { who: w }), w);
    await registerWorker(worker, { master: m });
    assert.equal(await pendingMasterOf(worker, { worker: w }), m);
    assert.equal(await masterOf(worker, { who: w }), w);
    await confirmWorker(master, { worker: w });
    assert.equal(await masterOf(worker, { who: w }), m);
    await rejectsWith(registerWorker(master, { master: w }), "HasWorkers");
    // a worker's ASK pays its master
    const wAsk = await placeOrder(worker, { type: "ASK", duration: 0n, price: 1000n });
    const q = await quickBuy(consumer, { askId: wAsk.orderId, duration: 0n });
    assert.equal((await getDeal(consumer, { dealId: q.dealId }))?.master, m);
    assert.equal((await getOrder(consumer, { orderId: q.bidId }))?.counterparty, m);
    await removeWorker(master, { worker: w, master: m });
    assert.equal(await masterOf(worker, { who: w }), w);
  });

  await t.step("levelOf() reads the profile registry", async () => {
    assert.equal(await levelOf(consumer, { who: c }), 0);
    await fx.send(fx.accounts[0]!, {
      address: fx.addresses.profiles,
      abi: profileRegistryAbi as unknown as Abi,
      functionName: "setLevel",
      args: [c, 2],
    });
    assert.equal(await levelOf(consumer, { who: c }), 2);
  });

  await t.step("a transaction that reverts on chain throws the decoded error", async () => {
    // two openDeal calls race for one pair: both pass estimation, the second reverts when mined
    const [x, y] = [clientFor(5), clientFor(6)];
    const a2 = await placeOrder(x, { type: "ASK", duration: 0n, price: 10n });
    const b2 = await placeOrder(y, { type: "BID", duration: 0n, price: 10n });
    await fx.testClient.setAutomine(false);
    const settled = Promise.allSettled([
      openDeal(x, { askId: a2.orderId, bidId: b2.orderId }),
      openDeal(y, { askId: a2.orderId, bidId: b2.orderId }),
    ]);
    // wait until both are in the pool, then mine them into one block
    for (let i = 0; i < 100; i++) {
      const pool = await fx.testClient.getTxpoolContent();
      const n = Object.values(pool.pending).reduce(
        (k, byNonce) => k + Object.keys(byNonce).length,
        0,
      );
      if (n >= 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await fx.testClient.mine({ blocks: 1 });
    await fx.testClient.setAutomine(true);
    const results = await settled;
    const ok = results.filter((r) => r.status === "fulfilled");
    const failed = results.filter((r) => r.status === "rejected");
    assert.equal(ok.length, 1);
    assert.equal(failed.length, 1);
    const e = (failed[0] as PromiseRejectedResult).reason;
    assert.ok(e instanceof ChainRevertError, String(e));
    assert.equal(e.errorName, "OrderNotActive");
    assert.ok(e.txHash !== undefined); // it was mined
    const receipt = await fx.publicClient.getTransactionReceipt({ hash: e.txHash });
    assert.equal(receipt.status, "reverted");
  });
});
