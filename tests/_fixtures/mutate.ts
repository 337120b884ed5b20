/**
 * Seeded input mutators for the fuzz tests: text edits (deleted, duplicated
 * and replaced ranges, YAML and JSON tokens, aliases, deep nesting) and value
 * edits (a random field set to a hostile value, removed, or joined by an
 * unknown key). Same seed, same inputs: a failure prints its seed to replay.
 */
export type Rand = () => number;

const DEEP_JSON = "[".repeat(100_001) + "]".repeat(100_001);

/** Text that parsers and error formatters have tripped on. */
const TOKENS = [
  "&a ",
  "*a",
  "&a [*a]",
  "*nope",
  "!!binary ",
  "!!js/undefined ",
  "? ",
  ": ",
  "- ",
  "{",
  "}",
  "[",
  "]",
  ",",
  '"',
  "'",
  "\\",
  "\n",
  "\t",
  "#",
  "%YAML 1.2\n---\n",
  "---\n",
  "...\n",
  "~",
  "0x",
  "0x" + "f".repeat(40),
  "1e400",
  "-0",
  "NaN",
  ".inf",
  "\u0000",
  "\u202e",
  "💥",
  "[".repeat(1000),
  "{a: ".repeat(200),
  '"": 1\n',
  "__proto__: {}\n",
  "<<: *a\n",
];

/** Values that schemas and error formatters have tripped on. */
function hostile(rand: Rand): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  return pick<() => unknown>([
    () => pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, 3, 17, 65536, 2 ** 31]),
    () => pick(["", "0x", "-1", "1e400", "NaN", "spot", "devnet", "∞", "\u0000", "0.1.2", "8h"]),
    () => "x".repeat(pick([100, 10_000, 100_000])),
    () => null,
    () => pick([true, false]),
    () => ({}),
    () => [],
    () => JSON.parse("[".repeat(500) + "]".repeat(500)),
    () => JSON.parse('{"": 1, "__proto__": {"polluted": true}, "constructor": "x"}'),
    () => "0x" + "1".repeat(40),
    () => [1, "2", null, { a: [] }],
  ])();
}

/** Applies 1-4 random text edits. */
export function mutateText(text: string, rand: Rand): string {
  let out = text;
  const edits = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(rand() * (out.length + 1));
    const len = Math.floor(rand() * 20);
    switch (Math.floor(rand() * 6)) {
      case 0:
        out = out.slice(0, at) + out.slice(at + len);
        break;
      case 1:
        out = out.slice(0, at) + TOKENS[Math.floor(rand() * TOKENS.length)] + out.slice(at);
        break;
      case 2:
        out = out.slice(0, at) + out.slice(at, at + len).repeat(2) + out.slice(at);
        break;
      case 3:
        out = out.slice(0, at) + String.fromCharCode(Math.floor(rand() * 128)) + out.slice(at + 1);
        break;
      case 4:
        out = out.slice(0, at);
        break;
      default:
        out = out.slice(0, at) + (rand() < 0.2 ? DEEP_JSON : "[[[[[[[[[[") + out.slice(at);
    }
  }
  return out;
}

/** Sets, removes or adds one field somewhere in a JSON-like value (a deep copy). */
export function mutateValue(value: unknown, rand: Rand): unknown {
  const root = structuredClone(value);
  const holder = { root } as Record<string, unknown>;
  let parent: Record<string | number, unknown> = holder;
  let key: string | number = "root";
  // Walk down a random path, stopping at a random depth.
  while (rand() < 0.8) {
    const current: unknown = parent[key];
    if (current === null || typeof current !== "object") break;
    const keys: string[] = Object.keys(current);
    if (keys.length === 0) break;
    parent = current as Record<string | number, unknown>;
    key = keys[Math.floor(rand() * keys.length)]!;
  }
  const roll = rand();
  if (roll < 0.6) parent[key] = hostile(rand);
  else if (roll < 0.8 && parent !== holder) delete parent[key];
  else {
    const target = parent[key];
    if (target !== null && typeof target === "object" && !Array.isArray(target)) {
      (target as Record<string, unknown>)[
        ["", "extra", "__proto__", "toString"][
          Math.floor(rand() * 4)
        ]!
      ] = hostile(rand);
    } else parent[key] = hostile(rand);
  }
  return holder.root;
}
