import assert from "node:assert/strict";
import type { Address } from "viem";
import { blacklistAbi, profileRegistryAbi, tokenAbi } from "../src/chain/contracts.ts";
import {
  type ChainFixture,
  type DealStruct,
  expectRevert,
  type FixtureAccount,
  openDeal,
  orderArgs,
  type OrderInput,
  type OrderStruct,
  placeOrder,
  startChainFixture,
} from "./_fixtures/anvil.ts";

const ASK = 2 as const;
const BID = 1 as const;
const TOP = 2n ** 63n - 1n;

type Deal = DealStruct;
type Order = OrderStruct;

function who(fx: ChainFixture) {
  const [deployer, supplier, consumer, master, other, bidListOwner, askListOwner, stranger] =
    fx.accounts;
  assert.ok(
    deployer && supplier && consumer && master && other && bidListOwner && askListOwner &&
      stranger,
  );
  return { deployer, supplier, consumer, master, other, bidListOwner, askListOwner, stranger };
}

async function bind(fx: ChainFixture, worker: FixtureAccount, master: FixtureAccount) {
  await fx.market(worker, "registerWorker", [master.address]);
  await fx.market(master, "confirmWorker", [worker.address]);
}

async function setLevel(fx: ChainFixture, account: FixtureAccount, level: number) {
  const { deployer } = who(fx);
  await fx.send(deployer, {
    address: fx.addresses.profiles,
    abi: profileRegistryAbi,
    functionName: "setLevel",
    args: [account.address, level],
  });
}

async function blacklistAdd(fx: ChainFixture, owner: FixtureAccount, listed: Address) {
  await fx.send(owner, {
    address: fx.addresses.blacklist,
    abi: blacklistAbi,
    functionName: "add",
    args: [listed],
  });
}

/** Places an ASK from `supplier` and a BID from `consumer`; returns their ids. */
async function pair(
  fx: ChainFixture,
  ask: Omit<OrderInput, "orderType">,
  bid: Omit<OrderInput, "orderType">,
): Promise<{ askId: bigint; bidId: bigint }> {
  const { supplier, consumer } = who(fx);
  const askId = await placeOrder(fx, supplier, { orderType: ASK, ...ask });
  const bidId = await placeOrder(fx, consumer, { orderType: BID, ...bid });
  return { askId, bidId };
}

/** openDeal must revert with `errorName(args)`, and checkMatch must agree. */
async function expectRefusal(
  fx: ChainFixture,
  ids: { askId: bigint; bidId: bigint },
  errorName: string,
  args: readonly unknown[],
) {
  const { stranger } = who(fx);
  await expectRevert(fx.read("checkMatch", [ids.askId, ids.bidId]), errorName, args);
  await expectRevert(fx.market(stranger, "openDeal", [ids.askId, ids.bidId]), errorName, args);
}

async function expectMatch(fx: ChainFixture, ids: { askId: bigint; bidId: bigint }) {
  const { stranger } = who(fx);
  await fx.read("checkMatch", [ids.askId, ids.bidId]);
  const dealId = await openDeal(fx, stranger, ids.askId, ids.bidId);
  const deal = await fx.read<Deal>("getDeal", [dealId]);
  assert.equal(deal.status, 1);
  return dealId;
}

