/**
 * The design card's import rules, checked on the source tree (like Deno
 * std's _tools checks): see DESIGN.md "Layout" and STYLE.md "What this means
 * for our layout".
 */
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..");
const SRC = join(ROOT, "src");
const LEAVES = ["matcher", "bench", "docker", "chain", "nat", "dashboard"];

type Import = {
  from: string;
  to: string;
  specifier: string;
  typeOnly: boolean;
  dynamic: boolean;
  line: number;
};

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(...await walk(path));
    else if (entry.isFile && /\.tsx?$/.test(entry.name)) out.push(path);
  }
  return out.sort();
}

const IMPORT_RE =
  /^\s*(import|export)\s+(type\s+)?(?:[\s\S]*?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/gm;

async function importsOf(file: string): Promise<Import[]> {
  const text = await Deno.readTextFile(file);
  const out: Import[] = [];
  for (const match of text.matchAll(IMPORT_RE)) {
    const specifier = match[3] ?? match[4];
    if (specifier === undefined || !specifier.startsWith(".")) continue;
    const line = text.slice(0, match.index).split("\n").length;
    out.push({
      from: file,
      to: resolve(dirname(file), specifier),
      specifier,
      typeOnly: match[2] !== undefined,
      dynamic: match[4] !== undefined,
      line,
    });
  }
  return out;
}

/** The top-level folder under src/ ("agent", "chain", ...), "errors" for src/errors.ts. */
function moduleOf(file: string): string | undefined {
  const rel = relative(SRC, file);
  if (rel.startsWith("..")) return undefined;
  const [head] = rel.split("/");
  return head === "errors.ts" ? "errors" : head;
}

function where(i: Import): string {
  return `${relative(ROOT, i.from)}:${i.line} imports "${i.specifier}"`;
}

const files = await walk(SRC);
const imports = (await Promise.all(files.map(importsOf))).flat();

Deno.test("layout: src/errors.ts imports nothing", () => {
  const bad = imports.filter((i) => moduleOf(i.from) === "errors").map(where);
  assert.deepEqual(bad, []);
});

// src/internal/ holds the helpers every folder shares (as Deno std's internal/):
// anyone may import its mod.ts, and it imports nothing else from src/.
const SHARED = ["errors", "internal"];

Deno.test("layout: src/internal imports nothing outside itself", () => {
  const bad = imports.filter((i) =>
    moduleOf(i.from) === "internal" && moduleOf(i.to) !== "internal"
  )
    .map(where);
  assert.deepEqual(bad, []);
});

Deno.test("layout: leaf modules never import src/agent or a sibling (chain may import matcher types)", () => {
  const bad: string[] = [];
  for (const i of imports) {
    const from = moduleOf(i.from);
    const to = moduleOf(i.to);
    if (from === undefined || !LEAVES.includes(from)) continue;
    if (to === from || SHARED.includes(to ?? "")) continue;
    if (from === "chain" && to === "matcher" && i.typeOnly) continue;
    // The compiled contract artifacts are data that src/chain alone imports.
    if (from === "chain" && relative(ROOT, i.to).startsWith("contracts/artifacts/")) continue;
    bad.push(where(i));
  }
  assert.deepEqual(bad, []);
});

Deno.test("layout: imports across folders go through mod.ts, never a deep or _ file", () => {
  const bad: string[] = [];
  for (const i of imports) {
    const from = moduleOf(i.from);
    const to = moduleOf(i.to);
    if (from === undefined || to === undefined || from === to || to === "errors") continue;
    if (i.to !== join(SRC, to, "mod.ts")) bad.push(where(i));
  }
  assert.deepEqual(bad, []);
});

Deno.test("layout: _-prefixed files are imported only from their own folder", () => {
  const bad = imports.filter((i) => {
    const name = i.to.split("/").at(-1) ?? "";
    const owner = (file: string) => roomOf(file) ?? moduleOf(file);
    return name.startsWith("_") && owner(i.from) !== owner(i.to) &&
      !relative(ROOT, i.from).startsWith("tests/");
  }).map(where);
  assert.deepEqual(bad, []);
});

Deno.test("layout: src/ never imports tests/, bench/ or scripts/", () => {
  const bad = imports.filter((i) => {
    const target = relative(ROOT, i.to);
    return /^(tests|bench|scripts)\//.test(target);
  }).map(where);
  assert.deepEqual(bad, []);
});

Deno.test("layout: main.ts imports only src/agent/cli.ts", async () => {
  const bad = (await importsOf(join(ROOT, "main.ts")))
    .filter((i) => i.to !== join(SRC, "agent", "cli.ts")).map(where);
  assert.deepEqual(bad, []);
});

const STATIC_RE = /^\s*(import|export)\s+(type\s+)?(?:[\s\S]*?\s+from\s+)?["']([^"']+)["']/gm;

Deno.test("layout: what main.ts loads at start (src/agent/cli.ts, statically) has no npm package", async () => {
  // Commands load their modules with import() when they run; only this
  // light graph is paid by `sonm-agent --help`.
  const bad: string[] = [];
  const seen = new Set<string>();
  const queue = [join(SRC, "agent", "cli.ts")];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = await Deno.readTextFile(file);
    for (const m of text.matchAll(STATIC_RE)) {
      const specifier = m[3]!;
      if (m[2] !== undefined) continue; // type-only: erased
      if (specifier.startsWith(".")) queue.push(resolve(dirname(file), specifier));
      else if (!specifier.startsWith("node:")) {
        bad.push(`${relative(ROOT, file)} imports "${specifier}"`);
      }
    }
  }
  assert.deepEqual(bad, []);
  assert.ok(seen.size >= 5, [...seen].join(", "));
});

