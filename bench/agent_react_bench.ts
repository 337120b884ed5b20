/**
 * The agent's reaction to a fitting BID, with a big market in its view, on a
 * real anvil with the real contracts; and what an idle agent costs.
 *
 * 1. A market of N orders is placed in bulk by the test-only MarketSeeder
 *    (anvil with the block gas limit lifted): pseudo-random BIDs and ASKs,
 *    priced up to twice the agent's ASK, so that the matcher has thousands
 *    of candidates to reject (the agent's ASK asks identity level 2, which no
 *    seeder has).
 * 2. The agent's components (store, sender, indexer, market view) are built
 *    in-process (the first sync indexes the N orders) and its reconciler
 *    starts. Per round the consumer (level 2) places one fitting BID; the
 *    bench times, on the agent's own RPC traffic, from the `eth_getLogs`
 *    answer that brought the BID to the `eth_sendRawTransaction` of
 *    `openDeal` (the agent's share: decode, store, view, match, estimate,
 *    sign, send). The consumer then closes the deal and the plan's next ASK
 *    goes up for the next round.
 *    The baseline in the same run is one bare RPC round trip (eth_blockNumber)
 *    of the agent's client: the reaction is reported in those too.
 * 3. Before that, a real `sonm-agent` process on the same chain (its own
 *    key and state) syncs the market, idles, and is measured from /proc:
 *    CPU seconds per idle minute and RSS.
 *
 * Writes bench/results/agent_react.json.
 *
 *   deno run -A --v8-flags=--expose-gc bench/agent_react_bench.ts [--quick] [--orders N]
 */
// deno-lint-ignore-file no-console -- a benchmark prints its table
import { dirname, join, resolve } from "node:path";
import { createPublicClient, createWalletClient, http, maxUint256, parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import {
  approveToken,
  closeDeal,
  connectChain,
  createKeystore,
  createMarketClient,
  createTxSender,
  deployContracts,
  parseUsdPerHour,
  placeOrder,
  profileRegistryAbi,
  startAnvil,
  tokenAbi,
  type WriteMarketClient,
} from "../src/chain/mod.ts";
import { createLogger } from "../src/agent/base/mod.ts";
import {
  createMarketComponents,
  createMarketReconciler,
  planAsk,
} from "../src/agent/market/mod.ts";
import { openState } from "../src/agent/state/mod.ts";
import { seedMarket } from "../tests/_fixtures/market_seeder.ts";

const quick = Deno.args.includes("--quick");
const ordersArg = Deno.args.indexOf("--orders");
const ORDERS = ordersArg >= 0 ? Number(Deno.args[ordersArg + 1]) : quick ? 10_000 : 100_000;
const ROUNDS = quick ? 5 : 20;
const IDLE_SECONDS = quick ? 10 : 30;
const HERE = dirname(new URL(import.meta.url).pathname);
const ROOT = resolve(HERE, "..");
const RESULTS = join(HERE, "results");
const ASK_PRICE = parseUsdPerHour("0.30");
const round1 = (x: number) => Math.round(x * 10) / 10;
const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? 0;

/**
 * Times the agent's share of a reaction from its own RPC traffic (the agent
 * talks to 127.0.0.1, everyone else to localhost): the last `eth_getLogs`
 * answer with logs, and the first `eth_sendRawTransaction` after it.
 */
function instrumentAgentRpc() {
  const realFetch = globalThis.fetch;
  let armed = false;
  let logsAt: number | undefined;
  let appliedAt: number | undefined;
  let sentAt: number | undefined;
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    const agent = url.includes("127.0.0.1");
    const body = agent && typeof init?.body === "string" ? init.body : "";
    if (armed && body.includes('"eth_sendRawTransaction"') && logsAt !== undefined) {
      sentAt ??= performance.now();
    }
    const response = await realFetch(input, init);
    if (armed && body.includes('"eth_getLogs"') && sentAt === undefined) {
      const text = await response.clone().text();
      if (text.includes('"topics"')) logsAt = performance.now();
    }
    return response;
  };
  return {
    arm() {
      armed = true;
      logsAt = undefined;
      appliedAt = undefined;
      sentAt = undefined;
    },
    /** Marks the moment the sync's changes reach the market view. */
    applied() {
      if (armed && logsAt !== undefined && sentAt === undefined) appliedAt ??= performance.now();
    },
    /** The last reaction in ms (and its indexer part), once both ends were seen. */
    take(): { total: number; indexer: number } | undefined {
      if (logsAt === undefined || sentAt === undefined) return undefined;
      armed = false;
      return { total: sentAt - logsAt, indexer: (appliedAt ?? sentAt) - logsAt };
    },
    restore() {
      globalThis.fetch = realFetch;
    },
  };
}