Deno.test("Market.openDeal() enforces rule 1: both orders active and of the right type", async (t) => {
  await using fx = await startChainFixture();
  const { supplier, consumer } = who(fx);

  await fx.step(t, "a cancelled ASK is refused with OrderNotActive", async () => {
    const ids = await pair(fx, {}, {});
    await fx.market(supplier, "cancelOrder", [ids.askId]);
    await expectRefusal(fx, ids, "OrderNotActive", [ids.askId]);
  });
  await fx.step(t, "a cancelled BID is refused with OrderNotActive", async () => {
    const ids = await pair(fx, {}, {});
    await fx.market(consumer, "cancelOrder", [ids.bidId]);
    await expectRefusal(fx, ids, "OrderNotActive", [ids.bidId]);
  });
  await fx.step(t, "an unknown order id is refused with OrderNotActive", async () => {
    const ids = await pair(fx, {}, {});
    await expectRefusal(fx, { askId: ids.askId, bidId: 999n }, "OrderNotActive", [999n]);
  });
  await fx.step(t, "an order taken by a deal cannot be taken again", async () => {
    const ids = await pair(fx, {}, {});
    await expectMatch(fx, ids);
    const bid2 = await placeOrder(fx, consumer, { orderType: BID });
    await expectRefusal(fx, { askId: ids.askId, bidId: bid2 }, "OrderNotActive", [ids.askId]);
  });
  await fx.step(t, "two ASKs are refused with OrderTypeMismatch on the BID side", async () => {
    const askId = await placeOrder(fx, supplier, { orderType: ASK });
    const ask2 = await placeOrder(fx, consumer, { orderType: ASK });
    await expectRefusal(fx, { askId, bidId: ask2 }, "OrderTypeMismatch", [ask2, BID, ASK]);
  });
  await fx.step(t, "a BID in the ASK position is refused with OrderTypeMismatch", async () => {
    const ids = await pair(fx, {}, {});
    const bid2 = await placeOrder(fx, consumer, { orderType: BID });
    await expectRefusal(fx, { askId: ids.bidId, bidId: bid2 }, "OrderTypeMismatch", [
      ids.bidId,
      ASK,
      BID,
    ]);
  });
  await fx.step(t, "a self-deal is allowed", async () => {
    const askId = await placeOrder(fx, supplier, { orderType: ASK });
    const bidId = await placeOrder(fx, supplier, { orderType: BID });
    await expectMatch(fx, { askId, bidId });
  });
});

Deno.test("Market.openDeal() enforces rule 2: counterparties", async (t) => {
  await using fx = await startChainFixture();
  const { supplier, consumer, master, other } = who(fx);

  await fx.step(t, "ask.counterparty set to someone else is refused", async () => {
    const ids = await pair(fx, { counterparty: other.address }, {});
    await expectRefusal(fx, ids, "CounterpartyMismatch", [
      ids.askId,
      other.address,
      consumer.address,
    ]);
  });
  await fx.step(t, "ask.counterparty set to the consumer matches", async () => {
    await expectMatch(fx, await pair(fx, { counterparty: consumer.address }, {}));
  });
  await fx.step(
    t,
    "ask.counterparty must be the consumer's master when it is a worker",
    async () => {
      await bind(fx, consumer, master);
      const bad = await pair(fx, { counterparty: consumer.address }, {});
      await expectRefusal(fx, bad, "CounterpartyMismatch", [
        bad.askId,
        consumer.address,
        master.address,
      ]);
      await expectMatch(fx, await pair(fx, { counterparty: master.address }, {}));
    },
  );
  await fx.step(t, "bid.counterparty set to someone else is refused", async () => {
    const ids = await pair(fx, {}, { counterparty: other.address });
    await expectRefusal(fx, ids, "CounterpartyMismatch", [
      ids.bidId,
      other.address,
      supplier.address,
    ]);
  });
  await fx.step(
    t,
    "bid.counterparty must be the supplier's master when it is a worker",
    async () => {
      await bind(fx, supplier, master);
      const bad = await pair(fx, {}, { counterparty: supplier.address });
      await expectRefusal(fx, bad, "CounterpartyMismatch", [
        bad.bidId,
        supplier.address,
        master.address,
      ]);
      await expectMatch(fx, await pair(fx, {}, { counterparty: master.address }));
    },
  );
});

