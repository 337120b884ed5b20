import assert from "node:assert/strict";
import { type Address, parseEventLogs, type TransactionReceipt } from "viem";
import { blacklistAbi, marketAbi, tokenAbi } from "../src/chain/contracts.ts";
import {
  type ChainFixture,
  cost,
  type DealStruct,
  expectRevert,
  type FixtureAccount,
  openDeal,
  type OrderInput,
  type OrderStruct,
  placeOrder,
  startChainFixture,
} from "./_fixtures/anvil.ts";

const ASK = 2 as const;
const BID = 1 as const;
const DAY = 86_400n;
const HOUR = 3_600n;
/** An awkward rate and prices, so that rounding shows. */
const RATE = 1_234_567_890_123_456_789n;
const ASK_PRICE = 277_777_777_777_778n; // about 1 USD/h
const BID_PRICE = 300_000_000_000_001n;

type Deal = DealStruct;
type Order = OrderStruct;

const c = (price: bigint, secs: bigint) => cost(price, secs, RATE);

function who(fx: ChainFixture) {
  const [deployer, supplier, consumer, master, other, stranger] = fx.accounts;
  assert.ok(deployer && supplier && consumer && master && other && stranger);
  return { deployer, supplier, consumer, master, other, stranger };
}

async function startDeal(
  fx: ChainFixture,
  ask: Omit<OrderInput, "orderType">,
  bid: Omit<OrderInput, "orderType">,
): Promise<{ dealId: bigint; deal: Deal }> {
  const { supplier, consumer, stranger } = who(fx);
  const askId = await placeOrder(fx, supplier, { orderType: ASK, price: ASK_PRICE, ...ask });
  const bidId = await placeOrder(fx, consumer, { orderType: BID, price: BID_PRICE, ...bid });
  const dealId = await openDeal(fx, stranger, askId, bidId);
  return { dealId, deal: await deal(fx, dealId) };
}

const deal = (fx: ChainFixture, id: bigint) => fx.read<Deal>("getDeal", [id]);

/** Sends `bill` at exactly `at` and returns the paid amount from the Billed event. */
async function billAt(fx: ChainFixture, dealId: bigint, at: bigint): Promise<bigint> {
  await fx.setNextTimestamp(at);
  const receipt = await fx.market(who(fx).stranger, "bill", [dealId]);
  return billed(receipt);
}

function billed(receipt: TransactionReceipt): bigint {
  const events = parseEventLogs({ abi: marketAbi, logs: receipt.logs, eventName: "Billed" });
  assert.equal(events.length, 1, "one Billed event");
  return events[0]!.args.paidAmount;
}

async function closeAt(
  fx: ChainFixture,
  from: FixtureAccount,
  dealId: bigint,
  at: bigint,
  blacklistOther = false,
): Promise<bigint> {
  await fx.setNextTimestamp(at);
  return billed(await fx.market(from, "closeDeal", [dealId, blacklistOther]));
}

async function balances(fx: ChainFixture) {
  const { supplier, consumer, master } = who(fx);
  return {
    supplier: await fx.balance(supplier.address),
    consumer: await fx.balance(consumer.address),
    master: await fx.balance(master.address),
    market: await fx.balance(fx.addresses.market),
  };
}

