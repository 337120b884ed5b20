import assert from "node:assert/strict";
import {
  type AutoPriceInput,
  decideAutoPrice,
  DEFAULT_AUTO_PRICE,
  priceQuantile,
} from "./auto_price.ts";

const base: AutoPriceInput = {
  current: 1000n,
  lastChangeAt: 0,
  now: 600_000,
  floor: 0n,
  bidPrices: [],
  settings: DEFAULT_AUTO_PRICE,
};

Deno.test("priceQuantile() takes the nearest rank of the sorted prices", () => {
  const prices = [10n, 40n, 20n, 30n];
  assert.equal(priceQuantile(prices, 0.25), 10n);
  assert.equal(priceQuantile(prices, 0.5), 20n);
  assert.equal(priceQuantile(prices, 0.51), 30n);
  assert.equal(priceQuantile(prices, 1), 40n);
  assert.equal(priceQuantile(prices, 0.0001), 10n);
  assert.equal(priceQuantile([], 0.5), undefined);
});

Deno.test("decideAutoPrice() sets the first price at the target, at least the floor", () => {
  const first = decideAutoPrice({ ...base, current: undefined, bidPrices: [500n, 700n, 900n] });
  assert.deepEqual([first.price, first.changed, first.reason], [700n, true, "first price"]);
  const floored = decideAutoPrice({
    ...base,
    current: undefined,
    floor: 800n,
    bidPrices: [500n, 700n, 900n],
  });
  assert.equal(floored.price, 800n);
  const none = decideAutoPrice({ ...base, current: undefined });
  assert.deepEqual([none.price, none.changed], [undefined, false]);
});

Deno.test("decideAutoPrice() moves at most max_step_percent toward the target", () => {
  const up = decideAutoPrice({ ...base, bidPrices: [5000n] });
  assert.deepEqual([up.price, up.reason, up.target], [1100n, "toward target, step capped", 5000n]);
  const down = decideAutoPrice({ ...base, bidPrices: [10n] });
  assert.equal(down.price, 900n);
  const near = decideAutoPrice({ ...base, bidPrices: [1050n] });
  assert.deepEqual([near.price, near.reason], [1050n, "toward target"]);
  const custom = decideAutoPrice({
    ...base,
    bidPrices: [5000n],
    settings: { ...DEFAULT_AUTO_PRICE, maxStepPercent: 2.5 },
  });
  assert.equal(custom.price, 1025n);
});

Deno.test("decideAutoPrice() waits out the minimum interval and says until when", () => {
  const early = decideAutoPrice({ ...base, now: 599_999, bidPrices: [5000n] });
  assert.deepEqual([early.price, early.changed, early.reason], [1000n, false, "minimum interval"]);
  assert.equal(early.nextAllowedAt, 600_000);
  const unknownLast = decideAutoPrice({
    ...base,
    lastChangeAt: undefined,
    now: 1,
    bidPrices: [5000n],
  });
  assert.equal(unknownLast.changed, true, "a restart may re-price at once (within the step)");
});

Deno.test("decideAutoPrice() never goes below the power floor", () => {
  const held = decideAutoPrice({ ...base, floor: 950n, bidPrices: [10n] });
  assert.deepEqual([held.price, held.target], [950n, 950n]);
  const raised = decideAutoPrice({ ...base, now: 1, floor: 2000n, bidPrices: [10n] });
  assert.deepEqual([raised.price, raised.reason], [2000n, "below the power floor"]);
});

Deno.test("decideAutoPrice() holds without fitting BIDs and at target", () => {
  const idle = decideAutoPrice({ ...base });
  assert.deepEqual([idle.price, idle.changed], [1000n, false]);
  const at = decideAutoPrice({ ...base, bidPrices: [1000n] });
  assert.deepEqual([at.changed, at.reason], [false, "at target"]);
});

Deno.test("decideAutoPrice() steps by at least one unit on a tiny price", () => {
  const tiny = decideAutoPrice({ ...base, current: 3n, bidPrices: [100n] });
  assert.equal(tiny.price, 4n);
});
