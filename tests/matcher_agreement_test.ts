/**
 * Agreement of the matcher with the real Market contract on anvil: for
 * random (BID, ASK) pairs, placed as real orders with real worker bindings,
 * profile levels and blacklists, `openDeal` (simulated with eth_call)
 * succeeds exactly when the order book says the pair matches, and when it
 * reverts, it reverts with the custom error of the rule `explainMatch` names.
 *
 * Pairs come from `generateMarket({ profile: "edge" })`: about half match,
 * every rule fails sometimes, values sit at 0, 2^32, 2^53 + 1, 2^63 - 1, 2^80.
 *
 *   deno test -A tests/matcher_agreement_test.ts                       # 2,000 pairs
 *   SONM_AGREEMENT_PAIRS=100000 deno test -A tests/matcher_agreement_test.ts
 *   deno run -A bench/matcher_bench.ts --agreement-pairs 100000          # the same, from the bench
 */
import assert from "node:assert/strict";
import {
  type Abi,
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  encodeFunctionData,
  type Hex,
  keccak256,
  maxUint256,
  parseEventLogs,
  toHex,
  type TransactionReceipt,
} from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { blacklistAbi, marketAbi, profileRegistryAbi, tokenAbi } from "../src/chain/mod.ts";
import {
  createMarketViews,
  createOrderBook,
  explainMatch,
  type MarketOrder,
} from "../src/matcher/mod.ts";
// A test generator, private to the matcher (tests may import _ files).
import { generateMarket } from "../src/matcher/_generate_market.ts";
import { type ChainFixture, startChainFixture } from "./_fixtures/anvil.ts";

const PAIRS = Number(Deno.env.get("SONM_AGREEMENT_PAIRS") ?? "2000");
const SEED = 5_2026;
const ADDRESSES = 200;
const GAS = 3_000_000n;

/**
 * Signs locally (nonces tracked here) and sends raw transactions in parallel
 * batches: one RPC per transaction, no receipt polling until `settle()`.
 */