Deno.test("Market.openDeal() enforces rule 3: every blacklist in DESIGN order", async (t) => {
  await using fx = await startChainFixture();
  const { supplier, consumer, master, bidListOwner, askListOwner, other } = who(fx);
  // The supplier works for `master`, so master(ask.author) != ask.author.
  await bind(fx, supplier, master);
  const orders = {
    ask: { blacklist: askListOwner.address },
    bid: { blacklist: bidListOwner.address },
  };
  const cases: [string, FixtureAccount, FixtureAccount][] = [
    ["bid.blacklist lists master(ask.author)", bidListOwner, master],
    ["bid.blacklist lists ask.author", bidListOwner, supplier],
    ["bid.author lists master(ask.author)", consumer, master],
    ["bid.author lists ask.author", consumer, supplier],
    ["ask.blacklist lists bid.author", askListOwner, consumer],
    ["master(ask.author) lists bid.author", master, consumer],
    ["ask.author lists bid.author", supplier, consumer],
  ];
  for (const [name, owner, listed] of cases) {
    await fx.step(t, `${name}: refused with Blacklisted`, async () => {
      await blacklistAdd(fx, owner, listed.address);
      const ids = await pair(fx, orders.ask, orders.bid);
      await expectRefusal(fx, ids, "Blacklisted", [owner.address, listed.address]);
    });
  }
  await fx.step(t, "the first listed pair in DESIGN order is reported", async () => {
    await blacklistAdd(fx, supplier, consumer.address); // last pair
    await blacklistAdd(fx, bidListOwner, supplier.address); // second pair
    const ids = await pair(fx, orders.ask, orders.bid);
    await expectRefusal(fx, ids, "Blacklisted", [bidListOwner.address, supplier.address]);
  });
  await fx.step(t, "lists that no order refers to do not apply", async () => {
    await blacklistAdd(fx, other, consumer.address);
    await blacklistAdd(fx, other, supplier.address);
    await blacklistAdd(fx, bidListOwner, other.address);
    await expectMatch(fx, await pair(fx, orders.ask, orders.bid));
  });
  await fx.step(t, "a removed entry no longer applies", async () => {
    await blacklistAdd(fx, consumer, supplier.address);
    await fx.send(consumer, {
      address: fx.addresses.blacklist,
      abi: blacklistAbi,
      functionName: "remove",
      args: [supplier.address],
    });
    await expectMatch(fx, await pair(fx, orders.ask, orders.bid));
  });
});

Deno.test("Market.openDeal() enforces rule 4: price and duration", async (t) => {
  await using fx = await startChainFixture();

  await fx.step(t, "ask.price above bid.price is refused with PriceTooHigh", async () => {
    const ids = await pair(fx, { price: 1001n }, { price: 1000n });
    await expectRefusal(fx, ids, "PriceTooHigh", [1001n, 1000n]);
  });
  await fx.step(t, "equal prices match and the deal takes the ASK's price", async () => {
    const dealId = await expectMatch(fx, await pair(fx, { price: 1000n }, { price: 1000n }));
    assert.equal((await fx.read<Deal>("getDeal", [dealId])).price, 1000n);
  });
  await fx.step(t, "a cheaper ASK gives a deal at the ASK's price", async () => {
    const dealId = await expectMatch(fx, await pair(fx, { price: 700n }, { price: 1000n }));
    assert.equal((await fx.read<Deal>("getDeal", [dealId])).price, 700n);
  });
  await fx.step(t, "ask.duration below bid.duration is refused with DurationTooShort", async () => {
    const ids = await pair(fx, { duration: 3599n }, { duration: 3600n });
    await expectRefusal(fx, ids, "DurationTooShort", [3599n, 3600n]);
  });
  await fx.step(t, "a spot ASK serves no forward BID", async () => {
    const ids = await pair(fx, { duration: 0n }, { duration: 60n });
    await expectRefusal(fx, ids, "DurationTooShort", [0n, 60n]);
  });
  await fx.step(t, "a spot BID takes a forward ASK: spot deal at the ASK's price", async () => {
    const ids = await pair(fx, { duration: 86_400n, price: 500n }, { duration: 0n, price: 900n });
    const dealId = await expectMatch(fx, ids);
    const deal = await fx.read<Deal>("getDeal", [dealId]);
    assert.equal(deal.duration, 0n);
    assert.equal(deal.endTime, 0n);
    assert.equal(deal.price, 500n);
    for (const id of [ids.askId, ids.bidId]) {
      const order = await fx.read<Order>("getOrder", [id]);
      assert.equal(order.status, 1);
      assert.equal(order.dealId, dealId);
    }
  });
  await fx.step(t, "price is checked before duration", async () => {
    const ids = await pair(fx, { price: 2n, duration: 1n }, { price: 1n, duration: 2n });
    await expectRefusal(fx, ids, "PriceTooHigh", [2n, 1n]);
  });
});

