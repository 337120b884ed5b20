/**
 * Gas used by the market's transactions, read from real receipts on anvil with
 * the real compiled contracts: placeOrder (ASK, forward BID, spot BID, with 13
 * benchmarks and 3 netflags), openDeal, bill, closeDeal, cancelOrder, quickBuy
 * and an applied change request. Also the round trip of one transaction
 * (estimate + send + receipt) from viem, in milliseconds. Writes
 * bench/results/contracts_gas.json and prints a table.
 *
 *   deno run -A bench/contracts_gas_bench.ts [--quick]
 */
// deno-lint-ignore-file no-console -- a benchmark prints its table
import { dirname, join } from "node:path";
import {
  type Abi,
  createPublicClient,
  createTestClient,
  createWalletClient,
  http,
  maxUint256,
  parseEventLogs,
  type TransactionReceipt,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { marketAbi, tokenAbi } from "../src/chain/contracts.ts";
import { deployContracts } from "../src/chain/deploy_contracts.ts";
import { startAnvil } from "../src/chain/start_anvil.ts";

const quick = Deno.args.includes("--quick");
const samples = quick ? 3 : 25;
const RESULTS = join(dirname(new URL(import.meta.url).pathname), "results");
const BENCHMARKS = [
  1_500n,
  900n,
  16n,
  64n * 2n ** 30n,
  2n ** 40n,
  10n ** 9n,
  10n ** 9n,
  8n,
  80n * 2n ** 30n,
  10n ** 8n,
  0n,
  0n,
  3_000n,
];
const NETFLAGS = [true, true, false];
const PRICE = 277_777_777_777_778n;
const ZERO = "0x0000000000000000000000000000000000000000";
const TAG = `0x${"00".repeat(32)}` as const;

type Op =
  | "placeOrder ASK"
  | "placeOrder BID (1 day)"
  | "placeOrder BID (spot)"
  | "openDeal"
  | "bill"
  | "closeDeal"
  | "cancelOrder BID"
  | "quickBuy"
  | "createChangeRequest (applies)";

async function main(): Promise<void> {
  const anvil = await startAnvil({ pruneHistory: true });
  try {
    const transport = http(anvil.rpcUrl);
    const publicClient = createPublicClient({ chain: foundry, transport, pollingInterval: 10 });
    const testClient = createTestClient({ chain: foundry, mode: "anvil", transport });
    const [a0, a1, a2] = anvil.accounts;
    if (a0 === undefined || a1 === undefined || a2 === undefined) throw new Error("no accounts");
    const wallet = (pk: `0x${string}`) =>
      createWalletClient({
        account: privateKeyToAccount(pk),
        chain: foundry,
        transport,
        pollingInterval: 10,
      });
    const deployer = wallet(a0.privateKey);
    const supplier = wallet(a1.privateKey);
    const consumer = wallet(a2.privateKey);
    const addresses = await deployContracts(deployer);

    const gas = new Map<Op, bigint[]>();
    const latency: number[] = [];
    const send = async (
      client: typeof supplier,
      address: `0x${string}`,
      abi: Abi,
      functionName: string,
      args: readonly unknown[],
      op?: Op,
    ): Promise<TransactionReceipt> => {
      const started = performance.now();
      const hash = await client.writeContract({ address, abi, functionName, args } as never);
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      latency.push(performance.now() - started);
      if (receipt.status !== "success") throw new Error(`${functionName} reverted`);
      if (op !== undefined) gas.set(op, [...(gas.get(op) ?? []), receipt.gasUsed]);
      return receipt;
    };
    const market = (client: typeof supplier, fn: string, args: readonly unknown[], op?: Op) =>
      send(client, addresses.market, marketAbi as unknown as Abi, fn, args, op);
    const eventArg = (receipt: TransactionReceipt, eventName: "OrderPlaced" | "DealOpened") => {
      const [event] = parseEventLogs({ abi: marketAbi, logs: receipt.logs, eventName });
      if (event === undefined) throw new Error(`no ${eventName}`);
      return "orderId" in event.args ? event.args.orderId : event.args.dealId;
    };
    const order = (type: 1 | 2, duration: bigint) =>
      [type, ZERO, duration, PRICE, NETFLAGS, 0, ZERO, TAG, BENCHMARKS] as const;

    await send(deployer, addresses.token, tokenAbi, "mint", [a2.address, 10n ** 27n]);
    await send(consumer, addresses.token, tokenAbi, "approve", [addresses.market, maxUint256]);

    for (let i = 0; i < samples; i++) {
      const ask = eventArg(
        await market(supplier, "placeOrder", order(2, 7n * 86_400n), "placeOrder ASK"),
        "OrderPlaced",
      );
      const bid = eventArg(
        await market(consumer, "placeOrder", order(1, 3n * 86_400n), "placeOrder BID (1 day)"),
        "OrderPlaced",
      );
      const deal = eventArg(
        await market(supplier, "openDeal", [ask, bid], "openDeal"),
        "DealOpened",
      );
      await testClient.increaseTime({ seconds: 5_000 });
      await market(supplier, "bill", [deal], "bill");
      await testClient.increaseTime({ seconds: 100 });
      await market(consumer, "createChangeRequest", [deal, PRICE / 2n, 2n * 86_400n]);
      await market(
        supplier,
        "createChangeRequest",
        [deal, PRICE / 2n, 2n * 86_400n],
        "createChangeRequest (applies)",
      );
      await testClient.increaseTime({ seconds: 100 });
      await market(consumer, "closeDeal", [deal, false], "closeDeal");

      const spot = eventArg(
        await market(consumer, "placeOrder", order(1, 0n), "placeOrder BID (spot)"),
        "OrderPlaced",
      );
      await market(consumer, "cancelOrder", [spot], "cancelOrder BID");
      const ask2 = eventArg(await market(supplier, "placeOrder", order(2, 0n)), "OrderPlaced");
      await market(consumer, "quickBuy", [ask2, 0n], "quickBuy");
    }

    const rows = [...gas.entries()].map(([op, values]) => {
      const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      return {
        op,
        n: sorted.length,
        min: Number(sorted[0]),
        median: Number(sorted[Math.floor(sorted.length / 2)]),
        max: Number(sorted[sorted.length - 1]),
      };
    });
    latency.sort((a, b) => a - b);
    const txLatencyMs = {
      n: latency.length,
      median: round(latency[Math.floor(latency.length / 2)] ?? 0),
      p95: round(latency[Math.floor(latency.length * 0.95)] ?? 0),
    };
    const result = {
      name: "contracts_gas",
      date: new Date().toISOString(),
      quick,
      samples,
      setup: {
        benchmarks: BENCHMARKS.length,
        netflags: NETFLAGS.length,
        compiler: "solc 0.8.37 viaIR, optimizer 200 runs",
      },
      gas: Object.fromEntries(rows.map(({ op, ...r }) => [op, r])),
      txLatencyMs,
    };
    await Deno.mkdir(RESULTS, { recursive: true });
    await Deno.writeTextFile(
      join(RESULTS, "contracts_gas.json"),
      JSON.stringify(result, null, 2) + "\n",
    );
    console.table(Object.fromEntries(rows.map(({ op, ...r }) => [op, r])));
    console.log(
      `tx round trip (estimate + send + receipt, anvil automine): median ${txLatencyMs.median} ms, p95 ${txLatencyMs.p95} ms over ${txLatencyMs.n} txs`,
    );
  } finally {
    await anvil.stop();
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

if (import.meta.main) {
  await main();
}
