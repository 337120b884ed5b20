// deno-lint-ignore-file no-console -- a benchmark prints its table
/**
 * Matcher benchmark (issue #5): the columnar order book against the
 * straightforward matcher (plain objects, bigint) and against indexed SQL in
 * sqlite (node:sqlite), on one generated book of BIDs (13 benchmarks each,
 * tuned so that a typical ASK fits about 1% of the book) and a book of ASKs.
 *
 *   deno run -A bench/matcher_bench.ts            # 1,000,000 BIDs, 100,000 ASKs
 *   deno run -A bench/matcher_bench.ts --quick    # 100,000 BIDs, 10,000 ASKs
 *   deno run -A bench/matcher_bench.ts --agreement-pairs 100000   # also the anvil agreement run
 *
 * Writes bench/results/matcher.json and prints a table.
 *
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import {
  createMarketViews,
  createOrderBook,
  type MarketOrder,
  type MarketViewData,
  type OrderBook,
  referenceMatch,
} from "../src/matcher/mod.ts";
// The matcher's private market generator (a test and bench helper, not its public face).
import { generateMarket } from "../src/matcher/_generate_market.ts";

type Args = {
  quick: boolean;
  agreementPairs: number | undefined;
  out: string;
  memoryProbe: number | undefined;
};

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    quick: false,
    agreementPairs: undefined,
    out: "bench/results/matcher.json",
    memoryProbe: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") args.quick = true;
    else if (a === "--agreement-pairs") {
      const n = Number(argv[++i]);
      if (!Number.isSafeInteger(n) || n <= 0) {
        throw new RangeError(`Cannot run benchmark: --agreement-pairs must be a positive integer`);
      }
      args.agreementPairs = n;
    } else if (a === "--out") args.out = argv[++i] ?? args.out;
    else if (a === "--memory-probe") args.memoryProbe = Number(argv[++i]);
    else throw new RangeError(`Cannot run benchmark: unknown option "${a}"`);
  }
  return args;
}

/**
 * `--memory-probe N` (a child process started with --expose-gc): generates the
 * book's orders, then measures what loading them into a book adds to the JS
 * heap and to the typed arrays' external memory, after full collections.
 */
