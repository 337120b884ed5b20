/**
 * Random sequences of market operations (orders, deals, bills, closes, change
 * requests, oracle rate changes, time jumps, revoked allowances) with the
 * money invariants checked along the way:
 * - tokens are conserved: the participants' and the market's balances sum to
 *   what was minted;
 * - the market is exactly solvent: its balance is the sum of the active BIDs'
 *   locks plus the open deals' locks;
 * - a deal's totalPayout is the sum of its Billed events; closed deals lock
 *   nothing and inactive orders hold nothing.
 */
import assert from "node:assert/strict";
import { BaseError, ContractFunctionRevertedError, parseEventLogs } from "viem";
import { marketAbi, oracleAbi, tokenAbi } from "../src/chain/contracts.ts";
import {
  type ChainFixture,
  type DealStruct,
  type FixtureAccount,
  type OrderStruct,
  placeOrder,
  startChainFixture,
} from "./_fixtures/anvil.ts";
import { prng } from "./_fixtures/prng.ts";

const SEED = 424_242;
const STEPS = 160;

type Order = OrderStruct;
type Deal = DealStruct;

/** Runs a market call; an expected-looking revert (a custom error) is returned, not thrown. */
async function attempt(
  fx: ChainFixture,
  from: FixtureAccount,
  fn: string,
  args: readonly unknown[],
): Promise<{ ok: true; logs: readonly unknown[] } | { ok: false; errorName: string }> {
  try {
    const receipt = await fx.market(from, fn, args);
    return { ok: true, logs: receipt.logs };
  } catch (error) {
    const reverted = error instanceof BaseError
      ? error.walk((e) => e instanceof ContractFunctionRevertedError)
      : undefined;
    if (reverted instanceof ContractFunctionRevertedError && reverted.data !== undefined) {
      return { ok: false, errorName: reverted.data.errorName };
    }
    throw error;
  }
}

