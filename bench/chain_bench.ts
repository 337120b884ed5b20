/**
 * The chain layer's figures on a real anvil with the real compiled contracts:
 * the tx sender (one send's round trip: estimate + sign + send + receipt, and
 * the throughput of concurrent sends from one account), the event indexer
 * (a full index of N placed orders with their state reads, and the lag of an
 * incremental sync), the sqlite store's order-book query, and unlocking a
 * keystore with geth's standard scrypt settings. Writes
 * bench/results/chain.json and prints a table.
 *
 *   deno run -A bench/chain_bench.ts [--quick]
 */
// deno-lint-ignore-file no-console -- a benchmark prints its table
import { dirname, join } from "node:path";
import { createWalletClient, http, maxUint256 } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import {
  approveToken,
  connectChain,
  createIndexer,
  createMarketClient,
  createTxSender,
  decryptKeystore,
  deployContracts,
  encryptKeystore,
  placeOrder,
  startAnvil,
  tokenAbi,
  type WriteMarketClient,
} from "../src/chain/mod.ts";
import { openState } from "../src/agent/state/state.ts";
import { createChainStore } from "../src/agent/state/chain_store.ts";

const quick = Deno.args.includes("--quick");
const ORDERS = quick ? 40 : 400;
const SENDS = quick ? 20 : 200;
const RESULTS = join(dirname(new URL(import.meta.url).pathname), "results");
const ms = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const anvil = await startAnvil();
const dir = await Deno.makeTempDir({ prefix: "chain_bench_" });
try {
  const deployer = createWalletClient({
    chain: foundry,
    transport: http(anvil.rpcUrl),
    account: privateKeyToAccount(anvil.accounts[0]!.privateKey),
  });
  const addresses = await deployContracts(deployer);
  const chain = await connectChain({ url: anvil.rpcUrl });
  const client = (i: number): WriteMarketClient =>
    createMarketClient(chain, {
      addresses,
      sender: createTxSender(chain, {
        account: privateKeyToAccount(anvil.accounts[i]!.privateKey),
      }),
    }) as WriteMarketClient;
  const supplier = client(1);
  const consumer = client(2);
  await deployer.writeContract({
    address: addresses.token,
    abi: tokenAbi,
    functionName: "mint",
    args: [consumer.sender.address, 10n ** 27n],
  });
  await approveToken(consumer, { amount: maxUint256 });

  // one send at a time: the round trip
  const single: number[] = [];
  for (let i = 0; i < (quick ? 5 : 30); i++) {
    const t0 = performance.now();
    await supplier.sender.sendTransaction({ to: anvil.accounts[9]!.address, value: 1n });
    single.push(performance.now() - t0);
  }
  // concurrent sends from one account
  const t1 = performance.now();
  await Promise.all(
    Array.from(
      { length: SENDS },
      () => supplier.sender.sendTransaction({ to: anvil.accounts[9]!.address, value: 1n }),
    ),
  );
  const concurrentMs = ms(t1);

  // N orders, half ASK, half BID (a BID also moves tokens)
  const t2 = performance.now();
  await Promise.all(
    Array.from({ length: ORDERS }, (_, i) =>
      i % 2 === 0
        ? placeOrder(supplier, {
          type: "ASK",
          duration: 3600n,
          price: 1000n + BigInt(i),
          benchmarks: [1n, 2n, 3n],
        })
        : placeOrder(consumer, { type: "BID", duration: 3600n, price: 900n, netflags: [true] })),
  );
  const placeMs = ms(t2);

  const state = openState({ path: `${dir}/state.db` });
  const store = createChainStore(state.db);
  const indexer = createIndexer(createMarketClient(chain, { addresses }), {
    store,
    batchSize: 500n,
  });
  const t3 = performance.now();
  const full = await indexer.syncOnce();
  const fullMs = ms(t3);

  const lags: number[] = [];
  for (let i = 0; i < (quick ? 3 : 10); i++) {
    await placeOrder(supplier, { type: "ASK", duration: 0n, price: 5n });
    const t = performance.now();
    await indexer.syncOnce();
    lags.push(performance.now() - t);
  }
  const t4 = performance.now();
  const book = indexer.activeOrders();
  const bookMs = ms(t4);

  const ks = await encryptKeystore(anvil.accounts[1]!.privateKey, { passphrase: "bench" });
  const t5 = performance.now();
  await decryptKeystore(ks, { passphrase: "bench" });
  const unlockMs = ms(t5);
  state.close();

  const figures = {
    quick,
    cores: navigator.hardwareConcurrency,
    sendRoundTripMsMedian: Math.round(median(single) * 10) / 10,
    concurrentSends: SENDS,
    concurrentSendsPerSecond: Math.round(SENDS / (concurrentMs / 1000)),
    ordersPlaced: ORDERS,
    placeOrdersPerSecond: Math.round(ORDERS / (placeMs / 1000)),
    indexedBlocks: Number(full.indexedTo ?? 0n),
    indexedEvents: full.events,
    fullIndexMs: fullMs,
    indexedEventsPerSecond: Math.round(full.events / (fullMs / 1000)),
    incrementalSyncMsMedian: Math.round(median(lags) * 10) / 10,
    activeOrders: book.length,
    activeOrdersQueryMs: bookMs,
    keystoreUnlockScryptMs: unlockMs,
  };
  await Deno.mkdir(RESULTS, { recursive: true });
  await Deno.writeTextFile(join(RESULTS, "chain.json"), JSON.stringify(figures, null, 2) + "\n");
  console.table(figures);
} finally {
  await anvil.stop();
  await Deno.remove(dir, { recursive: true });
}