Deno.test("Market.bill() pays a forward deal exactly to the wei over several periods", async (t) => {
  await using fx = await startChainFixture({ initialRate: RATE });
  const { consumer } = who(fx);

  await fx.step(t, "three bills and a final one after the end", async () => {
    const duration = 3n * DAY;
    const before = await balances(fx);
    const askId = await placeOrder(fx, who(fx).supplier, {
      orderType: ASK,
      price: ASK_PRICE,
      duration,
    });
    const bidId = await placeOrder(fx, consumer, {
      orderType: BID,
      price: BID_PRICE,
      duration,
    });
    // The BID locks one day at its own price.
    assert.equal(await fx.balance(consumer.address), before.consumer - c(BID_PRICE, DAY));
    assert.equal((await fx.read<Order>("getOrder", [bidId])).frozenSum, c(BID_PRICE, DAY));

    const dealId = await openDeal(fx, who(fx).stranger, askId, bidId);
    const opened = await deal(fx, dealId);
    const start = opened.startTime;
    assert.equal(opened.endTime, start + duration);
    assert.equal(opened.price, ASK_PRICE);
    // openDeal re-locks the day at the ASK's price and refunds the rest.
    assert.equal(opened.blockedBalance, c(ASK_PRICE, DAY));
    assert.equal(await fx.balance(consumer.address), before.consumer - c(ASK_PRICE, DAY));

    const plan: [at: bigint, lockedAfter: bigint][] = [
      [1_000n, c(ASK_PRICE, DAY)],
      [100_000n, c(ASK_PRICE, DAY)], // billed late: 99,000 s owed > one day locked
      [200_000n, c(ASK_PRICE, duration - 200_000n)], // the last period is shorter
    ];
    let last = 0n;
    let paid = 0n;
    for (const [at, lockedAfter] of plan) {
      const amount = await billAt(fx, dealId, start + at);
      assert.equal(amount, c(ASK_PRICE, at - last), `bill at +${at}`);
      paid += amount;
      last = at;
      const d = await deal(fx, dealId);
      assert.equal(d.status, 1);
      assert.equal(d.lastBillTime, start + at);
      assert.equal(d.totalPayout, paid);
      assert.equal(d.blockedBalance, lockedAfter);
      const now = await balances(fx);
      assert.equal(now.supplier, before.supplier + paid);
      assert.equal(now.consumer, before.consumer - paid - lockedAfter);
      assert.equal(now.market, before.market + lockedAfter);
    }

    // Billed after the end: up to the end only, then closed.
    const amount = await billAt(fx, dealId, start + duration + 500n);
    assert.equal(amount, c(ASK_PRICE, duration - last));
    paid += amount;
    const closed = await deal(fx, dealId);
    assert.equal(closed.status, 2);
    assert.equal(closed.endTime, start + duration);
    assert.equal(closed.blockedBalance, 0n);
    assert.equal(closed.totalPayout, paid);
    const after = await balances(fx);
    assert.equal(after.supplier, before.supplier + paid);
    assert.equal(after.consumer, before.consumer - paid);
    assert.equal(after.market, before.market);
    await expectRevert(fx.market(who(fx).stranger, "bill", [dealId]), "DealNotActive", [dealId]);
  });

  await fx.step(t, "a spot deal locks one hour at a time", async () => {
    const before = await balances(fx);
    const { dealId, deal: opened } = await startDeal(fx, { duration: 0n }, { duration: 0n });
    const start = opened.startTime;
    assert.equal(opened.blockedBalance, c(ASK_PRICE, HOUR));
    assert.equal(opened.endTime, 0n);

    assert.equal(await billAt(fx, dealId, start + 1_800n), c(ASK_PRICE, 1_800n));
    assert.equal((await deal(fx, dealId)).blockedBalance, c(ASK_PRICE, HOUR));
    assert.equal(await billAt(fx, dealId, start + 9_000n), c(ASK_PRICE, 7_200n));
    assert.equal((await deal(fx, dealId)).blockedBalance, c(ASK_PRICE, HOUR));

    const paid = c(ASK_PRICE, 1_800n) + c(ASK_PRICE, 7_200n);
    const now = await balances(fx);
    assert.equal(now.supplier, before.supplier + paid);
    assert.equal(now.consumer, before.consumer - paid - c(ASK_PRICE, HOUR));
  });
});

