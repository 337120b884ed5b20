/**
 * Automatic pricing on a real anvil with the real contracts: a crowd of BIDs
 * at known prices sets an `auto` plan's price at their median, the power
 * floor holds the next one up, and each change is logged with its reason.
 */
import assert from "node:assert/strict";
import { closeDeal, getDeal, parseUsdPerHour, placeOrder } from "../src/chain/mod.ts";
import {
  createMarketComponents,
  createMarketReconciler,
  planShare,
  powerFloor,
} from "../src/agent/market/mod.ts";
import { until } from "./_fixtures/agent_rig.ts";
import { collectingLogger, spotCpuPlan, startMarketDevnet } from "./_fixtures/market_rig.ts";

const CROWD = ["0.10", "0.20", "0.30", "0.40", "0.50"];
const POWER = { loadWatts: 1120, pricePerKwh: "1" }; // a quarter of the rig: 0.28 USD/h

const PLAN = spotCpuPlan({
  name: "auto-cpu",
  priceUsdPerHour: "auto",
  autoPrice: { targetQuantile: 0.5, minIntervalSeconds: 1, maxStepPercent: 10 },
});

Deno.test("an auto-priced plan prices at the crowd's median, then moves toward it no lower than the power floor", async () => {
  const rig = await startMarketDevnet("core-auto-price-");
  const { devnet, chain, account, state } = rig;
  const controller = new AbortController();
  let stop = async () => {};
  try {
    const consumer = rig.writer(devnet.consumer.privateKey);
    const bids = new Map<bigint, string>();
    for (const usd of CROWD) {
      const { orderId } = await placeOrder(consumer, {
        type: "BID",
        duration: 0n,
        price: parseUsdPerHour(usd),
      });
      bids.set(orderId, usd);
    }

    const { logs, logger } = collectingLogger();
    const components = await createMarketComponents(
      { chain, account, db: state.db, logger },
      { addresses: devnet.contracts, pollIntervalMs: 100 },
    );
    const reconciler = createMarketReconciler({ ...components, logger }, {
      planned: [],
      autoPriced: {
        plans: [PLAN],
        planning: {
          rig: { threads: 4, gpus: [] },
          benchmarksQuantity: components.parameters.benchmarksQuantity,
        },
        power: POWER,
      },
    });
    stop = () => reconciler.stop();
    reconciler.start({ signal: controller.signal });
    const dealOf = (usd: string) =>
      until(`a deal on the ${usd} BID`, async () => {
        const bidId = [...bids].find(([, p]) => p === usd)![0];
        const deal = [...components.view.ownDeals().values()].find((d) => d.bidId === bidId);
        return deal === undefined
          ? undefined
          : await getDeal(components.market, { dealId: deal.id });
      }, 15_000);

    // first price: the median of the five, and the best BID takes it
    const first = await dealOf("0.50");
    assert.equal(first.price, parseUsdPerHour("0.30"));
    const priced = logs.filter((l) => l.msg === "re-priced plan");
    assert.equal(priced[0]?.reason, "first price");
    assert.equal(priced[0]?.fittingBids, 5);
    assert.equal(priced[0]?.toUsdPerHour, "0.3");

    // the four left have a median of 0.20; the floor (0.28) holds the price up. The
    // re-pricing waits out min_interval (1 s), while the plan's deal runs
    const next = await until(
      "the second price",
      () => Promise.resolve(logs.filter((l) => l.msg === "re-priced plan")[1]),
    );
    assert.equal(next.reason, "toward target");
    assert.equal(next.targetUsdPerHour, next.floorUsdPerHour, "the target is the floor");
    assert.equal(next.fittingBids, 4);
    await closeDeal(consumer, { dealId: first.id });
    const second = await dealOf("0.40");
    const floor = powerFloor({
      ...POWER,
      share: planShare({ cpuCores: 1, gpus: [] }, { threads: 4, gpuCount: 0 }),
    });
    assert.equal(second.price, floor);
    for (const [bidId, usd] of bids) {
      if (usd === "0.10" || usd === "0.20" || usd === "0.30") {
        assert.ok(components.view.book.has(bidId), `the ${usd} BID stands`);
      }
    }
  } finally {
    controller.abort();
    await stop();
    await rig.close();
  }
});
