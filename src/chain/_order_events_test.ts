import assert from "node:assert/strict";
import {
  decodeEventLog,
  encodeAbiParameters,
  encodeEventTopics,
  getAbiItem,
  getAddress,
  type Hex,
  numberToHex,
  type RpcLog,
} from "viem";
import { marketAbi } from "./contracts.ts";
import { ChainUnexpectedError } from "./errors.ts";
import { decodeOrderPlaced, decodeOrderUpdated, ORDER_PLACED_TOPIC } from "./_order_events.ts";
import type { OrderState } from "./types.ts";
import type { IdentityLevel } from "../matcher/mod.ts";

/** A small deterministic generator (xorshift32), so failures replay. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

const placed = getAbiItem({ abi: marketAbi, name: "OrderPlaced" });
const updated = getAbiItem({ abi: marketAbi, name: "OrderUpdated" });

/** encodeEventTopics' topics are plain hex when every indexed arg is given. */
function log(topics: readonly unknown[], data: Hex): RpcLog {
  return {
    address: "0x00000000000000000000000000000000000000aa",
    topics: topics as [Hex, ...Hex[]],
    data,
    blockNumber: "0x1",
    blockHash: `0x${"11".repeat(32)}`,
    transactionHash: `0x${"22".repeat(32)}`,
    transactionIndex: "0x0",
    logIndex: "0x3",
    removed: false,
  };
}

function randomOrder(r: (n: number) => number, id: bigint): OrderState {
  const big = (bits: number) => {
    let v = 0n;
    for (let i = 0; i < bits; i += 16) v = (v << 16n) | BigInt(r(65536));
    return v & ((1n << BigInt(bits)) - 1n);
  };
  const address = () =>
    r(3) === 0
      ? "0x0000000000000000000000000000000000000000"
      : getAddress(`0x${big(160).toString(16).padStart(40, "0")}`);
  return {
    id,
    type: r(2) === 0 ? "BID" : "ASK",
    active: true,
    author: address(),
    counterparty: address(),
    duration: big(r(2) === 0 ? 8 : 64),
    price: big(r(2) === 0 ? 16 : 256),
    netflags: Array.from({ length: r(2) === 0 ? r(4) : r(65) }, () => r(2) === 1),
    identityLevel: r(4) as IdentityLevel,
    blacklist: address(),
    tag: `0x${big(256).toString(16).padStart(64, "0")}`,
    benchmarks: Array.from({ length: r(20) }, () => big(r(2) === 0 ? 20 : 64)),
    frozenSum: big(r(2) === 0 ? 0 : 200),
    dealId: 0n,
  };
}

/** The OrderPlaced log of `o`, packed as Market.sol documents it (an independent encoder). */
function placedLog(o: OrderState): RpcLog {
  let packed = BigInt(o.type === "BID" ? 1 : 2) | BigInt(o.identityLevel) << 8n |
    BigInt(o.netflags.length) << 16n | o.duration << 64n;
  o.netflags.forEach((f, i) => {
    if (f) packed |= 1n << BigInt(128 + i);
  });
  const benchmarks = `0x${
    o.benchmarks.map((b) => b.toString(16).padStart(16, "0")).join("")
  }` as Hex;
  const topics = encodeEventTopics({
    abi: [placed],
    eventName: "OrderPlaced",
    args: { orderId: o.id, author: o.author },
  });
  const data = encodeAbiParameters(placed.inputs.slice(2), [
    packed,
    o.counterparty,
    o.price,
    o.blacklist,
    o.tag,
    o.frozenSum,
    benchmarks,
  ]);
  return log(topics, data);
}

Deno.test("decodeOrderPlaced() reads back random orders, and agrees with viem on the fields", () => {
  const r = rng(7);
  for (let i = 0; i < 300; i++) {
    const order = randomOrder(r, BigInt(1 + r(1_000_000)));
    const l = placedLog(order);
    assert.equal(l.topics[0], ORDER_PLACED_TOPIC);
    const decoded = decodeOrderPlaced(l);
    assert.deepEqual(decoded, order, `order ${i}`);
    const viem = decodeEventLog({
      abi: [placed],
      topics: l.topics as [Hex, ...Hex[]],
      data: l.data,
    });
    assert.equal(viem.args.price, decoded.price);
    assert.equal(viem.args.counterparty, decoded.counterparty);
    assert.equal(viem.args.author, decoded.author);
  }
});

Deno.test("decodeOrderUpdated() reads status, frozenSum and dealId", () => {
  const topics = encodeEventTopics({
    abi: [updated],
    eventName: "OrderUpdated",
    args: { orderId: 9n },
  });
  const data = encodeAbiParameters(updated.inputs.slice(1), [1, 2n ** 200n, 77n]);
  assert.deepEqual(decodeOrderUpdated(log(topics, data)), {
    orderId: 9n,
    status: 1,
    frozenSum: 2n ** 200n,
    dealId: 77n,
  });
});

Deno.test("decodeOrderPlaced() refuses malformed data with the log and field named", () => {
  const good = placedLog(randomOrder(rng(3), 1n));
  const data = good.data;
  const word = (n: number | bigint) => numberToHex(n, { size: 32 }).slice(2);
  const cases: [Hex, RegExp][] = [
    [`${data}00` as Hex, /data is not a whole number of words/],
    [data.slice(0, 2 + 64 * 5) as Hex, /is beyond the data/],
    // the benchmarks offset points past the end
    [`${data.slice(0, 2 + 64 * 6)}${word(10_000)}${data.slice(2 + 64 * 7)}` as Hex, /benchmarks/],
    // orderType 7
    [`0x${word(7)}${data.slice(66)}` as Hex, /packed\.orderType is out of range: 7/],
    // 65 netflags
    [`0x${word(1n | 65n << 16n)}${data.slice(66)}` as Hex, /packed\.netflags has more than 64/],
    // a benchmarks length that is not whole values
    [
      `${data.slice(0, 2 + 64 * 7)}${word(5)}${data.slice(2 + 64 * 8)}` as Hex,
      /not a multiple of 8/,
    ],
  ];
  for (const [bad, message] of cases) {
    assert.throws(() => decodeOrderPlaced({ ...good, data: bad }), (e: unknown) => {
      assert.ok(e instanceof ChainUnexpectedError);
      assert.match(e.message, message);
      assert.match(e.message, /transaction "0x2222.*" log 3/);
      return true;
    });
  }
});