Deno.test("Market.bill() closes the deal when the consumer cannot pay", async (t) => {
  await using fx = await startChainFixture({ initialRate: RATE });
  const { consumer, other } = who(fx);
  const revokeApproval = () =>
    fx.send(consumer, {
      address: fx.addresses.token,
      abi: tokenAbi,
      functionName: "approve",
      args: [fx.addresses.market, 0n],
    });

  await fx.step(t, "owed more than locked: pays what is locked and closes", async () => {
    const before = await balances(fx);
    const { dealId, deal: opened } = await startDeal(fx, { duration: 0n }, { duration: 0n });
    await revokeApproval();
    const paid = await billAt(fx, dealId, opened.startTime + 2n * HOUR);
    assert.equal(paid, c(ASK_PRICE, HOUR));
    const d = await deal(fx, dealId);
    assert.equal(d.status, 2);
    assert.equal(d.endTime, opened.startTime + 2n * HOUR);
    assert.equal(d.blockedBalance, 0n);
    assert.equal(d.totalPayout, paid);
    const after = await balances(fx);
    assert.equal(after.supplier, before.supplier + paid);
    assert.equal(after.consumer, before.consumer - paid);
  });

  await fx.step(
    t,
    "owed covered but the next period not: pays, refunds the rest, closes",
    async () => {
      const before = await balances(fx);
      const { dealId, deal: opened } = await startDeal(fx, { duration: 0n }, { duration: 0n });
      // Empty the consumer's balance (the allowance stays).
      const balance = await fx.balance(consumer.address);
      await fx.send(consumer, {
        address: fx.addresses.token,
        abi: tokenAbi,
        functionName: "transfer",
        args: [other.address, balance],
      });
      const paid = await billAt(fx, dealId, opened.startTime + 1_800n);
      assert.equal(paid, c(ASK_PRICE, 1_800n));
      const d = await deal(fx, dealId);
      assert.equal(d.status, 2);
      assert.equal(d.blockedBalance, 0n);
      // The unused part of the hour came back.
      assert.equal(await fx.balance(consumer.address), c(ASK_PRICE, HOUR) - paid);
      assert.equal((await balances(fx)).supplier, before.supplier + paid);
    },
  );

  await fx.step(t, "a late bill that the consumer can cover is pulled in full", async () => {
    const { dealId, deal: opened } = await startDeal(fx, { duration: 0n }, { duration: 0n });
    const paid = await billAt(fx, dealId, opened.startTime + 5n * HOUR);
    assert.equal(paid, c(ASK_PRICE, 5n * HOUR));
    assert.equal((await deal(fx, dealId)).status, 1);
  });
});

