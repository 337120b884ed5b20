import assert from "node:assert/strict";
import { type Address, parseEventLogs } from "viem";
import { marketAbi } from "../src/chain/contracts.ts";
import {
  type ChainFixture,
  cost,
  type DealStruct,
  expectRevert,
  openDeal,
  placeOrder,
  startChainFixture,
} from "./_fixtures/anvil.ts";

const ASK = 2 as const;
const BID = 1 as const;
const RATE = 10n ** 18n;
const PRICE = 1_000_000_007n;

type Deal = DealStruct;
type ChangeRequest = {
  dealId: bigint;
  requestType: number;
  price: bigint;
  duration: bigint;
  status: number;
};

function who(fx: ChainFixture) {
  const [deployer, worker, master, consumer, master2, other, stranger] = fx.accounts;
  assert.ok(deployer && worker && master && consumer && master2 && other && stranger);
  return { deployer, worker, master, consumer, master2, other, stranger };
}

const masterOf = (fx: ChainFixture, x: Address) => fx.read<Address>("masterOf", [x]);

Deno.test("Market worker binding is one hop: ask, confirm, remove", async (t) => {
  await using fx = await startChainFixture({ initialRate: RATE });
  const { worker, master, master2, other, stranger } = who(fx);

  await fx.step(t, "a confirmed worker's master is its master; others are their own", async () => {
    assert.equal(await masterOf(fx, worker.address), worker.address);
    const announced = await fx.market(worker, "registerWorker", [master.address]);
    assert.equal(
      parseEventLogs({ abi: marketAbi, logs: announced.logs, eventName: "WorkerAnnounced" })
        .length,
      1,
    );
    assert.equal(await fx.read("pendingMasterOf", [worker.address]), master.address);
    assert.equal(await masterOf(fx, worker.address), worker.address, "pending is not bound");
    await fx.market(master, "confirmWorker", [worker.address]);
    assert.equal(await masterOf(fx, worker.address), master.address);
    assert.equal(await masterOf(fx, master.address), master.address);
    assert.equal(await fx.read("workersAmount", [master.address]), 1n);
  });

  await fx.step(t, "only the requested master can confirm", async () => {
    await fx.market(worker, "registerWorker", [master.address]);
    await expectRevert(fx.market(master2, "confirmWorker", [worker.address]), "NoPendingWorker", [
      worker.address,
      master2.address,
    ]);
  });

  await fx.step(t, "an address cannot be its own master", async () => {
    await expectRevert(fx.market(worker, "registerWorker", [worker.address]), "SelfMaster", [
      worker.address,
    ]);
  });

  await fx.step(t, "moving to another master needs a removal first", async () => {
    await fx.market(worker, "registerWorker", [master.address]);
    await fx.market(master, "confirmWorker", [worker.address]);
    await expectRevert(fx.market(worker, "registerWorker", [master2.address]), "AlreadyWorker", [
      worker.address,
      master.address,
    ]);
    await fx.market(worker, "removeWorker", [worker.address, master.address]);
    assert.equal(await fx.read("workersAmount", [master.address]), 0n);
    await fx.market(worker, "registerWorker", [master2.address]);
    await fx.market(master2, "confirmWorker", [worker.address]);
    assert.equal(await masterOf(fx, worker.address), master2.address);
  });

  await fx.step(t, "an address that has workers cannot become a worker", async () => {
    await fx.market(worker, "registerWorker", [master.address]);
    await fx.market(master, "confirmWorker", [worker.address]);
    await expectRevert(fx.market(master, "registerWorker", [master2.address]), "HasWorkers", [
      master.address,
    ]);
  });

  await fx.step(t, "a worker cannot take workers", async () => {
    await fx.market(worker, "registerWorker", [master.address]);
    await fx.market(master, "confirmWorker", [worker.address]);
    await expectRevert(fx.market(other, "registerWorker", [worker.address]), "MasterIsWorker", [
      worker.address,
    ]);
  });

  await fx.step(t, "a pending request cannot be confirmed once the roles changed", async () => {
    // other asks to work for worker; then worker becomes master's worker.
    await fx.market(other, "registerWorker", [worker.address]);
    await fx.market(worker, "registerWorker", [master.address]);
    await fx.market(master, "confirmWorker", [worker.address]);
    await expectRevert(fx.market(worker, "confirmWorker", [other.address]), "MasterIsWorker", [
      worker.address,
    ]);
    // and a master with a pending worker cannot be confirmed as a worker itself
    await fx.market(master2, "registerWorker", [other.address]);
    await fx.market(stranger, "registerWorker", [master2.address]);
    await fx.market(master2, "confirmWorker", [stranger.address]);
    await expectRevert(fx.market(other, "confirmWorker", [master2.address]), "HasWorkers", [
      master2.address,
    ]);
  });

  await fx.step(t, "removal: by either side only, and only of a real binding", async () => {
    await fx.market(worker, "registerWorker", [master.address]);
    await fx.market(master, "confirmWorker", [worker.address]);
    await expectRevert(
      fx.market(stranger, "removeWorker", [worker.address, master.address]),
      "NotWorkerOrMaster",
      [stranger.address],
    );
    await expectRevert(
      fx.market(master2, "removeWorker", [worker.address, master2.address]),
      "NotWorkerOf",
      [worker.address, master2.address],
    );
    const removed = await fx.market(master, "removeWorker", [worker.address, master.address]);
    const [event] = parseEventLogs({
      abi: marketAbi,
      logs: removed.logs,
      eventName: "WorkerRemoved",
    });
    assert.equal(event?.args.worker, worker.address);
    assert.equal(event?.args.master, master.address);
    assert.equal(await masterOf(fx, worker.address), worker.address);
  });

  await fx.step(t, "a pending request can be withdrawn", async () => {
    await fx.market(worker, "registerWorker", [master.address]);
    await fx.market(worker, "removeWorker", [worker.address, master.address]);
    assert.equal(
      await fx.read("pendingMasterOf", [worker.address]),
      "0x0000000000000000000000000000000000000000",
    );
    await expectRevert(fx.market(master, "confirmWorker", [worker.address]), "NoPendingWorker", [
      worker.address,
      master.address,
    ]);
  });
});

