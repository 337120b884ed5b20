/**
 * The chain actions of the consumer's commands on anvil with the real
 * contracts: the market's other addresses read from the market, a
 * consumer's orders and a deal's bills read back from the logs, and the
 * devnet-only clock and funding.
 */
import assert from "node:assert/strict";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import {
  advanceChainTime,
  bill,
  cancelOrder,
  closeDeal,
  connectChain,
  createMarketClient,
  createTxSender,
  fundDevnetAccount,
  getBills,
  getDeal,
  getMarketAddresses,
  getOrdersOf,
  openDeal,
  parseUsdPerHour,
  placeOrder,
  tokenBalance,
  type WriteMarketClient,
} from "../src/chain/mod.ts";
import { startChainFixture } from "./_fixtures/anvil.ts";

Deno.test("consumer chain actions: addresses, own orders, bills, clock and faucet on the real contracts", async () => {
  await using fx = await startChainFixture();
  const chain = await connectChain({ url: fx.anvil.rpcUrl });
  try {
    const clientFor = (key: `0x${string}`): WriteMarketClient =>
      createMarketClient(chain, {
        addresses: fx.addresses,
        sender: createTxSender(chain, { account: privateKeyToAccount(key) }),
      }) as WriteMarketClient;
    const supplier = clientFor(fx.accounts[1]!.privateKey);
    const consumer = clientFor(fx.accounts[2]!.privateKey);

    // only the market's address is needed
    assert.deepEqual(
      await getMarketAddresses(chain, { market: fx.addresses.market }),
      fx.addresses,
    );
    assert.deepEqual(
      (await getMarketAddresses(chain, {
        market: fx.addresses.market,
        known: { token: fx.addresses.profiles },
      })).token,
      fx.addresses.profiles,
      "a known address is taken as given",
    );

    const price = parseUsdPerHour("0.36");
    const { orderId: ask } = await placeOrder(supplier, { type: "ASK", duration: 0n, price });
    const { orderId: kept } = await placeOrder(consumer, { type: "BID", duration: 0n, price });
    const { orderId: dropped } = await placeOrder(consumer, { type: "BID", duration: 0n, price });
    await cancelOrder(consumer, { orderId: dropped });
    const { dealId } = await openDeal(supplier, { askId: ask, bidId: kept });
    const mine = await getOrdersOf(consumer, { author: consumer.sender.address });
    assert.deepEqual(
      mine.map((o) => [o.id, o.active, o.dealId]),
      [[kept, false, dealId], [dropped, false, 0n]],
    );
    assert.deepEqual(
      (await getOrdersOf(consumer, { author: supplier.sender.address })).map((o) => o.id),
      [ask],
    );

    const before = await fx.now();
    const moved = await advanceChainTime(chain, { seconds: 7200n });
    assert.ok(moved.timestamp >= before + 7200n, `${moved.timestamp} < ${before} + 7200`);
    await bill(supplier, { dealId });
    await closeDeal(consumer, { dealId });
    const bills = await getBills(consumer, { dealIds: [dealId] });
    assert.equal(bills.length, 2);
    const deal = await getDeal(consumer, { dealId });
    assert.equal(bills.reduce((sum, b) => sum + b.paidAmount, 0n), deal?.totalPayout);
    assert.deepEqual(await getBills(consumer, { dealIds: [] }), []);

    const fresh = clientFor(generatePrivateKey());
    await fundDevnetAccount(fresh, { ethWei: 10n ** 18n });
    assert.equal(await chain.public.getBalance({ address: fresh.sender.address }) > 0n, true);
    assert.equal(
      (await tokenBalance(fresh, { who: fresh.sender.address })).balance,
      1000n * 10n ** 18n,
    );
  } finally {
    await chain.close();
  }
});
