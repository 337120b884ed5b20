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
  toHex,
} from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { blacklistAbi, marketAbi, profileRegistryAbi, tokenAbi } from "../src/chain/contracts.ts";
import {
  createMarketViews,
  createOrderBook,
  explainMatch,
  generateMarket,
  type MarketOrder,
} from "../src/matcher/mod.ts";
import { type ChainFixture, startChainFixture } from "./_fixtures/anvil.ts";

const PAIRS = Number(Deno.env.get("SONM_AGREEMENT_PAIRS") ?? "2000");
const SEED = 5_2026;
const ADDRESSES = 200;
const GAS = 3_000_000n;

/** Signs locally and sends raw transactions: one RPC per transaction, nonces tracked here. */
function createSender(fx: ChainFixture) {
  const nonces = new Map<Address, number>();
  const hashes: { hash: Hex; what: string }[] = [];
  return {
    async send(
      from: PrivateKeyAccount,
      call: { to: Address; abi: Abi; functionName: string; args: readonly unknown[] },
    ): Promise<void> {
      const nonce = nonces.get(from.address) ??
        await fx.publicClient.getTransactionCount({ address: from.address });
      nonces.set(from.address, nonce + 1);
      const data = encodeFunctionData(
        { abi: call.abi, functionName: call.functionName, args: call.args } as never,
      );
      const signed = await from.signTransaction({
        chainId: fx.publicClient.chain.id,
        type: "eip1559",
        to: call.to,
        data,
        nonce,
        gas: GAS,
        maxFeePerGas: 100_000_000_000n,
        maxPriorityFeePerGas: 1n,
      });
      const hash = await fx.publicClient.request({
        method: "eth_sendRawTransaction",
        params: [signed],
      });
      hashes.push({ hash, what: `${call.functionName} from ${from.address}` });
    },
    /** Waits for every sent transaction and asserts that each succeeded. */
    async settle(): Promise<void> {
      const pending = hashes.splice(0);
      for (let i = 0; i < pending.length; i += 200) {
        const chunk = pending.slice(i, i + 200);
        const receipts = await Promise.all(
          chunk.map((x) => fx.publicClient.waitForTransactionReceipt({ hash: x.hash })),
        );
        receipts.forEach((r, j) => assert.equal(r.status, "success", chunk[j]?.what));
      }
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

    // The orders: ids are consecutive from ordersAmount() + 1, BIDs then ASKs.
    const first = (await fx.read<bigint>("ordersAmount")) + 1n;
    const bids = m.bids.map((o, i): MarketOrder => ({ ...o, id: first + BigInt(i) }));
    const asks = m.asks.map((o, i): MarketOrder => ({ ...o, id: first + BigInt(n + i) }));
    for (const o of [...bids, ...asks]) {
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
    assert.equal(await fx.read<bigint>("ordersAmount"), first - 1n + BigInt(2 * n));
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