function memoryProbe(n: number): void {
  const gc = (globalThis as unknown as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("Cannot probe memory: run with --v8-flags=--expose-gc");
  const market = generateMarket({ seed: 5, bids: n, asks: 0, profile: "realistic" });
  const used = () => {
    gc();
    gc();
    const m = Deno.memoryUsage();
    return m.heapUsed + m.external;
  };
  const load = () => {
    const book = createOrderBook({ views: market.views });
    for (const o of market.bids) book.add(o);
    book.compact();
    return book;
  };
  // A first load settles the orders' own memory (V8 flattens their strings and
  // trims their objects on first use); the second load is what a book costs.
  const first = load();
  const before = used();
  const book = load();
  const after = used();
  if (first.stats().bids !== book.stats().bids) throw new Error("unreachable");
  console.log(JSON.stringify({
    bytesPerOrder: (after - before) / n,
    columnBytesPerOrder: book.stats().columnBytes / n,
  }));
}

/** Runs {@linkcode memoryProbe} in a child process with a real `gc()`. */
function measureMemory(n: number): { bytesPerOrder: number; columnBytesPerOrder: number } {
  const out = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc,--max-old-space-size=8192",
      new URL(import.meta.url).pathname,
      "--memory-probe",
      String(n),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).outputSync();
  if (!out.success) throw new Error("Cannot measure memory: the probe process failed");
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/**
 * A trivial loop over 1M doubles (ms): the speed of this machine right now.
 * On a shared machine, compare our figures to it rather than to absolute goals.
 */
function machineBaselineMs(): number {
  const xs = new Float64Array(1_000_000);
  for (let i = 0; i < xs.length; i++) xs[i] = (i * 7919) % 1000;
  const times: number[] = [];
  let sink = 0;
  for (let k = 0; k < 15; k++) {
    const t = performance.now();
    for (let i = 0; i < xs.length; i++) if ((xs[i] as number) > 500) sink++;
    times.push(performance.now() - t);
  }
  if (sink < 0) throw new Error("unreachable");
  times.sort((a, b) => a - b);
  return times[7] as number;
}

/** Runs `fn` for each query, returning the median and mean milliseconds per query. */
function time<Q>(
  queries: readonly Q[],
  fn: (q: Q) => unknown,
): { medianMs: number; meanMs: number } {
  const times: number[] = [];
  for (const q of queries) {
    const t0 = performance.now();
    fn(q);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / Math.max(1, times.length);
  return { medianMs: times[Math.floor(times.length / 2)] ?? NaN, meanMs: mean };
}

/** Loads orders and views into an in-memory sqlite with indexes; returns query statements. */
function loadSqlite(
  bids: readonly MarketOrder[],
  asks: readonly MarketOrder[],
  views: Required<MarketViewData>,
  addresses: readonly string[],
): { db: DatabaseSync; ms: number; ids: Map<string, number> } {
  const t0 = performance.now();
  const db = new DatabaseSync(":memory:");
  const benchCols = Array.from({ length: 13 }, (_, i) => `b${i} INTEGER NOT NULL`).join(", ");
  db.exec(`
    CREATE TABLE addr (id INTEGER PRIMARY KEY, master INTEGER NOT NULL, level INTEGER NOT NULL);
    CREATE TABLE blacklist (owner INTEGER NOT NULL, who INTEGER NOT NULL, PRIMARY KEY (owner, who))
      WITHOUT ROWID;
    CREATE INDEX blacklist_who ON blacklist (who, owner);
    CREATE TABLE bids (id INTEGER PRIMARY KEY, price INTEGER NOT NULL, duration INTEGER NOT NULL,
      flags INTEGER NOT NULL, req INTEGER NOT NULL, author INTEGER NOT NULL, cp INTEGER NOT NULL,
      bl INTEGER NOT NULL, ${benchCols});
    CREATE TABLE asks (id INTEGER PRIMARY KEY, price INTEGER NOT NULL, duration INTEGER NOT NULL,
      flags INTEGER NOT NULL, req INTEGER NOT NULL, author INTEGER NOT NULL, cp INTEGER NOT NULL,
      bl INTEGER NOT NULL, ${benchCols});
  `);
  const ids = new Map<string, number>([["0x0000000000000000000000000000000000000000", 0]]);
  const intern = (a: string): number => {
    let id = ids.get(a);
    if (id === undefined) ids.set(a, id = ids.size);
    return id;
  };
  for (const o of [...bids, ...asks]) {
    intern(o.author);
    intern(o.counterparty);
    intern(o.blacklist);
  }
  for (const a of addresses) intern(a);
  db.exec("BEGIN");
  const masters = new Map(views.masters.map((x) => [x.worker, x.master]));
  const levels = new Map(views.levels.map((x) => [x.address, x.level]));
  const insAddr = db.prepare("INSERT INTO addr (id, master, level) VALUES (?, ?, ?)");
  for (const [a, id] of ids) {
    insAddr.run(id, intern(masters.get(a as never) ?? a), levels.get(a as never) ?? 0);
  }
  const insList = db.prepare("INSERT OR IGNORE INTO blacklist (owner, who) VALUES (?, ?)");
  for (const x of views.blacklists) insList.run(intern(x.owner), intern(x.listed));
  for (const [table, orders] of [["bids", bids], ["asks", asks]] as const) {
    const ins = db.prepare(
      `INSERT INTO ${table} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ${Array(13).fill("?").join(", ")})`,
    );
    for (const o of orders) {
      let flags = 0;
      o.netflags.forEach((f, i) => flags |= f ? 1 << i : 0);
      const bench = Array.from({ length: 13 }, (_, i) => o.benchmarks[i] ?? 0n);
      ins.run(
        o.id,
        o.price,
        o.duration,
        flags,
        o.identityLevel,
        intern(o.author),
        intern(o.counterparty),
        intern(o.blacklist),
        ...bench,
      );
    }
  }
  db.exec("CREATE INDEX bids_price ON bids (price DESC, id)");
  db.exec("CREATE INDEX asks_price ON asks (price DESC, id)");
  db.exec("COMMIT");
  db.exec("ANALYZE");
  return { db, ms: performance.now() - t0, ids };
}

function sqlMatchAsk(db: DatabaseSync, limit: boolean): StatementSync {
  const bench = Array.from({ length: 13 }, (_, i) => `b.b${i} <= :b${i}`).join(" AND ");
  return db.prepare(`
    SELECT b.id FROM bids b JOIN addr a ON a.id = b.author
    WHERE b.price >= :price AND b.duration <= :dur AND (b.flags & :notflags) = 0
      AND b.req <= :alevel AND a.level >= :areq
      AND (b.cp = 0 OR b.cp = :amaster) AND (:acp = 0 OR a.master = :acp)
      AND NOT EXISTS (SELECT 1 FROM blacklist l WHERE l.who = b.author
        AND l.owner IN (:abl, :amaster, :aauthor) AND l.owner <> 0)
      AND NOT EXISTS (SELECT 1 FROM blacklist l WHERE l.who IN (:amaster, :aauthor)
        AND l.owner IN (b.bl, b.author) AND l.owner <> 0)
      AND ${bench}
    ORDER BY b.price DESC, b.id ASC ${limit ? "LIMIT 10" : ""}`);
}

function sqlMatchBid(db: DatabaseSync): StatementSync {
  const bench = Array.from({ length: 13 }, (_, i) => `s.b${i} >= :b${i}`).join(" AND ");
  return db.prepare(`
    SELECT s.id FROM asks s JOIN addr a ON a.id = s.author
    WHERE s.price <= :price AND s.duration >= :dur AND (:flags & ~s.flags) = 0
      AND s.req <= :blevel AND a.level >= :breq
      AND (s.cp = 0 OR s.cp = :bmaster) AND (:bcp = 0 OR a.master = :bcp)
      AND NOT EXISTS (SELECT 1 FROM blacklist l WHERE l.owner IN (:bbl, :bauthor) AND l.owner <> 0
        AND l.who IN (s.author, a.master))
      AND NOT EXISTS (SELECT 1 FROM blacklist l WHERE l.who = :bauthor
        AND l.owner IN (s.bl, a.master, s.author) AND l.owner <> 0)
      AND ${bench}
    ORDER BY s.price DESC, s.id ASC`);
}

function sqlParams(
  o: MarketOrder,
  ids: Map<string, number>,
  db: DatabaseSync,
): Record<string, bigint | number> {
  const author = ids.get(o.author) ?? -1;
  const row = db.prepare("SELECT master, level FROM addr WHERE id = ?").get(author) as
    | { master: number; level: number }
    | undefined;
  let flags = 0;
  o.netflags.forEach((f, i) => flags |= f ? 1 << i : 0);
  const p: Record<string, bigint | number> = { price: o.price, dur: o.duration };
  const side = o.type === "ASK" ? "a" : "b";
  if (o.type === "ASK") p.notflags = ~flags & 0xff;
  else p.flags = flags;
  p[`${side}level`] = row?.level ?? 0;
  p[`${side}req`] = o.identityLevel;
  p[`${side}master`] = row?.master ?? author;
  p[`${side}cp`] = ids.get(o.counterparty) ?? -1;
  p[`${side}bl`] = ids.get(o.blacklist) ?? -1;
  p[`${side}author`] = author;
  for (let i = 0; i < 13; i++) p[`b${i}`] = o.benchmarks[i] ?? 0n;
  return p;
}

function main(): void {
  const args = parseArgs(Deno.args);
  if (args.memoryProbe !== undefined) return memoryProbe(args.memoryProbe);
  const nBids = args.quick ? 100_000 : 1_000_000;
  const nAsks = args.quick ? 10_000 : 100_000;
  const nQueries = args.quick ? 100 : 200;
  const nRef = 3;
  const log = (s: string) => console.error(`[matcher_bench] ${s}`);

  log(`generating ${nBids} BIDs and ${nAsks} ASKs`);
  let t0 = performance.now();
  const market = generateMarket({ seed: 5, bids: nBids, asks: nAsks, profile: "realistic" });
  const queryAsks = generateMarket({
    seed: 6,
    bids: 0,
    asks: nQueries,
    profile: "realistic",
    addressPool: market.addresses,
    firstId: 10_000_000,
  }).asks;
  const queryBids = generateMarket({
    seed: 7,
    bids: nQueries,
    asks: 0,
    profile: "realistic",
    addressPool: market.addresses,
    firstId: 20_000_000,
  }).bids;
  const generateMs = performance.now() - t0;

  // Load: memory and time.
  const baselineMs = machineBaselineMs();
  t0 = performance.now();
  const bidBook: OrderBook = createOrderBook({ views: market.views });
  for (const o of market.bids) bidBook.add(o);
  bidBook.compact();
  const loadMs = performance.now() - t0;
  const askBook = createOrderBook({ views: market.views });
  for (const o of market.asks) askBook.add(o);
  askBook.compact();
  log(`loaded in ${loadMs.toFixed(0)} ms`);

  // Ours.
  for (const q of queryAsks.slice(0, 20)) bidBook.matchAsk(q, { limit: 10 }); // warm up
  const best = time(queryAsks, (q) => bidBook.matchAsk(q, { limit: 10 }));
  let hits = 0;
  const full = time(queryAsks, (q) => hits += bidBook.matchAsk(q).length);
  const fitShare = hits / queryAsks.length / nBids;
  const bidQ = time(queryBids, (q) => askBook.matchBid(q));
  log(`ours: best ${best.medianMs.toFixed(3)} ms, full ${full.medianMs.toFixed(2)} ms`);

  // Reference (plain objects, bigint).
  const views = createMarketViews(market.views);
  const refQueries = queryAsks.slice(0, nRef);
  const refBest = time(
    refQueries,
    (q) => referenceMatch(market.bids, { order: q, views, limit: 10 }),
  );
  const refFull = time(refQueries, (q) => referenceMatch(market.bids, { order: q, views }));
  const refBid = time(
    queryBids.slice(0, nRef),
    (q) => referenceMatch(market.asks, { order: q, views }),
  );
  // Agreement spot check (the property test does this thoroughly).
  for (const q of refQueries) {
    const a = bidBook.matchAsk(q).join();
    const b = referenceMatch(market.bids, { order: q, views }).join();
    if (a !== b) throw new Error(`Cannot trust benchmark: book and reference disagree on ${q.id}`);
  }
  log(`reference: best ${refBest.medianMs.toFixed(1)} ms, full ${refFull.medianMs.toFixed(1)} ms`);

  // SQLite.
  log("loading sqlite");
  const sql = loadSqlite(market.bids, market.asks, market.views, market.addresses);
  const stBest = sqlMatchAsk(sql.db, true);
  const stFull = sqlMatchAsk(sql.db, false);
  const stBid = sqlMatchBid(sql.db);
  const sqlQ = queryAsks.slice(0, args.quick ? 20 : 20);
  const sqlBest = time(sqlQ.map((q) => sqlParams(q, sql.ids, sql.db)), (p) => stBest.all(p));
  const sqlFull = time(sqlQ.map((q) => sqlParams(q, sql.ids, sql.db)), (p) => stFull.all(p));
  const sqlBid = time(
    queryBids.slice(0, 20).map((q) => sqlParams(q, sql.ids, sql.db)),
    (p) => stBid.all(p),
  );
  for (const q of sqlQ.slice(0, 5)) {
    const a = bidBook.matchAsk(q).join();
    const b = stFull.all(sqlParams(q, sql.ids, sql.db)).map((r) => String(r.id)).join();
    if (a !== b) throw new Error(`Cannot trust benchmark: book and sqlite disagree on ${q.id}`);
  }
  for (const q of queryBids.slice(0, 5)) {
    const a = askBook.matchBid(q).join();
    const b = stBid.all(sqlParams(q, sql.ids, sql.db)).map((r) => String(r.id)).join();
    if (a !== b) throw new Error(`Cannot trust benchmark: book and sqlite disagree on ${q.id}`);
  }
  sql.db.close();
  log(`sqlite: best ${sqlBest.medianMs.toFixed(2)} ms, full ${sqlFull.medianMs.toFixed(1)} ms`);

  // Memory: the typed-array columns (with their spare capacity) plus the JS heap the
  // book adds (interned addresses), measured in a child process with a real gc().
  log("measuring memory in a child process");
  const { bytesPerOrder, columnBytesPerOrder } = measureMemory(nBids);
  log(`${bytesPerOrder.toFixed(0)} bytes per resting order`);

  const result = {
    name: "matcher",
    date: new Date().toISOString(),
    quick: args.quick,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    cpu: Deno.build.target,
    machineBaselineMs: baselineMs,
    loadAverage: Deno.loadavg(),
    book: { bids: nBids, asks: nAsks, benchmarks: 13, fitShare, queries: nQueries },
    load: {
      generateMs,
      loadMs,
      bytesPerOrder,
      columnBytesPerOrder,
      sqliteLoadMs: sql.ms,
    },
    bestMatch: {
      oursMs: best.medianMs,
      oursMeanMs: best.meanMs,
      referenceMs: refBest.medianMs,
      sqliteMs: sqlBest.medianMs,
      speedupVsReference: refBest.medianMs / best.medianMs,
      speedupVsSqlite: sqlBest.medianMs / best.medianMs,
      goalMs: 1,
    },
    fullScan: {
      oursMs: full.medianMs,
      oursChecksPerSecond: nBids / (full.medianMs / 1000),
      referenceMs: refFull.medianMs,
      sqliteMs: sqlFull.medianMs,
      speedupVsReference: refFull.medianMs / full.medianMs,
      speedupVsSqlite: sqlFull.medianMs / full.medianMs,
      goalChecksPerSecond: 100e6,
    },
    matchBid: {
      asks: nAsks,
      oursMs: bidQ.medianMs,
      referenceMs: refBid.medianMs,
      sqliteMs: sqlBid.medianMs,
      speedupVsReference: refBid.medianMs / bidQ.medianMs,
      speedupVsSqlite: sqlBid.medianMs / bidQ.medianMs,
    },
    agreement: undefined as unknown,
  };

  if (args.agreementPairs !== undefined) {
    log(`agreement on anvil: ${args.agreementPairs} pairs`);
    const cmd = new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "tests/matcher_agreement_test.ts"],
      env: { SONM_AGREEMENT_PAIRS: String(args.agreementPairs) },
      stdout: "inherit",
      stderr: "inherit",
    });
    const t = performance.now();
    const { code } = cmd.outputSync();
    result.agreement = {
      pairs: args.agreementPairs,
      passed: code === 0,
      ms: performance.now() - t,
    };
  }

  Deno.mkdirSync("bench/results", { recursive: true });
  Deno.writeTextFileSync(args.out, JSON.stringify(result, null, 2) + "\n");

  const f = (ms: number) => ms < 1 ? `${(ms * 1000).toFixed(0)} us` : `${ms.toFixed(1)} ms`;
  const x = (n: number) => `${n.toFixed(0)}x`;
  const rows: string[][] = [
    ["question", "ours", "reference", "sqlite", "vs ref", "vs sqlite", "goal"],
    [
      `best 10 BIDs (${nBids / 1000}k)`,
      f(best.medianMs),
      f(refBest.medianMs),
      f(sqlBest.medianMs),
      x(refBest.medianMs / best.medianMs),
      x(sqlBest.medianMs / best.medianMs),
      "<= 1 ms, 100x, 10x",
    ],
    [
      `all BIDs (${nBids / 1000}k)`,
      f(full.medianMs),
      f(refFull.medianMs),
      f(sqlFull.medianMs),
      x(refFull.medianMs / full.medianMs),
      x(sqlFull.medianMs / full.medianMs),
      "<= 10 ms, 10x, 10x",
    ],
    [
      `matchBid (${nAsks / 1000}k ASKs)`,
      f(bidQ.medianMs),
      f(refBid.medianMs),
      f(sqlBid.medianMs),
      x(refBid.medianMs / bidQ.medianMs),
      x(sqlBid.medianMs / bidQ.medianMs),
      "",
    ],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((v, c) => v.padEnd(widths[c]!)).join("  ");
  console.log(line(rows[0]!));
  for (const r of rows.slice(1)) console.log(line(r));
  console.log(
    `full scan: ${(nBids / (full.medianMs / 1000) / 1e6).toFixed(0)}M order checks/s; ` +
      `a typical ASK fits ${(fitShare * 100).toFixed(2)}% of the book`,
  );
  console.log(
    `memory: ${bytesPerOrder.toFixed(0)} bytes per resting order (goal <= 200); ` +
      `load ${nBids / 1000}k orders: ${loadMs.toFixed(0)} ms (sqlite ${sql.ms.toFixed(0)} ms)`,
  );
  console.log(
    `machine: a bare loop over 1M doubles takes ${baselineMs.toFixed(2)} ms here ` +
      `(load average ${Deno.loadavg()[0]?.toFixed(1)}); full scan = ` +
      `${(full.medianMs / baselineMs).toFixed(1)} bare loops`,
  );
  console.log(`written: ${args.out}`);
}

if (import.meta.main) main();
