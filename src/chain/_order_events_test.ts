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
import { type RawOrder, toOrderState } from "./_market.ts";

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

function randomOrder(r: (n: number) => number): RawOrder {
  const big = (bits: number) => {
    let v = 0n;
    for (let i = 0; i < bits; i += 16) v = (v << 16n) | BigInt(r(65536));
    return v & ((1n << BigInt(bits)) - 1n);
  };
  const address = () =>
    r(3) === 0 ? "0x0000000000000000000000000000000000000000" : getAddress(
      `0x${big(160).toString(16).padStart(40, "0")}`,
    );
  return {
    orderType: 1 + r(2),
    status: 1 + r(2),
    author: address(),
    counterparty: address(),
    duration: big(r(2) === 0 ? 8 : 64),
    price: big(r(2) === 0 ? 16 : 256),
    netflags: Array.from({ length: r(5) }, () => r(2) === 1),
    identityLevel: r(4),
    blacklist: address(),
    tag: `0x${big(256).toString(16).padStart(64, "0")}`,
    benchmarks: Array.from({ length: r(16) }, () => big(r(2) === 0 ? 20 : 64)),
    frozenSum: big(r(2) === 0 ? 0 : 200),
    dealId: big(r(2) === 0 ? 0 : 40),
  };
}

Deno.test("decodeOrderPlaced() agrees with viem's decoder on random orders", () => {
  const r = rng(7);
  for (let i = 0; i < 300; i++) {
    const order = randomOrder(r);
    const orderId = BigInt(1 + r(1_000_000));
    const topics = encodeEventTopics({
      abi: [placed],
      eventName: "OrderPlaced",
      args: { orderId, author: order.author },
    });
    const data = encodeAbiParameters([placed.inputs[2]], [order]);
    const viem = decodeEventLog({ abi: [placed], topics: topics as [Hex, ...Hex[]], data });
    assert.equal(topics[0], ORDER_PLACED_TOPIC);
    assert.deepEqual(
      decodeOrderPlaced(log(topics, data)),
      toOrderState(orderId, viem.args.order),
      `order ${i}`,
    );
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
  const order = randomOrder(rng(3));
  const topics = encodeEventTopics({
    abi: [placed],
    eventName: "OrderPlaced",
    args: { orderId: 1n, author: order.author },
  });
  const data = encodeAbiParameters([placed.inputs[2]], [order]);
  const cases: [Hex, RegExp][] = [
    [`${data}00` as Hex, /data is not a whole number of words/],
    [data.slice(0, 2 + 64 * 10) as Hex, /order\.\w+ is (beyond the data|out of range)/],
    // the tuple offset points past the end
    [`0x${numberToHex(10_000, { size: 32 }).slice(2)}${data.slice(66)}` as Hex, /order .*range/],
    // orderType 7
    [
      `${data.slice(0, 2 + 64)}${numberToHex(7, { size: 32 }).slice(2)}${data.slice(130)}` as Hex,
      /order\.orderType is out of range/,
    ],
  ];
  for (const [bad, message] of cases) {
    assert.throws(() => decodeOrderPlaced(log(topics, bad)), (e: unknown) => {
      assert.ok(e instanceof ChainUnexpectedError);
      assert.match(e.message, message);
      assert.match(e.message, /transaction "0x2222.*" log 3/);
      return true;
    });
  }
});
