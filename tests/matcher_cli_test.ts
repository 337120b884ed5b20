/**
 * `sonm-agent match` as a person runs it: a real process on a real file.
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";

const ROOT = resolve(new URL(".", import.meta.url).pathname, "..");
const A = "0x00000000000000000000000000000000000000a1";
const B = "0x00000000000000000000000000000000000000b1";

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "main.ts"), "match", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

async function withMarket(lines: string[], fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sonm-match-cli-" });
  try {
    const path = join(dir, "market.jsonl");
    await Deno.writeTextFile(path, lines.join("\n"));
    await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const order = (id: string, type: string, over: Record<string, unknown> = {}) =>
  JSON.stringify({
    kind: "order",
    id,
    type,
    author: type === "BID" ? A : B,
    duration: "3600",
    price: "1000",
    ...over,
  });

Deno.test("sonm-agent match --ask prints the matching BIDs and --json the same as data", async () => {
  await withMarket([
    order("1", "BID", { price: "2000" }),
    order("2", "BID", { benchmarks: ["5"] }),
    order("3", "ASK", { benchmarks: ["4"] }),
  ], async (path) => {
    const text = await cli(["--orders", path, "--ask", "3", "--explain"]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /ASK 3: 1 matching BID\(s\), best first/);
    assert.match(text.stdout, /2 +3 +rule 7 benchmarks \(BenchmarkTooLow\)/);
    const json = await cli(["--orders", path, "--ask", "3", "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const data = JSON.parse(json.stdout);
    assert.deepEqual(data.results[0].matches.map((m: { id: string }) => m.id), ["1"]);
  });
});

Deno.test("sonm-agent match exits 2 (bad input) and names the line of a malformed order", async () => {
  await withMarket([
    order("1", "BID"),
    order("2", "ASK", { benchmarks: ["18446744073709551616"] }),
  ], async (path) => {
    const r = await cli(["--orders", path]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /error: MarketFileError: Cannot read market file at line 2: Cannot accept order "2": benchmarks\[0\] must be below 2\^63/,
    );
  });
});

Deno.test("sonm-agent match exits 2 on a bad --limit", async () => {
  const r = await cli(["--orders", "x.jsonl", "--limit", "-1"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--limit <n>' argument '-1' is invalid/);
});