Deno.test("Market.openDeal() enforces rule 5: identity levels", async (t) => {
  await using fx = await startChainFixture();
  const { supplier, consumer } = who(fx);

  await fx.step(t, "the consumer's level below ask.identityLevel is refused", async () => {
    await setLevel(fx, consumer, 1);
    const ids = await pair(fx, { identityLevel: 2 }, {});
    await expectRefusal(fx, ids, "IdentityTooLow", [consumer.address, 1, 2]);
    await setLevel(fx, consumer, 2);
    await expectMatch(fx, ids);
  });
  await fx.step(t, "the supplier's level below bid.identityLevel is refused", async () => {
    await setLevel(fx, supplier, 2);
    const ids = await pair(fx, {}, { identityLevel: 3 });
    await expectRefusal(fx, ids, "IdentityTooLow", [supplier.address, 2, 3]);
    await setLevel(fx, supplier, 3);
    await expectMatch(fx, ids);
  });
  await fx.step(t, "the BID author's level is checked first", async () => {
    const ids = await pair(fx, { identityLevel: 1 }, { identityLevel: 1 });
    await expectRefusal(fx, ids, "IdentityTooLow", [consumer.address, 0, 1]);
  });
  await fx.step(t, "level 0 is required by default and always met", async () => {
    await expectMatch(fx, await pair(fx, { identityLevel: 0 }, { identityLevel: 0 }));
  });
});

Deno.test("Market.openDeal() enforces rule 6: netflags over the longer array", async (t) => {
  await using fx = await startChainFixture();

  await fx.step(t, "a BID longer than the ASK is checked past the ASK's end", async () => {
    const ids = await pair(fx, { netflags: [true, true] }, { netflags: [false, false, true] });
    await expectRefusal(fx, ids, "NetflagMissing", [2n]);
  });
  await fx.step(t, "a flag the ASK does not set is missing", async () => {
    const ids = await pair(fx, { netflags: [true, false, true] }, { netflags: [true, true] });
    await expectRefusal(fx, ids, "NetflagMissing", [1n]);
  });
  await fx.step(t, "an empty ASK offers nothing", async () => {
    const ids = await pair(fx, { netflags: [] }, { netflags: [true] });
    await expectRefusal(fx, ids, "NetflagMissing", [0n]);
  });
  await fx.step(t, "flags the BID does not need are not required", async () => {
    await expectMatch(
      fx,
      await pair(fx, { netflags: [true, true, false] }, { netflags: [false, true] }),
    );
    await expectMatch(fx, await pair(fx, { netflags: [] }, { netflags: [false, false, false] }));
  });
});