Deno.test("Market.closeDeal() follows the consumer and supplier close rules", async (t) => {
  await using fx = await startChainFixture({ initialRate: RATE });
  const { supplier, consumer, master, stranger } = who(fx);

  await fx.step(t, "the consumer closes a forward deal early and gets the rest back", async () => {
    const before = await balances(fx);
    const { dealId, deal: opened } = await startDeal(fx, { duration: DAY }, { duration: DAY });
    const paid = await closeAt(fx, consumer, dealId, opened.startTime + 5_000n);
    assert.equal(paid, c(ASK_PRICE, 5_000n));
    const d = await deal(fx, dealId);
    assert.equal(d.status, 2);
    assert.equal(d.endTime, opened.startTime + 5_000n);
    const after = await balances(fx);
    assert.equal(after.consumer, before.consumer - paid);
    assert.equal(after.supplier, before.supplier + paid);
    assert.equal(after.market, before.market);
  });

  await fx.step(t, "the supplier cannot close a forward deal before its end", async () => {
    const { dealId, deal: opened } = await startDeal(fx, { duration: DAY }, { duration: 7_200n });
    await fx.setNextTimestamp(opened.startTime + 7_199n);
    await expectRevert(fx.market(supplier, "closeDeal", [dealId, false]), "DealNotEnded", [
      dealId,
      opened.startTime + 7_200n,
    ]);
    const paid = await closeAt(fx, supplier, dealId, opened.startTime + 7_210n);
    assert.equal(paid, c(ASK_PRICE, 7_200n), "billed up to the end only");
    assert.equal((await deal(fx, dealId)).endTime, opened.startTime + 7_200n);
  });

  await fx.step(t, "the supplier's master may close after the end and is paid", async () => {
    await fx.market(supplier, "registerWorker", [master.address]);
    await fx.market(master, "confirmWorker", [supplier.address]);
    const before = await balances(fx);
    const { dealId, deal: opened } = await startDeal(fx, { duration: DAY }, { duration: HOUR });
    assert.equal(opened.master, master.address);
    await fx.setNextTimestamp(opened.startTime + 10n);
    await expectRevert(fx.market(master, "closeDeal", [dealId, false]), "DealNotEnded", [
      dealId,
      opened.startTime + HOUR,
    ]);
    const paid = await closeAt(fx, master, dealId, opened.startTime + HOUR);
    assert.equal(paid, c(ASK_PRICE, HOUR));
    const after = await balances(fx);
    assert.equal(after.master, before.master + paid);
    assert.equal(after.supplier, before.supplier);
  });

  await fx.step(t, "either side closes a spot deal at any time", async () => {
    const a = await startDeal(fx, { duration: 0n }, { duration: 0n });
    assert.equal(
      await closeAt(fx, supplier, a.dealId, a.deal.startTime + 100n),
      c(ASK_PRICE, 100n),
    );
    const b = await startDeal(fx, { duration: DAY }, { duration: 0n });
    assert.equal(await closeAt(fx, consumer, b.dealId, b.deal.startTime + 1n), c(ASK_PRICE, 1n));
  });

  await fx.step(t, "a stranger cannot close; a closed deal cannot be closed again", async () => {
    const { dealId } = await startDeal(fx, { duration: 0n }, { duration: 0n });
    await expectRevert(fx.market(stranger, "closeDeal", [dealId, false]), "NotDealParty", [
      dealId,
      stranger.address,
    ]);
    await fx.market(consumer, "closeDeal", [dealId, false]);
    await expectRevert(fx.market(consumer, "closeDeal", [dealId, false]), "DealNotActive", [
      dealId,
    ]);
  });

  await fx.step(
    t,
    "closing with blacklistOther lists the other side in the closer's list",
    async () => {
      const listed = (owner: Address, x: Address) =>
        fx.publicClient.readContract({
          address: fx.addresses.blacklist,
          abi: blacklistAbi,
          functionName: "listed",
          args: [owner, x],
        });
      const a = await startDeal(fx, { duration: 0n }, { duration: 0n });
      await fx.market(consumer, "closeDeal", [a.dealId, true]);
      assert.equal(await listed(consumer.address, supplier.address), true);
      assert.equal(await listed(supplier.address, consumer.address), false);
      // The listing now blocks a new deal between them (rule 3).
      const askId = await placeOrder(fx, supplier, { orderType: ASK });
      const bidId = await placeOrder(fx, consumer, { orderType: BID });
      await expectRevert(fx.market(stranger, "openDeal", [askId, bidId]), "Blacklisted", [
        consumer.address,
        supplier.address,
      ]);
    },
  );

  await fx.step(t, "a supplier closing with blacklistOther lists the consumer", async () => {
    const a = await startDeal(fx, { duration: 0n }, { duration: 0n });
    await fx.market(supplier, "closeDeal", [a.dealId, true]);
    const listed = await fx.publicClient.readContract({
      address: fx.addresses.blacklist,
      abi: blacklistAbi,
      functionName: "listed",
      args: [supplier.address, consumer.address],
    });
    assert.equal(listed, true);
  });
});