Deno.test("layout: the folder graph has no cycle", () => {
  const edges = new Map<string, Set<string>>();
  for (const i of imports) {
    const from = moduleOf(i.from);
    const to = moduleOf(i.to);
    if (from === undefined || to === undefined || from === to) continue;
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from)!.add(to);
  }
  const state = new Map<string, "visiting" | "done">();
  const visit = (node: string, path: string[]): string[] | undefined => {
    if (state.get(node) === "done") return undefined;
    if (state.get(node) === "visiting") return [...path, node];
    state.set(node, "visiting");
    for (const next of edges.get(node) ?? []) {
      const cycle = visit(next, [...path, node]);
      if (cycle) return cycle;
    }
    state.set(node, "done");
    return undefined;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node, []);
    assert.equal(cycle, undefined, `cycle: ${cycle?.join(" -> ")}`);
  }
});

// src/agent's rooms, in the one order they may import each other (DESIGN.md):
// a room imports only rooms before it, and only through their mod.ts.
const AGENT = join(SRC, "agent");
const ROOMS = ["base", "config", "state", "setup", "market", "tasks", "status", "commands"];
const AGENT_ROOT_FILES = ["cli.ts", "mod.ts", "nat_service.ts", "run_agent.ts"];

/** The room of a file under src/agent ("" for the root files), undefined elsewhere. */
function roomOf(file: string): string | undefined {
  const rel = relative(AGENT, file);
  if (rel.startsWith("..")) return undefined;
  const parts = rel.split("/");
  return parts.length === 1 ? "" : parts[0];
}

Deno.test("layout: src/agent's root holds only the composition root, the CLI face, the NAT service and mod.ts", async () => {
  const bad: string[] = [];
  for await (const e of Deno.readDir(AGENT)) {
    if (e.isDirectory && !ROOMS.includes(e.name)) bad.push(`src/agent/${e.name}/ is not a room`);
    if (e.isFile && !AGENT_ROOT_FILES.includes(e.name.replace(/_test\.ts$/, ".ts"))) {
      bad.push(`src/agent/${e.name} belongs in a room`);
    }
  }
  assert.deepEqual(bad, []);
});

Deno.test("layout: src/agent's rooms import only earlier rooms, and only through their mod.ts", () => {
  const bad: string[] = [];
  for (const i of imports) {
    const from = roomOf(i.from);
    const to = roomOf(i.to);
    if (from === undefined || to === undefined || from === to) continue;
    if (/_test\.ts$/.test(i.from)) continue; // a test may reach into what it tests
    if (to === "") {
      bad.push(`${where(i)}: a room never imports the agent's root`);
      continue;
    }
    if (from !== "" && ROOMS.indexOf(to) > ROOMS.indexOf(from)) {
      bad.push(`${where(i)}: ${from}/ comes before ${to}/`);
    }
    // cli.ts loads each verb's module when it runs (so --help stays light).
    const lazyVerb = i.from === join(AGENT, "cli.ts") && to === "commands" && i.dynamic;
    if (!lazyVerb && i.to !== join(AGENT, to, "mod.ts")) {
      bad.push(`${where(i)}: go through ${to}/mod.ts`);
    }
  }
  assert.deepEqual(bad, []);
});