Deno.test("Market.openDeal() enforces rule 7: benchmarks as exact uint64", async (t) => {
  await using fx = await startChainFixture();
  const { supplier } = who(fx);

  await fx.step(t, "an ASK value below the BID's is refused with BenchmarkTooLow", async () => {
    const ids = await pair(fx, { benchmarks: [10n, 5n, 7n] }, { benchmarks: [10n, 6n, 7n] });
    await expectRefusal(fx, ids, "BenchmarkTooLow", [1n, 5n, 6n]);
  });
  await fx.step(t, "a missing ASK value counts as 0", async () => {
    const ids = await pair(fx, { benchmarks: [10n, 10n] }, { benchmarks: [0n, 0n, 5n] });
    await expectRefusal(fx, ids, "BenchmarkTooLow", [2n, 0n, 5n]);
  });
  await fx.step(t, "values near 2^63 compare exactly", async () => {
    const ids = await pair(fx, { benchmarks: [TOP - 1n] }, { benchmarks: [TOP] });
    await expectRefusal(fx, ids, "BenchmarkTooLow", [0n, TOP - 1n, TOP]);
    await expectMatch(fx, await pair(fx, { benchmarks: [TOP] }, { benchmarks: [TOP] }));
  });
  await fx.step(t, "all 15 benchmarks at 2^63-1 are accepted by placeOrder", async () => {
    await placeOrder(fx, supplier, { orderType: ASK, benchmarks: Array(15).fill(TOP) });
  });
  await fx.step(t, "placeOrder refuses a benchmark of 2^63", async () => {
    await expectRevert(
      fx.market(supplier, "placeOrder", orderArgs({ orderType: ASK, benchmarks: [1n, TOP + 1n] })),
      "BenchmarkOutOfRange",
      [1n, TOP + 1n],
    );
  });
  await fx.step(
    t,
    "rules are reported in DESIGN order: price (4) before benchmarks (7)",
    async () => {
      const ids = await pair(fx, { price: 10n, benchmarks: [1n] }, { price: 9n, benchmarks: [2n] });
      await expectRefusal(fx, ids, "PriceTooHigh", [10n, 9n]);
    },
  );
});

Deno.test("Market.placeOrder() bounds every input", async (t) => {
  await using fx = await startChainFixture();
  const { supplier } = who(fx);
  const place = (o: OrderInput) => fx.market(supplier, "placeOrder", orderArgs(o));

  await fx.step(t, "an unknown order type", async () => {
    await expectRevert(place({ orderType: 3 as never }), "InvalidOrderType", [3]);
  });
  await fx.step(t, "too many netflags", async () => {
    await expectRevert(
      place({ orderType: ASK, netflags: [true, true, true, true] }),
      "TooManyNetflags",
      [4n, 3n],
    );
  });
  await fx.step(t, "too many benchmarks", async () => {
    await expectRevert(
      place({ orderType: ASK, benchmarks: Array(16).fill(1n) }),
      "TooManyBenchmarks",
      [16n, 15n],
    );
  });
  await fx.step(t, "a price above 2^80", async () => {
    await expectRevert(place({ orderType: ASK, price: 2n ** 80n + 1n }), "PriceOutOfRange", [
      2n ** 80n + 1n,
      2n ** 80n,
    ]);
    await place({ orderType: ASK, price: 2n ** 80n });
  });
  await fx.step(t, "a duration above 10 years", async () => {
    await expectRevert(place({ orderType: ASK, duration: 315_360_001n }), "DurationOutOfRange", [
      315_360_001n,
      315_360_000n,
    ]);
    await place({ orderType: ASK, duration: 315_360_000n });
  });
  await fx.step(t, "an identity level above 3", async () => {
    await expectRevert(place({ orderType: ASK, identityLevel: 4 }), "IdentityLevelOutOfRange", [
      4,
      3,
    ]);
  });
  await fx.step(
    t,
    "the largest BID locks a day at the largest price without overflow",
    async () => {
      await fx.send(who(fx).deployer, {
        address: fx.addresses.token,
        abi: tokenAbi,
        functionName: "mint",
        args: [supplier.address, 2n ** 80n * 86_400n],
      });
      await place({ orderType: BID, price: 2n ** 80n, duration: 315_360_000n });
    },
  );
});
