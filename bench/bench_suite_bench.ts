/**
 * Wall time of the whole benchmark suite on this machine (the CPU suite on a
 * GPU-less machine: sysbench multi and single, host values, the network probe
 * against a loopback server). Goal: under 60 s on 2 cores. Writes
 * bench/results/bench_suite.json and prints a table.
 *
 *   deno run -A bench/bench_suite_bench.ts [--quick]
 */
// deno-lint-ignore-file no-console -- a benchmark prints its table
import { dirname, join } from "node:path";
import {
  createNativeProbeRunner,
  createNetProbeHandler,
  discoverHardware,
  runBenchSuite,
} from "../src/bench/mod.ts";

const quick = Deno.args.includes("--quick");
const HERE = dirname(new URL(import.meta.url).pathname);
const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen() {} },
  createNetProbeHandler(),
);
try {
  const t0 = performance.now();
  const hardware = await discoverHardware({ dataDir: HERE });
  const discoverySeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const suite = await runBenchSuite({ runProbe: createNativeProbeRunner() }, {
    hardware,
    netEndpoint: `http://127.0.0.1:${server.addr.port}`,
    netBytes: quick ? 8 * 2 ** 20 : 64 * 2 ** 20,
    sysbenchSeconds: quick ? 1 : 3,
  });
  const suiteSeconds = (performance.now() - t1) / 1000;
  const figures = {
    quick,
    cores: navigator.hardwareConcurrency,
    gpus: hardware.gpus.length,
    discoverySeconds: Math.round(discoverySeconds * 100) / 100,
    suiteSeconds: Math.round(suiteSeconds * 100) / 100,
    results: Object.fromEntries(
      suite.results.map((r) => [r.key, `${r.value} ${r.unit} (${r.status})`]),
    ),
  };
  await Deno.mkdir(join(HERE, "results"), { recursive: true });
  await Deno.writeTextFile(
    join(HERE, "results", "bench_suite.json"),
    JSON.stringify(figures, null, 2) + "\n",
  );
  console.log(`discovery            ${figures.discoverySeconds} s`);
  console.log(`suite (${suite.results.length} benchmarks) ${figures.suiteSeconds} s`);
  for (const [k, v] of Object.entries(figures.results)) console.log(`  ${k.padEnd(20)} ${v}`);
} finally {
  await server.shutdown();
}
