/**
 * Many rigs, one market: how fast a fleet of rigs serves a burst of BIDs,
 * and how often its rigs race each other for one BID.
 *
 * Five real `sonm-agent run` processes (5, 5, 5, 5 and 4 identical spot
 * plans: 24 free plans) trade on one devnet chain that mines a block every
 * 2 s (tests/_fixtures/rig_fleet.ts). The consumer places 20 BIDs in one
 * block; the bench waits until each has a deal, lets two more blocks pass
 * (the rigs' last tries), closes the deals, waits for the plans' ASKs, and
 * bursts again. Per burst:
 * - blocks to serve: the most blocks from a BID's block to its deal's;
 * - seconds to serve: chain seconds from the BIDs' block to the last deal's;
 * - lost races per BID: the rigs' "lost the race for a BID" lines (a try
 *   that found the BID taken, at estimation or mined) over the BIDs;
 * - reverted openDeals: mined `openDeal` transactions that reverted.
 *
 * Before/after in one run: the fleet first runs a baseline checkout (`git
 * archive` of `--baseline`, by default the last commit before pipelined
 * deals and the designation), then this checkout, on a fresh chain each.
 *
 * Writes bench/results/market_burst.json.
 *
 *   deno run -A bench/market_burst_bench.ts [--quick] [--bursts N] [--baseline REV|none]
 */
// deno-lint-ignore-file no-console -- a benchmark prints its table
import { dirname, join, resolve } from "node:path";
import { startFleet } from "../tests/_fixtures/rig_fleet.ts";

const HERE = dirname(new URL(import.meta.url).pathname);
const ROOT = resolve(HERE, "..");
const RESULTS = join(HERE, "results");
/** The last commit whose rigs sent one openDeal per block and all took the best BID first. */
const BEFORE_PIPELINING = "cad012dec51bee9679083387126a47a378141e3f";

const args = [...Deno.args];
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes("--quick");
const BURSTS = Number(flag("--bursts") ?? (quick ? 1 : 3));
const BASELINE = flag("--baseline") ?? BEFORE_PIPELINING;
const PLANS = [5, 5, 5, 5, 4];
const BIDS = 20;
const BLOCK_SECONDS = 2;

type BurstFigures = {
  blocksToServe: number;
  secondsToServe: number;
  lostRaces: number;
  lostRacesPerBid: number;
  revertedOpenDeals: number;
  /** Deals per rig (how the burst spread). */
  dealsPerRig: number[];
};

type Figures = {
  checkout: string;
  bursts: BurstFigures[];
  median: Omit<BurstFigures, "dealsPerRig">;
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function measure(label: string, root: string): Promise<Figures> {
  console.log(`\n${label}: ${PLANS.length} rigs (${PLANS.join("+")} plans), ${BIDS} BIDs a burst`);
  const fleet = await startFleet({
    prefix: `market_burst_${label}_`,
    plans: PLANS,
    blockTime: BLOCK_SECONDS,
    root,
  });
  const bursts: BurstFigures[] = [];
  try {
    for (let i = 0; i < BURSTS; i++) {
      await fleet.waitAsks();
      const burst = await fleet.burst(BIDS, "0.50");
      const served = await fleet.served(burst, 120_000);
      const end = await fleet.waitBlocks(served.toBlock, 2);
      const lostRaces = fleet.linesSince(burst, (l) => l.msg.startsWith("lost the race")).length;
      const suppliers = [...served.deals.values()].map((d) => d.supplier.toLowerCase());
      const figures: BurstFigures = {
        blocksToServe: served.blocksToServe,
        secondsToServe: served.secondsToServe,
        lostRaces,
        lostRacesPerBid: Math.round((lostRaces / BIDS) * 100) / 100,
        revertedOpenDeals: await fleet.revertedOpenDeals(burst.fromBlock, end),
        dealsPerRig: fleet.rigs.map((r) =>
          suppliers.filter((s) => s === r.address.toLowerCase()).length
        ),
      };
      bursts.push(figures);
      console.log(`  burst ${i + 1}: ${JSON.stringify(figures)}`);
      await fleet.closeDeals([...served.deals.values()].map((d) => d.dealId));
    }
  } finally {
    await fleet.close();
  }
  const pick = (k: keyof Omit<BurstFigures, "dealsPerRig">) => median(bursts.map((b) => b[k]));
  return {
    checkout: root === ROOT ? "this" : BASELINE,
    bursts,
    median: {
      blocksToServe: pick("blocksToServe"),
      secondsToServe: pick("secondsToServe"),
      lostRaces: pick("lostRaces"),
      lostRacesPerBid: pick("lostRacesPerBid"),
      revertedOpenDeals: pick("revertedOpenDeals"),
    },
  };
}

/** Extracts `rev` of this repository into a temp folder beside its node_modules; undefined without git. */
async function baselineCheckout(rev: string): Promise<string | undefined> {
  const dir = await Deno.makeTempDir({ prefix: "market_burst_baseline_" });
  const archive = await new Deno.Command("sh", {
    args: ["-c", `git -C "${ROOT}" archive "${rev}" | tar -x -C "${dir}"`],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!archive.success || !(await exists(join(dir, "main.ts")))) {
    console.log(`no baseline: cannot extract ${rev}: ${new TextDecoder().decode(archive.stderr)}`);
    await Deno.remove(dir, { recursive: true });
    return undefined;
  }
  await Deno.symlink(await Deno.realPath(join(ROOT, "node_modules")), join(dir, "node_modules"));
  return dir;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

const baseline = BASELINE === "none" ? undefined : await baselineCheckout(BASELINE);
let before: Figures | undefined;
try {
  if (baseline !== undefined) before = await measure("before", baseline);
} finally {
  if (baseline !== undefined) await Deno.remove(baseline, { recursive: true });
}
const after = await measure("after", ROOT);
const ratio = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 100) / 100);
const result = {
  date: new Date().toISOString(),
  cores: navigator.hardwareConcurrency,
  quick,
  rigs: PLANS.length,
  plans: PLANS,
  bidsPerBurst: BIDS,
  blockSeconds: BLOCK_SECONDS,
  burstsPerCheckout: BURSTS,
  before: before ?? null,
  after,
  /** after / before, of the medians. */
  ratios: before === undefined ? null : {
    blocksToServe: ratio(after.median.blocksToServe, before.median.blocksToServe),
    secondsToServe: ratio(after.median.secondsToServe, before.median.secondsToServe),
    lostRacesPerBid: ratio(after.median.lostRacesPerBid, before.median.lostRacesPerBid),
  },
};
await Deno.mkdir(RESULTS, { recursive: true });
await Deno.writeTextFile(
  join(RESULTS, "market_burst.json"),
  JSON.stringify(result, null, 2) + "\n",
);
console.log("\n| checkout | blocks to serve | seconds | lost races / BID | reverted openDeals |");
console.log("| --- | --- | --- | --- | --- |");
for (const f of [before, after]) {
  if (f === undefined) continue;
  const m = f.median;
  console.log(
    `| ${
      f.checkout.slice(0, 12)
    } | ${m.blocksToServe} | ${m.secondsToServe} | ${m.lostRacesPerBid} | ${m.revertedOpenDeals} |`,
  );
}