Deno.test("Market pays a worker's deals to its master", async (t) => {
  await using fx = await startChainFixture({ initialRate: RATE });
  const { worker, master, consumer, stranger } = who(fx);

  await fx.step(t, "bill and close pay the master, not the worker", async () => {
    await fx.market(worker, "registerWorker", [master.address]);
    await fx.market(master, "confirmWorker", [worker.address]);
    const askId = await placeOrder(fx, worker, { orderType: ASK, price: PRICE, duration: 0n });
    const bidId = await placeOrder(fx, consumer, { orderType: BID, price: PRICE, duration: 0n });
    const dealId = await openDeal(fx, stranger, askId, bidId);
    const deal = await fx.read<Deal>("getDeal", [dealId]);
    assert.equal(deal.supplier, worker.address);
    assert.equal(deal.master, master.address);
    const workerBefore = await fx.balance(worker.address);
    const masterBefore = await fx.balance(master.address);

    await fx.setNextTimestamp(deal.startTime + 600n);
    await fx.market(stranger, "bill", [dealId]);
    await fx.setNextTimestamp(deal.startTime + 900n);
    // The worker, as the supplier, may close a spot deal.
    await fx.market(worker, "closeDeal", [dealId, false]);

    const expected = cost(PRICE, 600n, RATE) + cost(PRICE, 300n, RATE);
    assert.equal(await fx.balance(master.address), masterBefore + expected);
    assert.equal(await fx.balance(worker.address), workerBefore);
    assert.equal((await fx.read<Deal>("getDeal", [dealId])).totalPayout, expected);
  });

  await fx.step(t, "the payee is fixed when the deal opens", async () => {
    await fx.market(worker, "registerWorker", [master.address]);
    await fx.market(master, "confirmWorker", [worker.address]);
    const askId = await placeOrder(fx, worker, { orderType: ASK, price: PRICE, duration: 0n });
    const bidId = await placeOrder(fx, consumer, { orderType: BID, price: PRICE, duration: 0n });
    const dealId = await openDeal(fx, stranger, askId, bidId);
    await fx.market(master, "removeWorker", [worker.address, master.address]);
    const masterBefore = await fx.balance(master.address);
    const deal = await fx.read<Deal>("getDeal", [dealId]);
    await fx.setNextTimestamp(deal.startTime + 60n);
    await fx.market(consumer, "closeDeal", [dealId, false]);
    assert.equal(await fx.balance(master.address), masterBefore + cost(PRICE, 60n, RATE));
  });
});

