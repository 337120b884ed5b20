import assert from "node:assert/strict";
import { assignBids } from "./assign_bids.ts";

/** A small seeded PRNG (mulberry32), so a failure names its seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A market of `rigs` rigs with `plans` free ASKs each, and BIDs that every ASK fits. */
function homogeneous(rigs: number[], bidPrices: bigint[]) {
  let next = 1n;
  const rigAsks = rigs.map((k) => Array.from({ length: k }, () => next++));
  const all = rigAsks.flat();
  const bids = new Map(bidPrices.map((price) => [next++, { price, contenders: all }]));
  const bidIds = [...bids.keys()];
  return { rigAsks, bids, bidIds };
}

Deno.test("assignBids() gives rigs that see one book disjoint BIDs, best price first", () => {
  for (let seed = 1; seed <= 200; seed++) {
    const rnd = prng(seed);
    const rigs = Array.from({ length: 2 + Math.floor(rnd() * 5) }, () => 1 + Math.floor(rnd() * 8));
    const prices = Array.from(
      { length: 1 + Math.floor(rnd() * 30) },
      () => BigInt(1 + Math.floor(rnd() * 3)),
    );
    const { rigAsks, bids, bidIds } = homogeneous(rigs, prices);
    const designated: bigint[] = [];
    rigAsks.forEach((asks, i) => {
      const own = new Map(asks.map((a) => [a, bidIds]));
      const plan = assignBids({ me: `0x${i.toString(16).padStart(40, "0")}`, own, bids });
      for (const tries of plan.tries.values()) designated.push(tries[0]!);
      // what a rig leaves to others is exactly what the others are designated
      for (const [bidId, askId] of plan.deferred) {
        assert.ok(!asks.includes(askId), `seed ${seed}: deferred ${bidId} to our own ASK`);
      }
    });
    const served = Math.min(rigs.reduce((a, b) => a + b, 0), prices.length);
    assert.equal(new Set(designated).size, designated.length, `seed ${seed}: a BID twice`);
    assert.equal(designated.length, served, `seed ${seed}: not every BID or ASK was used`);
    // no BID is passed over for one that pays less
    const lowestServed = designated.map((b) => bids.get(b)!.price).reduce((a, b) => a < b ? a : b);
    const unserved = bidIds.filter((b) => !designated.includes(b));
    for (const b of unserved) assert.ok(bids.get(b)!.price <= lowestServed, `seed ${seed}`);
  }
});

Deno.test("assignBids() spreads the designations: each rig gets BIDs from all over a price level", () => {
  // 5 rigs of 4 ASKs, 20 BIDs at one price: without a spread every rig would want BIDs 21..24
  const { rigAsks, bids, bidIds } = homogeneous([4, 4, 4, 4, 4], Array(20).fill(7n));
  const firstFour = new Set(bidIds.slice(0, 4));
  const rigsInFirstFour = rigAsks.filter((asks, i) => {
    const own = new Map(asks.map((a) => [a, bidIds]));
    const plan = assignBids({ me: `0x${i}`, own, bids });
    return [...plan.tries.values()].some((t) => firstFour.has(t[0]!));
  });
  assert.ok(rigsInFirstFour.length >= 2, "the oldest BIDs went to one rig only");
});

Deno.test("assignBids() leaves an ASK without a designated BID idle, and lets it take open BIDs in its own order", () => {
  // three ASKs of other rigs (1..3), ours (4); three BIDs: ours gets none designated
  const bids = new Map([10n, 11n, 12n].map((id) => [id, { price: 9n, contenders: [1n, 2n, 3n] }]));
  const own = new Map([[4n, [10n, 11n, 12n]]]);
  const quiet = assignBids({ me: "0xaa", own, bids });
  assert.equal(quiet.tries.size, 0);
  assert.equal(quiet.deferred.size, 3);

  // the designated ASKs let the grace pass: every BID is open, tried best price first
  bids.set(13n, { price: 10n, contenders: [1n, 2n, 3n] });
  own.set(4n, [10n, 11n, 12n, 13n]);
  const open = new Set([10n, 11n, 12n, 13n]);
  const a = assignBids({ me: "0xaa", own, bids, open, limit: 10 }).tries.get(4n)!;
  assert.equal(a[0], 13n);
  assert.deepEqual([...a].sort(), [10n, 11n, 12n, 13n]);
  // another rig falls back in another order within the price level (seeded by its address)
  const orders = new Set(
    Array.from(
      { length: 8 },
      (_, i) => assignBids({ me: `0x${i}`, own, bids, open, limit: 10 }).tries.get(4n)!.join(),
    ),
  );
  assert.ok(orders.size > 1, "every address falls back in the same order");
});

Deno.test("assignBids() designates past an idle ASK, and lists at most `limit` BIDs per ASK", () => {
  const bids = new Map([[10n, { price: 9n, contenders: [1n, 2n] }]]);
  const own = new Map([[2n, [10n]]]);
  const idleOther = assignBids({ me: "0xaa", own, bids, idle: new Set([1n]) });
  assert.deepEqual(idleOther.tries.get(2n), [10n]);
  assert.equal(idleOther.deferred.size, 0);

  const many = new Map(
    Array.from({ length: 30 }, (_, i) => [BigInt(100 + i), { price: 1n, contenders: [] }]),
  );
  const plan = assignBids({ me: "0xaa", own: new Map([[1n, [...many.keys()]]]), bids: many });
  assert.equal(plan.tries.get(1n)!.length, 5);
});

Deno.test("assignBids() shares the BIDs past the window by each rig's seeded order", () => {
  const { bids, bidIds } = homogeneous([0], Array(10).fill(3n));
  const tries = (me: string) =>
    assignBids({ me, own: new Map([[99n, bidIds]]), bids, window: 0, limit: 10 }).tries.get(99n)!;
  assert.equal(tries("0x01").length, 10);
  assert.notDeepEqual(tries("0x01"), tries("0x02"));
  assert.deepEqual(tries("0x01"), tries("0x01"));
});