Deno.test("Market.cancelOrder() refunds a BID's lock to its author only", async (t) => {
  await using fx = await startChainFixture({ initialRate: RATE });
  const { supplier, consumer, other } = who(fx);

  await fx.step(t, "a cancelled BID returns every wei and leaves the active set", async () => {
    const before = await balances(fx);
    const bidId = await placeOrder(fx, consumer, {
      orderType: BID,
      price: BID_PRICE,
      duration: 0n,
    });
    assert.equal(await fx.balance(consumer.address), before.consumer - c(BID_PRICE, HOUR));
    assert.equal(await fx.read("activeOrdersAmount"), 1n);
    await expectRevert(fx.market(other, "cancelOrder", [bidId]), "NotOrderAuthor", [
      bidId,
      other.address,
    ]);
    await fx.market(consumer, "cancelOrder", [bidId]);
    assert.equal(await fx.balance(consumer.address), before.consumer);
    assert.equal(await fx.balance(fx.addresses.market), before.market);
    const order = await fx.read<Order>("getOrder", [bidId]);
    assert.equal(order.status, 1);
    assert.equal(order.frozenSum, 0n);
    assert.equal(await fx.read("activeOrdersAmount"), 0n);
    await expectRevert(fx.market(consumer, "cancelOrder", [bidId]), "OrderNotActive", [bidId]);
  });

  await fx.step(t, "getActiveOrders pages the active set as orders come and go", async () => {
    const ids: bigint[] = [];
    for (let i = 0; i < 5; i++) ids.push(await placeOrder(fx, supplier, { orderType: ASK }));
    await fx.market(supplier, "cancelOrder", [ids[1]!]);
    const bidId = await placeOrder(fx, consumer, { orderType: BID });
    await openDeal(fx, other, ids[3]!, bidId);
    const [page1] = await fx.read<[bigint[], unknown[]]>("getActiveOrders", [0n, 2n]);
    const [page2, orders2] = await fx.read<[bigint[], { status: number }[]]>("getActiveOrders", [
      2n,
      10n,
    ]);
    const [empty] = await fx.read<[bigint[], unknown[]]>("getActiveOrders", [9n, 10n]);
    assert.deepEqual([...page1, ...page2].sort(), [ids[0]!, ids[2]!, ids[4]!].sort());
    assert.ok(orders2.every((o) => o.status === 2));
    assert.deepEqual(empty, []);
    assert.equal(await fx.read("activeOrdersAmount"), 3n);
    assert.equal(await fx.read("ordersAmount"), 6n);
  });
});

Deno.test("Market.quickBuy() places a matching BID and opens the deal", async (t) => {
  await using fx = await startChainFixture({ initialRate: RATE });
  const { supplier, consumer } = who(fx);

  await fx.step(t, "a forward ASK bought for an hour", async () => {
    const before = await balances(fx);
    const askId = await placeOrder(fx, supplier, {
      orderType: ASK,
      price: ASK_PRICE,
      duration: DAY,
      netflags: [true, false, true],
      benchmarks: [5n, 6n, 7n],
    });
    const receipt = await fx.market(consumer, "quickBuy", [askId, HOUR]);
    const [opened] = parseEventLogs({
      abi: marketAbi,
      logs: receipt.logs,
      eventName: "DealOpened",
    });
    const d = await deal(fx, opened!.args.dealId);
    assert.equal(d.consumer, consumer.address);
    assert.equal(d.supplier, supplier.address);
    assert.equal(d.duration, HOUR);
    assert.equal(d.price, ASK_PRICE);
    assert.equal(d.blockedBalance, c(ASK_PRICE, HOUR));
    assert.equal(await fx.balance(consumer.address), before.consumer - c(ASK_PRICE, HOUR));
    const bid = await fx.read<Order>("getOrder", [d.bidId]);
    assert.equal(bid.status, 1);
    assert.equal(bid.dealId, opened!.args.dealId);
  });

  await fx.step(t, "a spot ASK cannot be bought for a duration", async () => {
    const askId = await placeOrder(fx, supplier, { orderType: ASK, duration: 0n });
    await expectRevert(fx.market(consumer, "quickBuy", [askId, 60n]), "DurationTooShort", [
      0n,
      60n,
    ]);
  });

  await fx.step(t, "a BID id is refused", async () => {
    const bidId = await placeOrder(fx, supplier, { orderType: BID });
    await expectRevert(fx.market(consumer, "quickBuy", [bidId, 0n]), "OrderTypeMismatch", [
      bidId,
      ASK,
      BID,
    ]);
  });
});