// SQL statements, as the agent writes them: text that starts with an SQL verb
const RAW_SQL_RE =
  /\.(prepare|exec)\(\s*[`"']\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|BEGIN|WITH)\b/g;

Deno.test("layout: src/agent's SQL lives in state/, one owner module per table", async () => {
  const offenders: string[] = [];
  for (const file of files) {
    if (!file.startsWith(AGENT + "/") || roomOf(file) === "state" || file.endsWith("_test.ts")) {
      continue;
    }
    const text = await Deno.readTextFile(file);
    for (const match of text.matchAll(RAW_SQL_RE)) {
      const line = text.slice(0, match.index).split("\n").length;
      offenders.push(`${relative(ROOT, file)}:${line}`);
    }
  }
  assert.deepEqual(offenders, [], "raw SQL outside src/agent/state: ask the table's owner");
});

Deno.test("layout: commands/ is imported only by cli.ts", () => {
  const bad = imports.filter((i) =>
    roomOf(i.to) === "commands" && roomOf(i.from) !== "commands" &&
    i.from !== join(AGENT, "cli.ts") && !/_test\.ts$/.test(i.from)
  ).map(where);
  assert.deepEqual(bad, []);
});

Deno.test("layout: each folder's mod.ts lists its public files by name, with no export *", async () => {
  const bad: string[] = [];
  const dirs = new Set(files.map((f) => dirname(f)));
  for (const dir of dirs) {
    if (dir === SRC) continue;
    const mod = join(dir, "mod.ts");
    let text: string;
    try {
      text = await Deno.readTextFile(mod);
    } catch {
      bad.push(`${relative(ROOT, dir)} has no mod.ts`);
      continue;
    }
    if (/export\s+\*/.test(text)) bad.push(`${relative(ROOT, mod)} uses export *`);
    // A room's face exports what the other rooms use, not every file.
    if (roomOf(dir) !== undefined) continue;
    const reexported = new Set((await importsOf(mod)).map((i) => i.to));
    for (const file of files.filter((f) => dirname(f) === dir)) {
      const name = file.split("/").at(-1)!;
      if (name === "mod.ts" || name.startsWith("_") || /_test\.tsx?$/.test(name)) continue;
      if (!reexported.has(file)) bad.push(`${relative(ROOT, file)} is public but not in mod.ts`);
    }
  }
  assert.deepEqual(bad, []);
});

Deno.test("layout: examples and code assert with node:assert, never console.assert (it never throws)", async () => {
  const bad: string[] = [];
  for (const file of [...files, join(ROOT, "main.ts")]) {
    const text = await Deno.readTextFile(file);
    text.split("\n").forEach((line, i) => {
      if (line.includes("console.assert(")) bad.push(`${relative(ROOT, file)}:${i + 1}`);
    });
  }
  assert.deepEqual(bad, []);
});

Deno.test("layout: test helpers and generators are never on a folder's public face", async () => {
  // Generators of fake markets, fakes and test helpers live in _ files or
  // tests/_fixtures/: a mod.ts is what other folders build on.
  const bad: string[] = [];
  for (const dir of new Set(files.map((f) => dirname(f)))) {
    const mod = join(dir, "mod.ts");
    let text: string;
    try {
      text = await Deno.readTextFile(mod);
    } catch {
      continue;
    }
    for (const m of text.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)) {
      for (const part of m[1]!.split(",")) {
        const name = part.replace(/^\s*type\s+/, "").trim().split(/\s+as\s+/).pop()!.trim();
        if (/^(generate|fake|mock|stub)|ForTests?$|^test[A-Z]/i.test(name)) {
          bad.push(`${relative(ROOT, mod)} exports ${name}`);
        }
      }
    }
    for (const i of await importsOf(mod)) {
      if (/(^|\/)(_test_helpers|test_helpers|generate_[a-z_]+)\.ts$/.test(i.to)) bad.push(where(i));
    }
  }
  assert.deepEqual(bad, []);
});