Deno.test("Market keeps tokens conserved and itself exactly solvent under random operations", async (t) => {
  await using fx = await startChainFixture({ tokensPerAccount: 10n ** 21n });
  const random = prng(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const [deployer, s1, s2, c1, c2, master] = fx.accounts;
  assert.ok(deployer && s1 && s2 && c1 && c2 && master);
  const people = [s1, s2, c1, c2, master];
  const byAddress = new Map(fx.accounts.map((a) => [a.address, a]));

  await fx.step(t, `${STEPS} random operations (seed ${SEED})`, async () => {
    // each block 1 s after the last, whatever the wall clock does: a call that passes gas
    // estimation cannot then revert because a second ticked by (a deal ending, a bill growing)
    await fx.testClient.setBlockTimestampInterval({ interval: 1 });
    await fx.market(s2, "registerWorker", [master.address]);
    await fx.market(master, "confirmWorker", [s2.address]);
    const total = async () => {
      let sum = await fx.balance(fx.addresses.market);
      for (const p of people) sum += await fx.balance(p.address);
      return sum;
    };
    const minted = await total();
    const orderIds: bigint[] = [];
    const dealIds: bigint[] = [];
    const billedSum = new Map<bigint, bigint>();
    const counts = new Map<string, number>();
    const count = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

    const recordBilled = (logs: readonly unknown[]) => {
      for (
        const e of parseEventLogs({ abi: marketAbi, logs: logs as never, eventName: "Billed" })
      ) {
        const id = e.args.dealId;
        billedSum.set(id, (billedSum.get(id) ?? 0n) + e.args.paidAmount);
      }
      for (
        const e of parseEventLogs({ abi: marketAbi, logs: logs as never, eventName: "DealOpened" })
      ) {
        dealIds.push(e.args.dealId);
      }
    };

    const checkInvariants = async (when: string) => {
      assert.equal(await total(), minted, `${when}: tokens conserved`);
      let locked = 0n;
      for (const id of orderIds) {
        const o = await fx.read<Order>("getOrder", [id]);
        if (o.status === 2) locked += o.frozenSum;
        else assert.equal(o.frozenSum, 0n, `${when}: inactive order ${id} holds nothing`);
      }
      for (const id of dealIds) {
        const d = await fx.read<Deal>("getDeal", [id]);
        if (d.status === 1) locked += d.blockedBalance;
        else assert.equal(d.blockedBalance, 0n, `${when}: closed deal ${id} locks nothing`);
        assert.equal(d.totalPayout, billedSum.get(id) ?? 0n, `${when}: deal ${id} payout`);
      }
      assert.equal(await fx.balance(fx.addresses.market), locked, `${when}: market solvent`);
    };

    for (let step = 0; step < STEPS; step++) {
      const op = pick([
        "ask",
        "ask",
        "bid",
        "bid",
        "open",
        "open",
        "bill",
        "bill",
        "close",
        "change",
        "cancel",
        "rate",
        "time",
        "time",
        "allowance",
      ]);
      const openDeals = async () => {
        const open: bigint[] = [];
        for (const id of dealIds) {
          if ((await fx.read<Deal>("getDeal", [id])).status === 1) open.push(id);
        }
        return open;
      };
      switch (op) {
        case "ask": {
          orderIds.push(
            await placeOrder(fx, pick([s1, s2]), {
              orderType: 2,
              duration: pick([0n, 3_600n, 86_400n, 200_000n]),
              price: pick([10n ** 12n, 3n * 10n ** 14n, 10n ** 15n + 7n]),
            }),
          );
          count("ask");
          break;
        }
        case "bid": {
          const consumer = pick([c1, c2]);
          const r = await attempt(fx, consumer, "placeOrder", [
            1,
            "0x0000000000000000000000000000000000000000",
            pick([0n, 3_600n, 86_400n, 150_000n]),
            pick([10n ** 12n, 5n * 10n ** 14n, 2n * 10n ** 15n]),
            [],
            0,
            "0x0000000000000000000000000000000000000000",
            `0x${"00".repeat(32)}`,
            [],
          ]);
          if (r.ok) {
            const [placed] = parseEventLogs({
              abi: marketAbi,
              logs: r.logs as never,
              eventName: "OrderPlaced",
            });
            orderIds.push(placed!.args.orderId);
          }
          count(r.ok ? "bid" : `bid:${r.errorName}`);
          break;
        }
        case "open": {
          const active: { id: bigint; o: Order }[] = [];
          for (const id of orderIds) {
            const o = await fx.read<Order>("getOrder", [id]);
            if (o.status === 2) active.push({ id, o });
          }
          const asks = active.filter((x) => x.o.orderType === 2);
          if (asks.length === 0) break;
          const ask = pick(asks);
          // Mostly a pair that passes rule 4, sometimes any pair.
          const fitting = active.filter((x) =>
            x.o.orderType === 1 && x.o.price >= ask.o.price && x.o.duration <= ask.o.duration
          );
          const bids = random() < 0.8 && fitting.length > 0
            ? fitting
            : active.filter((x) => x.o.orderType === 1);
          if (bids.length === 0) break;
          const r = await attempt(fx, pick(people), "openDeal", [ask.id, pick(bids).id]);
          if (r.ok) recordBilled(r.logs);
          count(r.ok ? "open" : `open:${r.errorName}`);
          break;
        }
        case "bill": {
          const open = await openDeals();
          if (open.length === 0) break;
          const r = await attempt(fx, pick(people), "bill", [pick(open)]);
          if (r.ok) recordBilled(r.logs);
          count(r.ok ? "bill" : `bill:${r.errorName}`);
          break;
        }
        case "close": {
          const open = await openDeals();
          if (open.length === 0) break;
          const id = pick(open);
          const d = await fx.read<Deal>("getDeal", [id]);
          const closer = byAddress.get(pick([d.consumer, d.supplier, d.master]))!;
          const r = await attempt(fx, closer, "closeDeal", [id, random() < 0.2]);
          if (r.ok) recordBilled(r.logs);
          count(r.ok ? "close" : `close:${r.errorName}`);
          break;
        }
        case "change": {
          const open = await openDeals();
          if (open.length === 0) break;
          const id = pick(open);
          const d = await fx.read<Deal>("getDeal", [id]);
          const newPrice = pick([d.price, d.price / 2n, d.price * 2n]);
          const newDuration = d.duration === 0n ? 0n : pick([d.duration, d.duration + 3_600n]);
          for (const from of [d.consumer, d.master]) {
            const r = await attempt(fx, byAddress.get(from)!, "createChangeRequest", [
              id,
              newPrice,
              newDuration,
            ]);
            if (r.ok) recordBilled(r.logs);
            count(r.ok ? "change" : `change:${r.errorName}`);
          }
          break;
        }
        case "cancel": {
          const active: { id: bigint; o: Order }[] = [];
          for (const id of orderIds) {
            const o = await fx.read<Order>("getOrder", [id]);
            if (o.status === 2) active.push({ id, o });
          }
          if (active.length === 0) break;
          const { id, o } = pick(active);
          await fx.market(byAddress.get(o.author)!, "cancelOrder", [id]);
          count("cancel");
          break;
        }
        case "rate": {
          await fx.send(deployer, {
            address: fx.addresses.oracle,
            abi: oracleAbi,
            functionName: "setRate",
            args: [pick([5n * 10n ** 17n, 10n ** 18n, 3n * 10n ** 18n + 1n])],
          });
          count("rate");
          break;
        }
        case "time": {
          // with a fixed block interval, time jumps by naming the next block's timestamp
          const seconds = BigInt(pick([1, 600, 3_599, 20_000, 90_000]));
          await fx.setNextTimestamp((await fx.now()) + seconds);
          await fx.testClient.mine({ blocks: 1 });
          count("time");
          break;
        }
        case "allowance": {
          const consumer = pick([c1, c2]);
          await fx.send(consumer, {
            address: fx.addresses.token,
            abi: tokenAbi,
            functionName: "approve",
            args: [fx.addresses.market, random() < 0.25 ? 0n : 2n ** 255n],
          });
          count("allowance");
          break;
        }
      }
      if (step % 8 === 7) await checkInvariants(`after step ${step} (${op})`);
    }
    await checkInvariants("at the end");
    // The sequence must have exercised the interesting paths.
    for (const key of ["open", "bill", "close", "change", "rate", "allowance"]) {
      assert.ok((counts.get(key) ?? 0) > 0, `no successful ${key}: ${JSON.stringify([...counts])}`);
    }
    assert.ok(dealIds.length >= 5, `only ${dealIds.length} deals opened`);
  });
});
