/**
 * `sonm-agent status` as a rig owner runs it: a second process reading the
 * running agent's state (on the devnet, with the demo consumer's deal open
 * and billed), with the dashboard off, so nothing but the state file links
 * the two processes.
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import type { StatusSnapshot } from "../src/dashboard/mod.ts";
import { startAgentProcess } from "./_fixtures/agent_process.ts";

const MAIN = resolve(new URL(".", import.meta.url).pathname, "../main.ts");

async function status(config: string, json: boolean) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "status", "--config", config, ...(json ? ["--json"] : [])],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

Deno.test({
  name: "sonm-agent status reads the running agent's deal, bills and earnings from its state",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const agent = await startAgentProcess({ prefix: "dash-status-cli-", dashboard: false });
    try {
      const opened = await agent.waitFor("opened deal");
      await agent.advance(700);
      await agent.waitFor("billed deal", { dealId: opened.dealId });
      const billed = agent.lines.find((l) => l.msg === "billed deal")!;
      const config = join(agent.dir, "rig.yaml");
      let snapshot: StatusSnapshot | undefined;
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const r = await status(config, true);
        assert.equal(r.code, 0, r.stderr);
        snapshot = JSON.parse(r.stdout) as StatusSnapshot;
        if (snapshot.deals[0]?.bills === 1) break; // once the indexer stored the bill
        await new Promise((r) => setTimeout(r, 250));
      }
      const s = snapshot!;
      assert.equal(s.agent.running, true);
      assert.match(s.agent.address ?? "", /^0x[0-9a-f]{40}$/);
      assert.notEqual(s.earnings.rate, null, "the rate the agent recorded at start");
      assert.deepEqual(s.dealCounts, { open: 1, closed: 0 });
      const deal = s.deals[0]!;
      assert.equal(deal.dealId, String(opened.dealId));
      assert.equal(deal.plan, "cpu-dash");
      assert.equal(deal.usdPerHour, "0.36");
      assert.equal(deal.timeLeft, null, "spot");
      assert.equal(deal.billedTokens, s.earnings.settledTokens);
      assert.ok(Number(deal.billedTokens) > 0);
      assert.equal(deal.billedTokens, billed.paid, "what the agent logged as paid");
      assert.ok(s.earnings.electricityUsd > 0, "power from the config");
      assert.equal(s.plans[0]!.plan, "cpu-dash");
      assert.equal(s.plans[0]!.dealId, deal.dealId);
      assert.notEqual(s.chain.indexedBlock, null);

      const text = await status(config, false);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^agent\s+running \(pid \d+\)/m);
      assert.match(
        text.stdout,
        new RegExp(`^  ${deal.dealId} cpu-dash 0\\.36 USD/h, spot, billed`, "m"),
      );
      assert.match(text.stdout, /^plans\s*\n {2}cpu-dash: in deal/m);
    } finally {
      await agent.stop();
    }
  },
});
