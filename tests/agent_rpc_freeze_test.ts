/**
 * The chain's RPC frozen (SIGSTOP on the real anvil) for two minutes across a
 * bill that falls due and a BID to open a deal on, then thawed (SIGCONT), with
 * the real agent in-process: it never stops, logs the outage once, serves its
 * status from local state meanwhile (with the chain shown unreachable and
 * its head age growing), and afterwards bills once and opens once: no
 * transaction goes out twice.
 *
 * The freeze lasts `FREEZE_S` seconds (default 120, as the issue asks).
 */
import assert from "node:assert/strict";
import { parseEventLogs } from "viem";
import { discoverHardware } from "../src/bench/mod.ts";
import {
  getActiveOrders,
  getOrder,
  marketAbi,
  parseUsdPerHour,
  placeOrder,
} from "../src/chain/mod.ts";
import type { StatusSnapshot } from "../src/dashboard/mod.ts";
import { freePort } from "./_fixtures/agent_process.ts";
import {
  anvilPid,
  startAgent,
  startRigDevnet,
  until,
  writeRigConfig,
} from "./_fixtures/agent_rig.ts";
import { consumerOf } from "./_fixtures/workloads.ts";

const FREEZE_S = Number(Deno.env.get("FREEZE_S") ?? "120");
const PRICE = "0.36";
const BILL_INTERVAL_S = 90;

Deno.test("the RPC frozen for two minutes across a due bill and an openDeal: the agent runs on, bills once, opens once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "faults-freeze-" });
  const rig = await startRigDevnet(dir);
  const pid = await anvilPid(rig.devnet);
  let frozen = false;
  const port = freePort();
  try {
    const config = await writeRigConfig(
      dir,
      rig.devnet,
      `plans:
  - name: a
    price_usd_per_hour: "${PRICE}"
    resources: { cpu_cores: 0.5, ram: 64MiB }
  - name: b
    price_usd_per_hour: "${PRICE}"
    resources: { cpu_cores: 0.5, ram: 64MiB }
`,
      { dashboardPort: port },
    );
    const agent = await startAgent(config, await discoverHardware({ dataDir: dir }), {
      agentId: `faults-freeze-${Date.now().toString(36)}`,
      billIntervalSeconds: BILL_INTERVAL_S,
    });
    let stoppedBy: unknown = "running";
    agent.done.then(() => (stoppedBy = "stopped"), (e) => (stoppedBy = e));
    const consumer = consumerOf(rig.chain, rig.devnet, rig.devnet.consumer.privateKey);
    const ours = async () =>
      (await getActiveOrders(rig.reader)).filter((o) =>
        o.type === "ASK" && o.author.toLowerCase() === rig.address.toLowerCase()
      );
    const bid = () =>
      placeOrder(consumer.market, { type: "BID", duration: 0n, price: parseUsdPerHour(PRICE) });
    const dealOf = (orderId: bigint) =>
      until(
        "the deal",
        async () => (await getOrder(rig.reader, { orderId }))?.dealId || undefined,
        60_000,
      );
    const api = async (path: string) => {
      const t = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        signal: AbortSignal.timeout(5_000),
      });
      const body = await res.text();
      return { status: res.status, body, ms: performance.now() - t };
    };
    try {
      await until("both plans' ASKs", async () => (await ours()).length === 2 ? true : undefined);
      const first = await dealOf((await bid()).orderId);
      const nonceBefore = await rig.chain.public.getTransactionCount({ address: rig.address });
      const blockBefore = await rig.chain.public.getBlockNumber();

      // a BID for the other plan, and the node freezes: the deal and the bill (due in
      // BILL_INTERVAL_S of chain time) both meet a hanging RPC
      const second = await bid();
      Deno.kill(pid, "SIGSTOP");
      frozen = true;
      const frozenAt = performance.now();
      const during: { atS: number; apiMs: number; metricsMs: number; headAgeS: number | null }[] =
        [];
      for (const atS of [25, FREEZE_S - 5]) {
        await new Promise((r) => setTimeout(r, frozenAt + atS * 1000 - performance.now()));
        const status = await api("/api/status");
        const metrics = await api("/metrics");
        assert.equal(status.status, 200);
        assert.equal(metrics.status, 200);
        const chain = (JSON.parse(status.body) as StatusSnapshot).chain;
        assert.notEqual(chain.unreachableSince, null, "the page says the chain is unreachable");
        assert.ok((chain.headAgeSeconds ?? 0) >= 20, `head age ${chain.headAgeSeconds}`);
        assert.match(metrics.body, /^sonm_agent_chain_reachable 0$/m);
        during.push({
          atS,
          apiMs: status.ms,
          metricsMs: metrics.ms,
          headAgeS: chain.headAgeSeconds,
        });
      }
      assert.equal(stoppedBy, "running", "the agent runs on while the RPC hangs");
      Deno.kill(pid, "SIGCONT");
      frozen = false;
      const thawedAt = performance.now();

      const secondDeal = await dealOf(second.orderId);
      const billed = async () => {
        const logs = await rig.chain.public.getLogs({
          address: rig.devnet.contracts.market,
          fromBlock: blockBefore + 1n,
        });
        return parseEventLogs({ abi: marketAbi, logs, eventName: "Billed" })
          .filter((l) => l.args.dealId === first);
      };
      await until(
        "the overdue bill",
        async () => (await billed()).length > 0 ? true : undefined,
        90_000,
      );
      const caughtUpS = Math.round((performance.now() - thawedAt) / 100) / 10;
      // room for a second bill or deal to go out, were any sent twice (the next bill is due later)
      await new Promise((r) => setTimeout(r, 20_000));
      assert.equal((await billed()).length, 1, "billed once");
      const opened = parseEventLogs({
        abi: marketAbi,
        logs: await rig.chain.public.getLogs({
          address: rig.devnet.contracts.market,
          fromBlock: blockBefore + 1n,
        }),
        eventName: "DealOpened",
      });
      assert.deepEqual(opened.map((l) => l.args.dealId), [secondDeal], "opened once");
      assert.equal(
        await rig.chain.public.getTransactionCount({ address: rig.address }),
        nonceBefore + 2,
        "two transactions (the bill, the deal): none sent twice, none reverted",
      );
      assert.equal(stoppedBy, "running", "the agent still runs");
      // one line per change of state, not one per failed try
      const warned = agent.logs.filter((l) =>
        l.level === "warn" && l.msg === "indexer poll failed"
      );
      assert.equal(warned.length, 1, "the outage logged once");
      assert.ok(agent.logs.some((l) => l.msg === "chain reachable again"));
      assert.ok(!agent.logs.some((l) => /failed unexpectedly/.test(String(l.msg))));
      await Deno.writeTextFile(
        new URL("../bench/results/rpc_freeze.json", import.meta.url),
        JSON.stringify(
          {
            freezeS: FREEZE_S,
            statusWhileFrozen: during,
            thawToOverdueBillS: caughtUpS,
            date: new Date().toISOString(),
          },
          null,
          2,
        ) + "\n",
      );
    } catch (e) {
      throw new Error(`${e}\n${agent.logs.map((l) => JSON.stringify(l)).join("\n")}`);
    } finally {
      if (frozen) Deno.kill(pid, "SIGCONT");
      await agent.stop().catch(() => {});
    }
  } finally {
    if (frozen) Deno.kill(pid, "SIGCONT");
    await rig.close();
    await Deno.remove(dir, { recursive: true });
  }
});
