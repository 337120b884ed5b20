import assert from "node:assert/strict";
import { createMarketViews, explainMatch, type MarketOrder } from "../../matcher/mod.ts";
import { ConfigError } from "../base/mod.ts";
import { parseBidSpec, parseConfig } from "../config/mod.ts";
import { bidOrder } from "./bid_order.ts";
import { planAsk } from "./plan_ask.ts";

const A = "0x00000000000000000000000000000000000000a1";
const B = "0x00000000000000000000000000000000000000b2";

function order(
  id: bigint,
  type: "BID" | "ASK",
  author: `0x${string}`,
  p: ReturnType<typeof bidOrder>,
): MarketOrder {
  return { id, type, active: true, author, ...p };
}

Deno.test("bidOrder() of a BID copied from a plan fits that plan's ASK, and one more core does not", () => {
  const plan = parseConfig(
    `chain: devnet
keystore: { path: k.json, passphrase_env: P }
plans:
  - name: web
    price_usd_per_hour: "0.40"
    resources: { cpu_cores: 1.5, ram: 256MiB, storage: 1GiB, net: { outbound: true, incoming: true } }
    tag: web
`,
  ).plans[0]!;
  const ask = planAsk(plan, { rig: { threads: 4, gpus: [] }, benchmarksQuantity: 15 }).params;
  const bidText = `price_usd_per_hour: "0.40"
resources: { cpu_cores: 1.5, ram: 256MiB, storage: 1GiB, gpus: [], net: { outbound: true, incoming: true } }
tag: web
`;
  const views = createMarketViews({});
  const fits = bidOrder(parseBidSpec(bidText), { benchmarksQuantity: 15 });
  assert.deepEqual(
    explainMatch({ bid: order(1n, "BID", B, fits), ask: order(2n, "ASK", A, ask) }, views),
    {
      matched: true,
    },
  );
  const more = bidOrder(parseBidSpec(bidText.replace("cpu_cores: 1.5", "cpu_cores: 2")), {
    benchmarksQuantity: 15,
  });
  const why = explainMatch(
    { bid: order(1n, "BID", B, more), ask: order(2n, "ASK", A, ask) },
    views,
  );
  assert.ok(!why.matched && why.name === "benchmarks", JSON.stringify(why));
});

Deno.test("bidOrder() takes benchmark minimums by key or id and refuses what the market cannot check", () => {
  const spec = parseBidSpec(
    'price_usd_per_hour: "1"\nbenchmarks: { cpu-sysbench-single: 500, "0": 9000 }\n',
  );
  assert.deepEqual(bidOrder(spec, { benchmarksQuantity: 15 }).benchmarks, [9000n, 500n]);
  assert.throws(
    () =>
      bidOrder(parseBidSpec('price_usd_per_hour: "1"\nbenchmarks: { gpu-fp32-gflops: 1 }\n'), {
        benchmarksQuantity: 15,
      }),
    (e: unknown) =>
      e instanceof ConfigError && e.problems[0]?.path === "benchmarks.gpu-fp32-gflops" &&
      /does not take/.test(e.problems[0].message),
  );
  assert.throws(
    () =>
      bidOrder(parseBidSpec('price_usd_per_hour: "1"\nbenchmarks: { warp-speed: 1 }\n'), {
        benchmarksQuantity: 15,
      }),
    /1 problem found/,
  );
});

Deno.test("parseBidSpec() names each bad field and its value", () => {
  assert.throws(
    () =>
      parseBidSpec(
        'price_usd_per_hour: "-1"\nduration: soon\nresources: { ram: lots }\ncounterparty: "0x1"\ncolour: red\n',
      ),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.problems.map((p) => p.path), [
        "price_usd_per_hour",
        "duration",
        "resources.ram",
        "counterparty",
        "colour",
      ]);
      return true;
    },
  );
});