async function waitFor<T>(what: string, fn: () => T | undefined, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** utime + stime of a process, in seconds (from /proc/PID/stat). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

async function rssBytes(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kb * 1024;
}

// pruned state history (anvil holds every state in memory otherwise), logs kept for first syncs
const anvil = await startAnvil({
  disableBlockGasLimit: true,
  pruneHistory: true,
  pruneTransactions: false,
});
const dir = await Deno.makeTempDir({ prefix: "core-react-bench-" });
const probe = instrumentAgentRpc();
const figures: Record<string, unknown> = { quick, cores: navigator.hardwareConcurrency };
try {
  const others = anvil.rpcUrl.replace("127.0.0.1", "localhost");
  const transport = http(others);
  const deployerAccount = privateKeyToAccount(anvil.accounts[0]!.privateKey);
  const deployer = createWalletClient({ chain: foundry, transport, account: deployerAccount });
  const pub = createPublicClient({ chain: foundry, transport });
  const addresses = await deployContracts(deployer);

  let t0 = performance.now();
  await seedMarket(deployer, pub, addresses, {
    orders: ORDERS,
    maxPrice: ASK_PRICE * 2n,
    onProgress: (n) => {
      if (n % 100_000 === 0) console.log(`seeded ${n} orders`);
    },
  });
  figures.ordersInMarket = ORDERS;
  figures.marketBuiltWith =
    "MarketSeeder (test-only bulk placeOrder), anvil --disable-block-gas-limit";
  figures.seedSeconds = round1((performance.now() - t0) / 1000);
  console.log(`seeded ${ORDERS} orders in ${figures.seedSeconds} s`);

  // a real agent process: its first sync of the market, then idle (before any deal: a
  // pruned anvil serves no old deal state)
  const { address: idleAddress } = await createKeystore({
    path: join(dir, "idle-key.json"),
    passphrase: "bench",
    kdf: { kdf: "pbkdf2", c: 1000 },
  });
  await pub.request({
    method: "anvil_setBalance" as never,
    params: [idleAddress, `0x${parseEther("10").toString(16)}`] as never,
  });
  await Deno.writeTextFile(join(dir, "idle.pass"), "bench\n");
  const c = addresses;
  await Deno.writeTextFile(
    join(dir, "idle.yaml"),
    `data_dir: ./idle-data
chain:
  rpc_url: ${anvil.rpcUrl}
  chain_id: ${foundry.id}
  contracts: { market: "${c.market}", token: "${c.token}", oracle: "${c.oracle}", blacklist: "${c.blacklist}", profiles: "${c.profiles}" }
keystore: { path: ./idle-key.json, passphrase_file: ./idle.pass }
dashboard: { enabled: false }
plans:
  - name: idle
    price_usd_per_hour: "100"
    resources: { cpu_cores: 1, ram: 512MiB }
`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      join(ROOT, "main.ts"),
      "--config",
      join(dir, "idle.yaml"),
      "--log-format",
      "json",
    ],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  while (!buffer.includes('"agent is ready"')) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`the idle agent stopped before ready:\n${buffer}`);
    buffer += value;
  }
  const drain = (async () => {
    while (!(await lines.read()).done) { /* keep the pipe open */ }
  })();
  await new Promise((r) => setTimeout(r, 3_000)); // its first steps (the ASK) are done
  const cpu0 = await cpuSeconds(child.pid);
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  const cpu1 = await cpuSeconds(child.pid);
  figures.idleSecondsMeasured = IDLE_SECONDS;
  figures.idleCpuSecondsPerMinute = Math.round((cpu1 - cpu0) * (60 / IDLE_SECONDS) * 100) / 100;
  figures.idleRssMB = round1((await rssBytes(child.pid)) / 2 ** 20);
  figures.idleNote = `a sonm-agent process with the ${ORDERS}-order market in its view, ` +
    "indexer polling every second (default)";
  child.kill("SIGINT");
  await child.status;
  await drain;
  console.log(
    `idle agent: ${figures.idleCpuSecondsPerMinute} CPU s per minute, RSS ${figures.idleRssMB} MB`,
  );
  // the consumer: funded, approved, identity level 2
  const consumerChain = await connectChain({ url: others });
  const consumer = createMarketClient(consumerChain, {
    addresses,
    sender: createTxSender(consumerChain, {
      account: privateKeyToAccount(anvil.accounts[1]!.privateKey),
    }),
  }) as WriteMarketClient;
  await pub.waitForTransactionReceipt({
    hash: await deployer.writeContract({
      address: addresses.token,
      abi: tokenAbi,
      functionName: "mint",
      args: [consumer.sender.address, parseEther("1000000")],
    }),
  });
  await pub.waitForTransactionReceipt({
    hash: await deployer.writeContract({
      address: addresses.profiles,
      abi: profileRegistryAbi,
      functionName: "setLevel",
      args: [consumer.sender.address, 2],
    }),
  });
  await approveToken(consumer, { amount: maxUint256 });

  // the agent, in-process, on 127.0.0.1
  const agentAccount = privateKeyToAccount(anvil.accounts[2]!.privateKey);
  const chain = await connectChain({ url: anvil.rpcUrl });
  const state = openState({ path: join(dir, "agent.sqlite") });
  const logger = createLogger({ level: (Deno.env.get("BENCH_LOG") ?? "warn") as "warn" });
  t0 = performance.now();
  const components = await createMarketComponents(
    { chain, account: agentAccount, db: state.db, logger },
    { addresses, pollIntervalMs: 100 },
  );
  figures.agentFirstSyncSeconds = round1((performance.now() - t0) / 1000);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
    figures.heapAfterSyncMB = round1(Deno.memoryUsage().heapUsed / 2 ** 20);
    figures.bookColumnMB = round1(components.view.book.stats().columnBytes / 2 ** 20);
  }
  const stats = components.view.book.stats();
  figures.ordersInView = stats.bids + stats.asks;
  console.log(`agent synced ${figures.ordersInView} orders in ${figures.agentFirstSyncSeconds} s`);
  const planned = planAsk({
    name: "react",
    priceUsdPerHour: "0.30",
    duration: "spot",
    resources: {
      cpuCores: 1,
      ramBytes: 2 ** 30,
      storageBytes: 0,
      gpus: [],
      net: { overlay: false, outbound: false, incoming: false },
    },
    identityLevel: 2,
    counterparty: undefined,
    blacklist: undefined,
    tag: "",
  }, {
    rig: { threads: 1, gpus: [] },
    benchmarksQuantity: components.parameters.benchmarksQuantity,
  });
  const view = components.view;
  const apply = view.apply.bind(view);
  view.apply = (changes, to) => {
    probe.applied();
    return apply(changes, to);
  };
  const reconciler = createMarketReconciler({ ...components, logger }, { planned: [planned] });
  const controller = new AbortController();
  reconciler.start({ signal: controller.signal });

  // the baseline in the same run: one bare RPC round trip of the agent's client
  const roundTrips: number[] = [];
  for (let i = 0; i < 50; i++) {
    const r0 = performance.now();
    await chain.public.getBlockNumber({ cacheTime: 0 });
    roundTrips.push(performance.now() - r0);
  }
  const reactions: number[] = [];
  const indexerParts: number[] = [];
  const matchMs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const ask = await waitFor("the plan's ASK in the view", () => {
      const current = components.planOrders.current()[0];
      return current === undefined ? undefined : components.view.ownAsks().get(current.orderId);
    });
    await reconciler.scheduler.idle();
    const m0 = performance.now();
    components.view.book.matchAsk(ask, { limit: 5 });
    matchMs.push(performance.now() - m0);
    probe.arm();
    const { orderId: bidId } = await placeOrder(consumer, {
      type: "BID",
      duration: 0n,
      price: parseUsdPerHour("0.50"),
    });
    const deal = await waitFor(
      "the deal",
      () => [...components.view.ownDeals().values()].find((d) => d.bidId === bidId),
    );
    const ms = probe.take();
    if (ms !== undefined) {
      reactions.push(ms.total);
      indexerParts.push(ms.indexer);
    }
    await closeDeal(consumer, { dealId: deal.id });
  }
  controller.abort();
  await reconciler.stop();
  state.close();
  await chain.close();
  figures.rounds = reactions.length;
  figures.reactMsMedian = round1(quantile(reactions, 0.5));
  figures.reactMsP99 = round1(quantile(reactions, 0.99));
  figures.reactMsMax = round1(Math.max(...reactions));
  figures.reactIndexerPartMsMedian = round1(quantile(indexerParts, 0.5));
  figures.reactStepsPartMsMedian = round1(
    quantile(reactions.map((r, i) => r - (indexerParts[i] ?? 0)), 0.5),
  );
  figures.matchAskMsMedian = round1(quantile(matchMs, 0.5));
  figures.rpcRoundTripMsMedian = round1(quantile(roundTrips, 0.5));
  figures.reactInRpcRoundTrips = round1(
    quantile(reactions, 0.5) / Math.max(0.01, quantile(roundTrips, 0.5)),
  );
  console.log(
    `reaction (logs received -> openDeal sent): median ${figures.reactMsMedian} ms, p99 ${figures.reactMsP99} ms over ${reactions.length} rounds`,
  );

  await Deno.writeTextFile(
    join(RESULTS, "agent_react.json"),
    JSON.stringify(figures, null, 2) + "\n",
  );
  console.table(figures);
} finally {
  probe.restore();
  await anvil.stop();
  await Deno.remove(dir, { recursive: true });
}
