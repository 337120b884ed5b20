import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { renderConfigTemplate } from "./config_template.ts";

const SRC = join(dirname(new URL(import.meta.url).pathname), "..", "..");

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) out.push(...await sources(path));
    else if (/\.ts$/.test(e.name) && !/_test\.ts$/.test(e.name)) out.push(path);
  }
  return out;
}

Deno.test("error hints name config keys that exist (chain.rpc_url, not chain.rpc)", async () => {
  // Every key the documented config has, commented examples included.
  const template = renderConfigTemplate();
  const keys = new Set([...template.matchAll(/^[#\s]*([a-z_]+):/gm)].map((m) => m[1]!));
  const sections = ["chain", "keystore", "docker", "nat", "dashboard", "power", "logging", "plans"];
  const named = new RegExp(`\\b(${sections.join("|")})((?:\\.[A-Za-z_]+)+)`, "g");
  const bad: string[] = [];
  for (const file of await sources(SRC)) {
    const text = await Deno.readTextFile(file);
    for (const hints of text.matchAll(/hints:\s*\[([\s\S]*?)\]/g)) {
      for (const m of hints[1]!.matchAll(named)) {
        const unknown = m[2]!.slice(1).split(".").filter((k) => !keys.has(k));
        if (unknown.length > 0) bad.push(`${relative(SRC, file)}: ${m[0]}`);
      }
    }
  }
  assert.deepEqual(bad, []);
  assert.ok(keys.has("rpc_url") && keys.has("passphrase_file"), [...keys].join(" "));
});