function createSender(fx: ChainFixture) {
  const nonces = new Map<Address, number>();
  const lastOf = new Map<Address, Promise<void>>();
  type Sent = { hash: Hex; raw: Hex; what: string };
  const queue: Promise<Sent>[] = [];
  const sent: Sent[] = [];
  const flush = async () => sent.push(...await Promise.all(queue.splice(0)));
  return {
    async send(
      from: PrivateKeyAccount,
      call: { to: Address; abi: Abi; functionName: string; args: readonly unknown[] },
    ): Promise<void> {
      let nonce = nonces.get(from.address);
      if (nonce === undefined) {
        nonce = await fx.publicClient.getTransactionCount({
          address: from.address,
          blockTag: "pending",
        });
      }
      nonces.set(from.address, nonce + 1);
      const data = encodeFunctionData(
        { abi: call.abi, functionName: call.functionName, args: call.args } as never,
      );
      const what = `${call.functionName} from ${from.address} (nonce ${nonce})`;
      // One account's transactions go out in nonce order (no gaps in anvil's pool);
      // different accounts' go out in parallel.
      const previous = lastOf.get(from.address) ?? Promise.resolve();
      const next = previous.then(async () => {
        const signed = await from.signTransaction({
          chainId: fx.publicClient.chain.id,
          type: "eip1559",
          to: call.to,
          data,
          nonce,
          gas: GAS,
          maxFeePerGas: 1_000_000_000_000n,
          maxPriorityFeePerGas: 1n,
        });
        const hash = await fx.publicClient.request({
          method: "eth_sendRawTransaction",
          params: [signed],
        });
        return { hash, raw: signed, what };
      });
      lastOf.set(from.address, next.then(() => undefined, () => undefined));
      queue.push(next);
      if (queue.length >= 64) await flush();
    },
    /**
     * Waits until every transaction sent so far is mined, asserts that each
     * succeeded, and returns the receipts in the order of the `send` calls.
     * Transactions of different accounts may be mined in any order: settle
     * between steps that depend on each other.
     */
    async settle(): Promise<TransactionReceipt[]> {
      await flush();
      const pending = sent.splice(0);
      const all: TransactionReceipt[] = [];
      for (let i = 0; i < pending.length; i += 100) {
        const chunk = pending.slice(i, i + 100);
        for (let attempt = 0;; attempt++) {
          const receipts = await Promise.all(
            chunk.map((x) =>
              fx.publicClient.getTransactionReceipt({ hash: x.hash }).catch(() => undefined)
            ),
          );
          if (receipts.every((r) => r !== undefined)) {
            receipts.forEach((r, j) => assert.equal(r?.status, "success", chunk[j]?.what));
            all.push(...receipts as TransactionReceipt[]);
            break;
          }
          if (attempt >= 600) {
            const stuck = chunk[receipts.indexOf(undefined)]!;
            const known = await fx.publicClient.request({
              method: "eth_getTransactionByHash",
              params: [stuck.hash],
            });
            const pool = await fx.publicClient.request({ method: "txpool_status" } as never);
            const block = await fx.publicClient.getBlock();
            assert.fail(
              `transactions not mined: ${stuck.what}: known ${JSON.stringify(known)}, pool ${
                JSON.stringify(pool)
              }, base fee ${block.baseFeePerGas}, gas used ${block.gasUsed}/${block.gasLimit}`,
            );
          }
          // Under load, anvil has been seen to drop an accepted transaction from
          // its pool (unknown by hash, pool empty): send the same signed bytes again.
          if (attempt % 10 === 9) {
            for (const [j, r] of receipts.entries()) {
              if (r !== undefined) continue;
              await fx.publicClient.request({
                method: "eth_sendRawTransaction",
                params: [chunk[j]!.raw],
              }).catch(() => undefined);
            }
            await fx.testClient.mine({ blocks: 1 });
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      return all;
    },
  };
}

type Verdict = { ok: true } | { ok: false; errorName: string };

async function openDealVerdict(
  fx: ChainFixture,
  from: Address,
  askId: bigint,
  bidId: bigint,
): Promise<Verdict> {
  try {
    await fx.publicClient.simulateContract({
      address: fx.addresses.market,
      abi: marketAbi,
      functionName: "openDeal",
      args: [askId, bidId],
      account: from,
    });
    return { ok: true };
  } catch (error) {
    const reverted = error instanceof BaseError
      ? error.walk((e) => e instanceof ContractFunctionRevertedError)
      : undefined;
    if (!(reverted instanceof ContractFunctionRevertedError) || reverted.data === undefined) {
      throw error;
    }
    return { ok: false, errorName: reverted.data.errorName };
  }
}

Deno.test(`openDeal() on the real Market succeeds exactly when the matcher matches (${PAIRS} pairs)`, async () => {
  await using fx = await startChainFixture({
    initialRate: 1n, // 1 token wei per USD: BIDs at the maximum price stay affordable
    pruneHistory: PAIRS > 5000,
  });
  const deployer = privateKeyToAccount(fx.accounts[0]!.privateKey);
  const accounts = Array.from(
    { length: ADDRESSES },
    (_, i) => privateKeyToAccount(keccak256(toHex(`sonm-matcher-agreement-${i}`))),
  );
  const byAddress = new Map(accounts.map((a) => [a.address.toLowerCase(), a]));
  const signer = (a: Address): PrivateKeyAccount => {
    const s = byAddress.get(a.toLowerCase());
    assert.ok(s !== undefined, `no key for ${a}`);
    return s;
  };
  const tx = createSender(fx);

  // Accounts: ether for gas, tokens, and the market's allowance.
  for (const a of accounts) {
    await fx.testClient.setBalance({ address: a.address, value: 10n ** 24n });
    await tx.send(deployer, {
      to: fx.addresses.token,
      abi: tokenAbi,
      functionName: "mint",
      args: [a.address, 10n ** 30n],
    });
    await tx.send(a, {
      to: fx.addresses.token,
      abi: tokenAbi,
      functionName: "approve",
      args: [fx.addresses.market, maxUint256],
    });
  }
  await tx.settle();

  // The world (worker bindings, levels, blacklists), on chain and shared by every chunk.
  const pool = accounts.map((a) => a.address.toLowerCase() as Address);
  const world = generateMarket({ seed: SEED, bids: 0, asks: 0, profile: "edge", addressPool: pool })
    .views;
  for (const { worker, master } of world.masters) {
    await tx.send(signer(worker), {
      to: fx.addresses.market,
      abi: marketAbi,
      functionName: "registerWorker",
      args: [master],
    });
  }
  await tx.settle(); // a master confirms only an announced worker
  for (const { worker, master } of world.masters) {
    await tx.send(signer(master), {
      to: fx.addresses.market,
      abi: marketAbi,
      functionName: "confirmWorker",
      args: [worker],
    });
  }
  for (const { address, level } of world.levels) {
    await tx.send(deployer, {
      to: fx.addresses.profiles,
      abi: profileRegistryAbi,
      functionName: "setLevel",
      args: [address, level],
    });
  }
  const key = (x: { owner: Address; listed: Address }) => `${x.owner}:${x.listed}`;
  const worldLists = new Set(world.blacklists.map(key));
  for (const { owner, listed } of world.blacklists) {
    await tx.send(signer(owner), {
      to: fx.addresses.blacklist,
      abi: blacklistAbi,
      functionName: "add",
      args: [listed],
    });
  }
  await tx.settle();
  // What the chain says must be what the matcher is told.
  for (const { worker, master } of world.masters.slice(0, 5)) {
    assert.equal((await fx.read<Address>("masterOf", [worker])).toLowerCase(), master);
  }

  let checked = 0, matched = 0;
  const errors = new Map<string, number>();
  for (let chunk = 0; checked < PAIRS; chunk++) {
    const n = Math.min(2000, PAIRS - checked);
    const m = generateMarket({
      seed: SEED + 1 + chunk,
      bids: n,
      asks: n,
      profile: "edge",
      addressPool: pool,
      views: world,
    });
    // Entries the generator added to break rule 3 for some pairs of this chunk.
    const extra = [...new Map(m.views.blacklists.map((x) => [key(x), x])).values()]
      .filter((x) => !worldLists.has(key(x)));
    for (const { owner, listed } of extra) {
      await tx.send(signer(owner), {
        to: fx.addresses.blacklist,
        abi: blacklistAbi,
        functionName: "add",
        args: [listed],
      });
    }

    await tx.settle();
    // The orders; their ids come from the OrderPlaced events.
    const before = await fx.read<bigint>("ordersAmount");
    for (const o of [...m.bids, ...m.asks]) {
      await tx.send(signer(o.author), {
        to: fx.addresses.market,
        abi: marketAbi,
        functionName: "placeOrder",
        args: [
          o.type === "BID" ? 1 : 2,
          o.counterparty,
          o.duration,
          o.price,
          o.netflags,
          o.identityLevel,
          o.blacklist,
          o.tag,
          o.benchmarks,
        ],
      });
    }
    const placed = await tx.settle();
    const ids = placed.map((r) => {
      const [event] = parseEventLogs({ abi: marketAbi, logs: r.logs, eventName: "OrderPlaced" });
      assert.ok(event !== undefined, "placeOrder emitted no OrderPlaced");
      return event.args.orderId;
    });
    const bids = m.bids.map((o, i): MarketOrder => ({ ...o, id: ids[i]! }));
    const asks = m.asks.map((o, i): MarketOrder => ({ ...o, id: ids[n + i]! }));
    for (const o of asks) {
      if (o.active) continue;
      await tx.send(signer(o.author), {
        to: fx.addresses.market,
        abi: marketAbi,
        functionName: "cancelOrder",
        args: [o.id],
      });
    }
    await tx.settle();
    assert.equal(await fx.read<bigint>("ordersAmount"), before + BigInt(2 * n));
    // The chain holds exactly the orders we think it does (a sample).
    for (const o of [bids[0]!, asks[n - 1]!, bids[Math.floor(n / 2)]!]) {
      const got = await fx.read<
        { author: Address; price: bigint; duration: bigint; benchmarks: readonly bigint[] }
      >("getOrder", [o.id]);
      assert.equal(got.author.toLowerCase(), o.author);
      assert.equal(got.price, o.price);
      assert.equal(got.duration, o.duration);
      assert.deepEqual(got.benchmarks, o.benchmarks);
    }

    // The matcher: every BID in one book, every ASK in another, with the same views.
    const data = { masters: world.masters, levels: world.levels, blacklists: m.views.blacklists };
    const views = createMarketViews(data);
    const bidsBook = createOrderBook({ views: data });
    const asksBook = createOrderBook({ views: data });
    for (const o of bids) bidsBook.add(o);
    for (const o of asks) asksBook.add(o);

    for (let i = 0; i < n; i += 50) {
      const batch = Array.from({ length: Math.min(50, n - i) }, (_, k) => i + k);
      const verdicts = await Promise.all(
        batch.map((j) => openDealVerdict(fx, deployer.address, asks[j]!.id, bids[j]!.id)),
      );
      batch.forEach((j, k) => {
        const bid = bids[j]!, ask = asks[j]!, verdict = verdicts[k]!;
        const label = `pair ${j} of chunk ${chunk} (ask ${ask.id}, bid ${bid.id})`;
        const said = verdict.ok ? "ok" : verdict.errorName;
        const inBook = bidsBook.matchAsk(ask).includes(bid.id);
        assert.equal(inBook, verdict.ok, `${label}: matchAsk says ${inBook}, openDeal ${said}`);
        const inAsks = asksBook.matchBid(bid).includes(ask.id);
        assert.equal(inAsks, verdict.ok, `${label}: matchBid says ${inAsks}, openDeal ${said}`);
        const why = explainMatch({ bid, ask }, views);
        if (verdict.ok) {
          assert.ok(why.matched, label);
          matched++;
        } else {
          assert.equal(why.matched ? "match" : why.contractError, verdict.errorName, label);
          errors.set(verdict.errorName, (errors.get(verdict.errorName) ?? 0) + 1);
        }
      });
    }
    checked += n;

    // Back to the shared world for the next chunk.
    for (const { owner, listed } of extra) {
      await tx.send(signer(owner), {
        to: fx.addresses.blacklist,
        abi: blacklistAbi,
        functionName: "remove",
        args: [listed],
      });
    }
    await tx.settle();
  }
  assert.equal(checked, PAIRS);
  assert.ok(matched > PAIRS * 0.3 && matched < PAIRS * 0.7, `${matched} of ${PAIRS} matched`);
  for (
    const name of [
      "OrderNotActive",
      "CounterpartyMismatch",
      "Blacklisted",
      "PriceTooHigh",
      "IdentityTooLow",
      "NetflagMissing",
      "BenchmarkTooLow",
    ]
  ) {
    assert.ok((errors.get(name) ?? 0) > 0, `no pair failed with ${name}`);
  }
});
