/**
 * Master and worker on the devnet: an agent with `master` in its config
 * registers as that master's worker at start and says what the master must
 * confirm; the test confirms from the master's key; the deal on the worker's
 * ASK then pays the master, exactly the billed amount, and not the worker.
 */
import assert from "node:assert/strict";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { discoverHardware } from "../src/bench/mod.ts";
import {
  confirmWorker,
  connectChain,
  createMarketClient,
  createTxSender,
  getDeal,
  getOrder,
  masterOf,
  parseUsdPerHour,
  pendingMasterOf,
  placeOrder,
  tokenBalance,
  type WriteMarketClient,
} from "../src/chain/mod.ts";
import { createLogger } from "../src/agent/base/mod.ts";
import { type Devnet, startDevnet } from "../src/agent/setup/mod.ts";
import {
  billsOf,
  consumerOf,
  createRigKeystore,
  rpc,
  type RunningAgent,
  startAgent,
  until,
  writeRigConfig,
} from "./_fixtures/workloads.ts";

Deno.test("an agent with a master registers as its worker; once confirmed, its deals pay the master", async () => {
  const dir = await Deno.makeTempDir({ prefix: "workloads-master-" });
  const masterKey = generatePrivateKey();
  const master = privateKeyToAccount(masterKey);
  let devnet: Devnet | undefined;
  let agent: RunningAgent | undefined;
  const chainRef: { close?: () => Promise<void> } = {};
  try {
    const worker = await createRigKeystore(dir);
    devnet = await startDevnet({
      logger: createLogger({ level: "error", write: () => {} }),
      fund: [worker, master.address],
    });
    const chain = await connectChain({ url: devnet.rpcUrl, chainId: devnet.chainId });
    chainRef.close = () => chain.close();
    const reader = createMarketClient(chain, { addresses: devnet.contracts });
    const config = await writeRigConfig(
      dir,
      devnet,
      `master: "${master.address}"
plans:
  - name: pays-master
    price_usd_per_hour: "0.36"
    resources: { cpu_cores: 0.5, ram: 64MiB }
`,
    );
    const hardware = await discoverHardware({ dataDir: dir });
    agent = await startAgent(config, { hardware, agentId: `workloads-master-${Date.now()}` });

    assert.equal(
      (await pendingMasterOf(reader, { worker })).toLowerCase(),
      master.address.toLowerCase(),
    );
    const text = agent.logs.map((l) => String(l.msg)).join("\n");
    assert.match(text, /registered as a worker; the master must confirm/);
    assert.ok(
      text.toLowerCase().includes(
        `cast send ${devnet.contracts.market} "confirmworker(address)" ${worker}`.toLowerCase(),
      ),
      text,
    );

    const masterMarket = createMarketClient(chain, {
      addresses: devnet.contracts,
      sender: createTxSender(chain, { account: master }),
    }) as WriteMarketClient;
    await confirmWorker(masterMarket, { worker });
    assert.equal(
      (await masterOf(reader, { who: worker })).toLowerCase(),
      master.address.toLowerCase(),
    );

    const consumer = consumerOf(chain, devnet, devnet.consumer.privateKey);
    const { orderId } = await placeOrder(consumer.market, {
      type: "BID",
      duration: 0n,
      price: parseUsdPerHour("0.36"),
    });
    const dealId = await until("the deal", async () => {
      const o = await getOrder(reader, { orderId });
      return o?.dealId ? o.dealId : undefined;
    });
    const deal = await getDeal(reader, { dealId });
    assert.equal(deal?.master.toLowerCase(), master.address.toLowerCase(), "the payee");
    assert.equal(deal?.supplier.toLowerCase(), worker.toLowerCase());

    const { balance: masterBefore } = await tokenBalance(reader, { who: master.address });
    const { balance: workerBefore } = await tokenBalance(reader, { who: worker });
    const from = await chain.public.getBlockNumber({ cacheTime: 0 });
    await rpc(devnet, "evm_increaseTime", [3600]);
    await rpc(devnet, "evm_mine", []);
    const bills = await until("a bill", async () => {
      const b = await billsOf(chain, devnet!, dealId, from);
      return b.length > 0 ? b : undefined;
    });
    const at = bills[0]!.blockNumber;
    const { balance: masterAfter } = await tokenBalance(reader, {
      who: master.address,
      blockNumber: at,
    });
    const { balance: workerAfter } = await tokenBalance(reader, { who: worker, blockNumber: at });
    assert.ok(bills[0]!.args.paidAmount > 0n);
    assert.equal(masterAfter - masterBefore, bills[0]!.args.paidAmount);
    assert.equal(workerAfter, workerBefore);

    // a restart finds the binding in place: no second registration
    await agent.stop();
    agent = await startAgent(config, { hardware, agentId: `workloads-master-${Date.now()}` });
    assert.ok(agent.logs.some((l) => l.msg === "bound to the master: deals pay it"));
  } finally {
    await agent?.stop();
    await chainRef.close?.();
    await devnet?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
