/**
 * A fleet of rigs on one market, as a rig owner's Ansible deploys them: one
 * devnet chain (anvil + the real contracts, mining a block every
 * `blockTime` seconds), and several `sonm-agent run` processes pointed at it
 * (`rpc_url`, `chain_id`, `contracts`), each with its own key, plans and
 * state. The demo consumer places bursts of BIDs; what a burst cost is read
 * from the chain (the block of each deal, reverted `openDeal`s, bills) and
 * from the rigs' JSON log lines (lost races, warnings). The multi-rig test
 * and the market burst bench share it; `root` runs another checkout's agent
 * (the bench's baseline).
 *
 * @module
 */
import { join, resolve } from "node:path";
import { parseEventLogs, toFunctionSelector } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  type ChainClient,
  closeDeal,
  connectChain,
  createMarketClient,
  createTxSender,
  getActiveOrders,
  getDeal,
  marketAbi,
  type MarketClient,
  parseUsdPerHour,
  placeOrder,
  type WriteMarketClient,
} from "../../src/chain/mod.ts";
import { createLogger } from "../../src/agent/base/mod.ts";
import { type Devnet, startDevnet } from "../../src/agent/setup/mod.ts";
import { createRigKeystore, rpc, until, writeRigConfig } from "./agent_rig.ts";

const ROOT = resolve(new URL(".", import.meta.url).pathname, "../..");
const OPEN_DEAL = toFunctionSelector("function openDeal(uint256 askId, uint256 bidId)");

/** One JSON log line of an agent. */
export type FleetLogLine = Record<string, unknown> & { level: string; msg: string };

/** One rig of the fleet: its address, folder and running agent's log lines so far. */
export type FleetRig = {
  address: `0x${string}`;
  dir: string;
  lines: FleetLogLine[];
};

/** Options of {@linkcode startFleet}. */
export type StartFleetOptions = {
  /** Temp folder prefix. */
  prefix: string;
  /** Plans per rig (one ASK each). */
  plans: readonly number[];
  /** Seconds between blocks. @default {2} */
  blockTime?: number | undefined;
  /** The plans' price, USD/h. @default {"0.36"} */
  planPrice?: string | undefined;
  /** The checkout whose `main.ts` the rigs run. @default {this one} */
  root?: string | undefined;
};

/** A burst of BIDs, mined. */
export type Burst = {
  bidIds: bigint[];
  /** The block of each BID. */
  bidBlocks: Map<bigint, bigint>;
  /** The first block the burst's BIDs are in. */
  fromBlock: bigint;
  /** Log lines per rig before the burst (to count what it caused). */
  marks: number[];
};

/** What serving a burst took. */
export type ServedBurst = {
  /** BID -> its deal: id, supplier, the block it was opened in. */
  deals: Map<bigint, { dealId: bigint; supplier: string; block: bigint }>;
  /** The most blocks from a BID's block to its deal's block. */
  blocksToServe: number;
  /** Chain seconds from the first BID's block to the last deal's block. */
  secondsToServe: number;
  /** The last block with a deal of the burst. */
  toBlock: bigint;
};

/** A running fleet. */
export type Fleet = {
  devnet: Devnet;
  chain: ChainClient;
  reader: MarketClient;
  /** The devnet's funded consumer (its tx sender pipelines the burst into one block). */
  consumer: WriteMarketClient;
  rigs: FleetRig[];
  /** Waits until every plan's ASK stands on chain. */
  waitAsks(timeoutMs?: number): Promise<void>;
  /** Places `count` spot BIDs at `usdPerHour` right after a block, so that one block holds them. */
  burst(count: number, usdPerHour: string): Promise<Burst>;
  /** Waits until every BID of the burst has a deal. */
  served(burst: Burst, timeoutMs?: number): Promise<ServedBurst>;
  /** Waits until the chain is `blocks` blocks past `block`. */
  waitBlocks(block: bigint, blocks: number): Promise<bigint>;
  /** Mined `openDeal` transactions that reverted, in blocks `from..to`. */
  revertedOpenDeals(from: bigint, to: bigint): Promise<number>;
  /** The lines of every rig since the burst's marks that satisfy `test`. */
  linesSince(burst: Burst, test: (line: FleetLogLine) => boolean): FleetLogLine[];
  /** The consumer closes the deals (their plans are offered again). */
  closeDeals(dealIds: readonly bigint[]): Promise<void>;
  /** Stops the agents and the chain; removes the folders. */
  close(): Promise<void>;
};