Deno.test("Market change requests apply when both sides propose the same", async (t) => {
  await using fx = await startChainFixture({ initialRate: RATE });
  const { worker: supplier, consumer, stranger } = who(fx);

  const forwardDeal = async (duration: bigint) => {
    const askId = await placeOrder(fx, supplier, { orderType: ASK, price: PRICE, duration });
    const bidId = await placeOrder(fx, consumer, { orderType: BID, price: PRICE, duration });
    const dealId = await openDeal(fx, stranger, askId, bidId);
    return { dealId, deal: await fx.read<Deal>("getDeal", [dealId]) };
  };
  const request = async (from: typeof supplier, dealId: bigint, price: bigint, dur: bigint) => {
    const receipt = await fx.market(from, "createChangeRequest", [dealId, price, dur]);
    const [set] = parseEventLogs({
      abi: marketAbi,
      logs: receipt.logs,
      eventName: "DealChangeRequestSet",
    });
    assert.ok(set !== undefined);
    return { id: set.args.changeRequestId, receipt };
  };
  const getRequest = (id: bigint) => fx.read<ChangeRequest>("getChangeRequest", [id]);

  await fx.step(t, "matching proposals bill at the old price, then change the deal", async () => {
    const { dealId, deal } = await forwardDeal(86_400n);
    const a = await request(consumer, dealId, PRICE / 2n, 7_200n);
    assert.equal((await getRequest(a.id)).requestType, 1);
    // A different proposal from the supplier does not apply.
    const b = await request(supplier, dealId, PRICE / 2n, 3_600n);
    assert.equal((await fx.read<Deal>("getDeal", [dealId])).price, PRICE);
    assert.equal((await getRequest(b.id)).status, 1);
    // The same proposal applies.
    const before = await fx.balance(supplier.address);
    await fx.setNextTimestamp(deal.startTime + 1_000n);
    const c = await request(supplier, dealId, PRICE / 2n, 7_200n);
    assert.equal((await getRequest(b.id)).status, 2, "the supplier's earlier request is replaced");
    assert.equal(
      parseEventLogs({ abi: marketAbi, logs: c.receipt.logs, eventName: "DealUpdated" }).length,
      1,
    );
    const changed = await fx.read<Deal>("getDeal", [dealId]);
    assert.equal(changed.price, PRICE / 2n);
    assert.equal(changed.duration, 7_200n);
    assert.equal(changed.endTime, deal.startTime + 7_200n);
    assert.equal(await fx.balance(supplier.address), before + cost(PRICE, 1_000n, RATE));
    assert.equal((await getRequest(a.id)).status, 4);
    assert.equal((await getRequest(c.id)).status, 4);
    assert.equal(await fx.read("pendingChangeRequest", [dealId, 1]), 0n);
    // The next bill uses the new price.
    await fx.setNextTimestamp(deal.startTime + 2_000n);
    await fx.market(stranger, "bill", [dealId]);
    assert.equal(
      await fx.balance(supplier.address),
      before + cost(PRICE, 1_000n, RATE) + cost(PRICE / 2n, 1_000n, RATE),
    );
  });

  await fx.step(t, "cancel by the author, reject by the other side", async () => {
    const { dealId } = await forwardDeal(86_400n);
    const a = await request(consumer, dealId, 1n, 100n);
    await fx.market(consumer, "cancelChangeRequest", [a.id]);
    assert.equal((await getRequest(a.id)).status, 2);
    await expectRevert(
      fx.market(consumer, "cancelChangeRequest", [a.id]),
      "ChangeRequestNotActive",
      [a.id],
    );
    const b = await request(consumer, dealId, 1n, 100n);
    await fx.market(supplier, "cancelChangeRequest", [b.id]);
    assert.equal((await getRequest(b.id)).status, 3);
    // With the consumer's request gone, the supplier's same proposal does not apply.
    await request(supplier, dealId, 1n, 100n);
    assert.equal((await fx.read<Deal>("getDeal", [dealId])).price, PRICE);
  });

  await fx.step(t, "bad proposals are refused with their values", async () => {
    const { dealId, deal } = await forwardDeal(86_400n);
    await expectRevert(
      fx.market(stranger, "createChangeRequest", [dealId, 1n, 100n]),
      "NotDealParty",
      [dealId, stranger.address],
    );
    await expectRevert(
      fx.market(consumer, "createChangeRequest", [dealId, 1n, 0n]),
      "InvalidChangeDuration",
      [dealId, 0n],
    );
    await expectRevert(
      fx.market(consumer, "createChangeRequest", [dealId, 2n ** 80n + 1n, 100n]),
      "PriceOutOfRange",
      [2n ** 80n + 1n, 2n ** 80n],
    );
    await fx.setNextTimestamp(deal.startTime + 500n);
    await fx.testClient.mine({ blocks: 1 });
    await expectRevert(
      fx.market(consumer, "createChangeRequest", [dealId, 1n, 100n]),
      "InvalidChangeDuration",
      [dealId, 100n],
    );
    const askId = await placeOrder(fx, supplier, { orderType: ASK, duration: 0n });
    const bidId = await placeOrder(fx, consumer, { orderType: BID, duration: 0n });
    const spot = await openDeal(fx, stranger, askId, bidId);
    await expectRevert(
      fx.market(consumer, "createChangeRequest", [spot, 1n, 60n]),
      "InvalidChangeDuration",
      [spot, 60n],
    );
    await request(consumer, spot, 1n, 0n);
  });
});
