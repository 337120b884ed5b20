/**
 * Many rigs, one market: three real `sonm-agent run` processes on one devnet
 * chain that mines a block every 2 s, each with four identical plans, and a
 * consumer's burst of nine BIDs in one block. The rigs must serve the burst
 * as a fleet: one deal per BID and per ASK, every deal within 2 blocks of
 * its BID (each rig sends its openDeals together), no `openDeal` reverted
 * on chain (the rigs spread over the BIDs instead of racing for the same
 * ones), no warning (a lost race is normal, logged at info), and bills that
 * pay exactly the price times the billed seconds.
 */
import assert from "node:assert/strict";
import { parseEventLogs } from "viem";
import { getDeal, getRate, marketAbi, paymentFor } from "../src/chain/mod.ts";
import { rpc, until } from "./_fixtures/agent_rig.ts";
import { startFleet } from "./_fixtures/rig_fleet.ts";

const PLANS = [4, 4, 4];
const BIDS = 9;

Deno.test("three rigs serve a burst of BIDs: one deal per BID within 2 blocks, nothing reverted, lost races quiet, exact bills", async () => {
  const fleet = await startFleet({ prefix: "agent_multi_rig_", plans: PLANS, blockTime: 2 });
  try {
    await fleet.waitAsks();
    const burst = await fleet.burst(BIDS, "0.50");
    const served = await fleet.served(burst);
    const deals = await Promise.all(
      [...served.deals.values()].map((d) => getDeal(fleet.reader, { dealId: d.dealId })),
    );

    // one deal per BID, and no ASK (plan) with two
    assert.equal(served.deals.size, BIDS);
    assert.deepEqual(new Set(deals.map((d) => d!.bidId)), new Set(burst.bidIds));
    assert.equal(new Set(deals.map((d) => d!.askId)).size, BIDS);
    const suppliers = new Set(deals.map((d) => d!.supplier.toLowerCase()));
    const rigs = new Set(fleet.rigs.map((r) => r.address.toLowerCase()));
    assert.ok([...suppliers].every((s) => rigs.has(s)));

    // each rig sends for all its free plans at once: no deal waits for another's receipt
    assert.ok(
      served.blocksToServe <= 2,
      `a BID waited ${served.blocksToServe} blocks for its deal`,
    );

    // every rig has seen the deals' block and two more: its tries for the burst are over
    const end = await fleet.waitBlocks(served.toBlock, 2);
    assert.equal(await fleet.revertedOpenDeals(burst.fromBlock, end), 0, "a reverted openDeal");
    const loud = fleet.linesSince(burst, (l) => l.level === "warn" || l.level === "error");
    assert.deepEqual(loud, [], "warnings or errors while serving the burst");
    const races = fleet.linesSince(burst, (l) => l.msg.startsWith("lost the race"));
    assert.ok(races.every((l) => l.level === "info"));

    // ten minutes of chain time later each rig bills its deals, exactly
    const before = new Map(deals.map((d) => [d!.id, d!]));
    const fromBlock = end;
    await rpc(fleet.devnet, "evm_increaseTime", [600]);
    await rpc(fleet.devnet, "evm_mine", []);
    const billed = await until("a bill for every deal", async () => {
      const logs = await fleet.chain.public.getLogs({
        address: fleet.devnet.contracts.market,
        fromBlock,
      });
      const bills = parseEventLogs({ abi: marketAbi, logs, eventName: "Billed" })
        .filter((l) => before.has(l.args.dealId));
      return new Set(bills.map((b) => b.args.dealId)).size === BIDS ? bills : undefined;
    }, 60_000);
    const rate = await getRate(fleet.reader, {});
    for (const bill of billed) {
      const deal = before.get(bill.args.dealId)!;
      const block = await fleet.chain.public.getBlock({ blockNumber: bill.blockNumber });
      const seconds = block.timestamp - deal.lastBillTime;
      assert.ok(seconds >= 600n);
      assert.equal(bill.args.paidAmount, paymentFor({ price: deal.price, seconds, rate }));
    }
    assert.deepEqual(fleet.linesSince(burst, (l) => l.level === "warn" || l.level === "error"), []);
  } finally {
    await fleet.close();
  }
});
