/**
 * What the agent needs of a node, checked at start (`sonm-agent run` in its
 * own process against a real anvil with the real market): a wrong market
 * address (the token's, or one with no code), a token the market does not
 * use, a node without a method the agent calls, each end with exit 2 and
 * one error line naming the config field or the need: no stack trace, no
 * calldata.
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { createLogger } from "../src/agent/base/mod.ts";
import { type Devnet, startDevnet } from "../src/agent/setup/mod.ts";
import { createRigKeystore, writeRigConfig } from "./_fixtures/agent_rig.ts";
import { startRpcProxy } from "./_fixtures/rpc_proxy.ts";

const ROOT = resolve(new URL(".", import.meta.url).pathname, "..");

async function runAgent(dir: string): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "main.ts"), "run", "--config", join(dir, "rig.yaml")],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

function assertOneLine(r: { code: number; stderr: string }, what: string, message: RegExp) {
  assert.equal(r.code, 2, `${what}: exit ${r.code}\n${r.stderr}`);
  const errors = r.stderr.split("\n").filter((l) => l.startsWith("error:"));
  assert.equal(errors.length, 1, `${what}: ${r.stderr}`);
  assert.match(errors[0]!, message, `${what}: ${errors[0]}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m, `${what}: a stack trace\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /0x[0-9a-f]{200}/i, `${what}: calldata\n${r.stderr}`);
}

const PLAN = `plans:
  - name: cpu
    price_usd_per_hour: "0.36"
    resources: { cpu_cores: 1, ram: 1GiB, storage: 1GiB }
`;

Deno.test("sonm-agent run checks the node and the market at start: exit 2 naming the field or the need", async () => {
  const dir = await Deno.makeTempDir({ prefix: "agent_chain_needs_test_" });
  let devnet: Devnet | undefined;
  try {
    const address = await createRigKeystore(dir);
    devnet = await startDevnet({ logger: createLogger({ write: () => {} }), fund: [address] });
    const c = devnet.contracts;
    const withContracts = (contracts: Partial<Devnet["contracts"]>, rpcUrl = devnet!.rpcUrl) =>
      writeRigConfig(dir, { ...devnet!, rpcUrl, contracts: { ...c, ...contracts } }, PLAN);

    await withContracts({ market: c.token });
    assertOneLine(
      await runAgent(dir),
      "the token's address as the market",
      /chain\.contracts\.market.*Market contract.*is a token \(SNMT\)/,
    );

    await withContracts({ market: "0x000000000000000000000000000000000000dEaD" });
    assertOneLine(
      await runAgent(dir),
      "an address without code as the market",
      /chain\.contracts\.market.*no contract code at 0x000000000000000000000000000000000000dead/i,
    );

    await withContracts({ token: c.oracle });
    assertOneLine(
      await runAgent(dir),
      "a token the market does not use",
      new RegExp(`chain\\.contracts\\.token.*the market at ${c.market} uses ${c.token}`, "i"),
    );

    const proxy = startRpcProxy(devnet.rpcUrl, [(call) =>
      call.method === "eth_getLogs"
        ? {
          jsonrpc: "2.0",
          id: call.id,
          error: {
            code: -32601,
            message: "the method eth_getLogs does not exist/is not available",
          },
        }
        : undefined]);
    try {
      await withContracts({}, proxy.url);
      assertOneLine(await runAgent(dir), "a node without eth_getLogs", /RPC method eth_getLogs/);
    } finally {
      await proxy.close();
    }
  } finally {
    await devnet?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