type RigProcess = { child: Deno.ChildProcess; reading: Promise<void> };

/**
 * Starts a devnet funding one fresh key per rig, switches it to a block every
 * `blockTime` seconds, and starts one `sonm-agent run` process per rig
 * (dashboard off, logs as JSON, the plans' cached benchmarks absent). Returns
 * once every agent said it is ready.
 */
export async function startFleet(options: StartFleetOptions): Promise<Fleet> {
  const { prefix, plans, blockTime = 2, planPrice = "0.36", root = ROOT } = options;
  const base = await Deno.makeTempDir({ prefix });
  const rigs: FleetRig[] = [];
  const processes: RigProcess[] = [];
  let devnet: Devnet | undefined;
  let chain: ChainClient | undefined;
  const close = async () => {
    for (const p of processes) {
      try {
        p.child.kill("SIGTERM");
      } catch {
        // already gone
      }
    }
    await Promise.all(processes.map(async (p) => {
      await p.child.status;
      await p.reading;
    }));
    await chain?.close();
    await devnet?.stop();
    await Deno.remove(base, { recursive: true }).catch(() => {});
  };
  try {
    for (let i = 0; i < plans.length; i++) {
      const dir = join(base, `rig${i}`);
      await Deno.mkdir(dir);
      rigs.push({ address: await createRigKeystore(dir), dir, lines: [] });
    }
    devnet = await startDevnet({
      logger: createLogger({ level: "error", write: () => {} }),
      fund: rigs.map((r) => r.address),
    });
    await rpc(devnet, "evm_setIntervalMining", [blockTime]);
    chain = await connectChain({ url: devnet.rpcUrl, chainId: devnet.chainId });
    const planYaml = (n: number) =>
      Array.from({ length: n }, (_, k) =>
        `  - name: cpu-${k}
    price_usd_per_hour: "${planPrice}"
    duration: spot
    resources: { cpu_cores: 0.25, ram: 64MiB, storage: 64MiB }
`).join("");
    for (const [i, rig] of rigs.entries()) {
      await writeRigConfig(rig.dir, devnet, `plans:\n${planYaml(plans[i]!)}`);
      processes.push(spawnRig(root, rig));
    }
    await until(
      "every rig ready",
      () => rigs.every((r) => r.lines.some((l) => l.msg === "agent is ready")) ? true : undefined,
      180_000,
    ).catch((error) => {
      throw new Error(`${error.message}:\n${dumpLines(rigs)}`);
    });
  } catch (error) {
    await close();
    throw error;
  }
  const running = devnet;
  const client = chain;
  const reader = createMarketClient(client, { addresses: running.contracts });
  const consumer = createMarketClient(client, {
    addresses: running.contracts,
    sender: createTxSender(client, { account: privateKeyToAccount(running.consumer.privateKey) }),
  }) as WriteMarketClient;
  const head = () => client.public.getBlockNumber({ cacheTime: 0 });
  const totalPlans = plans.reduce((a, b) => a + b, 0);
  const addresses = new Set(rigs.map((r) => r.address.toLowerCase()));

  return {
    devnet: running,
    chain: client,
    reader,
    consumer,
    rigs,
    async waitAsks(timeoutMs = 120_000) {
      await until("every plan's ASK on chain", async () => {
        const asks = (await getActiveOrders(reader)).filter((o) =>
          o.type === "ASK" && addresses.has(o.author.toLowerCase())
        );
        return asks.length === totalPlans ? true : undefined;
      }, timeoutMs).catch((error) => {
        throw new Error(`${error.message}:\n${dumpLines(rigs)}`);
      });
    },
    async burst(count, usdPerHour) {
      const marks = rigs.map((r) => r.lines.length);
      // right after a block: the whole burst reaches the pool before the next one
      const start = await head();
      await until("a new block", async () => (await head()) > start ? true : undefined, 30_000);
      const price = parseUsdPerHour(usdPerHour);
      const placed = await Promise.all(
        Array.from(
          { length: count },
          () => placeOrder(consumer, { type: "BID", duration: 0n, price }),
        ),
      );
      const bidBlocks = new Map(placed.map((p) => [p.orderId, p.receipt.blockNumber]));
      const fromBlock = placed.map((p) => p.receipt.blockNumber).reduce((a, b) => a < b ? a : b);
      return { bidIds: placed.map((p) => p.orderId), bidBlocks, fromBlock, marks };
    },
    async served(burst, timeoutMs = 60_000) {
      const wanted = new Set(burst.bidIds);
      const deals = new Map<bigint, { dealId: bigint; supplier: string; block: bigint }>();
      await until("a deal on every BID of the burst", async () => {
        const logs = await client.public.getLogs({
          address: running.contracts.market,
          fromBlock: burst.fromBlock,
        });
        for (const log of parseEventLogs({ abi: marketAbi, logs, eventName: "DealOpened" })) {
          const dealId = log.args.dealId;
          if ([...deals.values()].some((d) => d.dealId === dealId)) continue;
          const deal = await getDeal(reader, { dealId });
          if (deal === undefined || !wanted.has(deal.bidId)) continue;
          deals.set(deal.bidId, { dealId, supplier: deal.supplier, block: log.blockNumber });
        }
        return deals.size === wanted.size ? true : undefined;
      }, timeoutMs).catch((error) => {
        throw new Error(`${error.message} (${deals.size}/${wanted.size}):\n${dumpLines(rigs)}`);
      });
      let blocksToServe = 0;
      let toBlock = burst.fromBlock;
      for (const [bidId, d] of deals) {
        blocksToServe = Math.max(blocksToServe, Number(d.block - burst.bidBlocks.get(bidId)!));
        if (d.block > toBlock) toBlock = d.block;
      }
      const [first, last] = await Promise.all([
        client.public.getBlock({ blockNumber: burst.fromBlock }),
        client.public.getBlock({ blockNumber: toBlock }),
      ]);
      return {
        deals,
        blocksToServe,
        secondsToServe: Number(last.timestamp - first.timestamp),
        toBlock,
      };
    },
    async waitBlocks(block, blocks) {
      return await until(
        `block ${block + BigInt(blocks)}`,
        async () => {
          const now = await head();
          return now >= block + BigInt(blocks) ? now : undefined;
        },
        60_000,
      );
    },
    async revertedOpenDeals(from, to) {
      let reverted = 0;
      for (let n = from; n <= to; n++) {
        const block = await client.public.getBlock({ blockNumber: n, includeTransactions: true });
        for (const tx of block.transactions) {
          if (tx.to?.toLowerCase() !== running.contracts.market.toLowerCase()) continue;
          if (!tx.input.startsWith(OPEN_DEAL)) continue;
          const receipt = await client.public.getTransactionReceipt({ hash: tx.hash });
          if (receipt.status !== "success") reverted++;
        }
      }
      return reverted;
    },
    linesSince(burst, test) {
      return rigs.flatMap((r, i) => r.lines.slice(burst.marks[i] ?? 0).filter(test));
    },
    async closeDeals(dealIds) {
      await Promise.all(dealIds.map((dealId) => closeDeal(consumer, { dealId })));
    },
    close,
  };
}

/** Starts `deno run -A <root>/main.ts run` in the rig's folder; its stderr lines go to `rig.lines`. */
function spawnRig(root: string, rig: FleetRig): RigProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      join(root, "main.ts"),
      "run",
      "--config",
      "rig.yaml",
      "--log-format",
      "json",
    ],
    cwd: rig.dir,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reading = (async () => {
    let buffer = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      const parts = buffer.split("\n");
      buffer = parts.pop() ?? "";
      for (const part of parts) {
        try {
          rig.lines.push(JSON.parse(part) as FleetLogLine);
        } catch {
          rig.lines.push({ level: "text", msg: part });
        }
      }
    }
  })();
  return { child, reading };
}

function dumpLines(rigs: readonly FleetRig[]): string {
  return rigs.map((r, i) =>
    `--- rig ${i} (${r.address})\n` + r.lines.slice(-40).map((l) => JSON.stringify(l)).join("\n")
  ).join("\n");
}
