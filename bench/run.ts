/**
 * `deno task bench`: runs every `bench/*_bench.ts` in its own process (so one
 * bench's memory or failure does not skew another), each writing
 * `bench/results/<name>.json`, then writes `bench/results/summary.json`.
 *
 *   deno task bench                 every bench, full size
 *   deno task bench --quick         small sizes (a smoke run)
 *   deno task bench --only matcher  one bench (repeatable)
 */
import { basename, dirname, join } from "node:path";

const HERE = dirname(new URL(import.meta.url).pathname);
const RESULTS = join(HERE, "results");

const args = [...Deno.args];
const quick = args.includes("--quick");
const only = args.flatMap((a, i) => a === "--only" && args[i + 1] ? [args[i + 1]!] : []);
const passThrough = args.filter((a, i) => a !== "--only" && args[i - 1] !== "--only");

const files: string[] = [];
for await (const entry of Deno.readDir(HERE)) {
  if (entry.isFile && entry.name.endsWith("_bench.ts")) files.push(entry.name);
}
files.sort();
const selected = files.filter((f) =>
  only.length === 0 || only.includes(f.replace(/_bench\.ts$/, ""))
);
if (selected.length === 0) {
  Deno.stderr.writeSync(new TextEncoder().encode(`no bench matches ${only.join(", ")}\n`));
  Deno.exit(2);
}

await Deno.mkdir(RESULTS, { recursive: true });
const summary: Record<string, unknown> = {
  date: new Date().toISOString(),
  cores: navigator.hardwareConcurrency,
  quick,
  benches: {},
};
let failed = 0;
for (const file of selected) {
  const name = basename(file).replace(/_bench\.ts$/, "");
  const started = performance.now();
  Deno.stdout.writeSync(new TextEncoder().encode(`\n== ${name} ==\n`));
  const status = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--max-old-space-size=8192", join(HERE, file), ...passThrough],
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  let figures: unknown = null;
  try {
    figures = JSON.parse(await Deno.readTextFile(join(RESULTS, `${name}.json`)));
  } catch {
    figures = null;
  }
  (summary.benches as Record<string, unknown>)[name] = { ok: status.success, seconds, figures };
  if (!status.success) failed++;
}
await Deno.writeTextFile(join(RESULTS, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
Deno.stdout.writeSync(
  new TextEncoder().encode(
    `\nbench: ${selected.length - failed} ok, ${failed} failed; results in bench/results/\n`,
  ),
);
Deno.exit(failed === 0 ? 0 : 1);
