/**
 * Differential test: the Market contract's checkMatch (the rule checks of
 * openDeal) and the matcher's explainMatch must agree on every pair of a
 * random market: same verdict, same first failing custom error, and for
 * blacklists the same (owner, who) pair.
 */
import assert from "node:assert/strict";
import { type Abi, type Address, BaseError, ContractFunctionRevertedError } from "viem";
import { blacklistAbi, marketAbi, profileRegistryAbi } from "../src/chain/contracts.ts";
import {
  createMarketViews,
  explainMatch,
  type IdentityLevel,
  MARKET_RULES,
  type MarketOrder,
} from "../src/matcher/mod.ts";
import {
  type ChainFixture,
  type FixtureAccount,
  type OrderInput,
  type OrderStruct,
  placeOrder,
  startChainFixture,
  ZERO,
} from "./_fixtures/anvil.ts";
import { prng } from "./_fixtures/prng.ts";

const ROUNDS = 6;
const SEED = 20_261_123;

type ChainOrder = OrderStruct;

function toMarketOrder(id: bigint, o: ChainOrder): MarketOrder {
  return {
    id,
    type: o.orderType === 1 ? "BID" : "ASK",
    active: o.status === 2,
    author: o.author,
    counterparty: o.counterparty,
    duration: o.duration,
    price: o.price,
    netflags: o.netflags,
    identityLevel: o.identityLevel as IdentityLevel,
    blacklist: o.blacklist,
    tag: o.tag,
    benchmarks: o.benchmarks,
  };
}

async function contractVerdict(
  fx: ChainFixture,
  askId: bigint,
  bidId: bigint,
): Promise<{ ok: true } | { ok: false; errorName: string; args: readonly unknown[] }> {
  try {
    await fx.read("checkMatch", [askId, bidId]);
    return { ok: true };
  } catch (error) {
    const reverted = error instanceof BaseError
      ? error.walk((e) => e instanceof ContractFunctionRevertedError)
      : undefined;
    if (!(reverted instanceof ContractFunctionRevertedError) || reverted.data === undefined) {
      throw error;
    }
    return { ok: false, errorName: reverted.data.errorName, args: reverted.data.args ?? [] };
  }
}

Deno.test("Market.checkMatch() and the matcher's explainMatch() agree on random markets", async (t) => {
  await using fx = await startChainFixture();
  const random = prng(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const chance = (p: number) => random() < p;
  const [deployer, a1, a2, a3, a4, m5, m6, l7] = fx.accounts;
  assert.ok(deployer && a1 && a2 && a3 && a4 && m5 && m6 && l7);
  const actors = [a1, a2, a3, a4, m5, m6];
  let compared = 0;
  let matched = 0;
  const seen = new Set<string>();

  for (let round = 0; round < ROUNDS; round++) {
    await fx.step(t, `round ${round} (seed ${SEED})`, async () => {
      // The world: worker bindings, levels, blacklist entries.
      const masters: { worker: Address; master: Address }[] = [];
      const bindings: [FixtureAccount, FixtureAccount][] = [];
      if (chance(0.6)) bindings.push([a1, m5]);
      if (chance(0.4)) bindings.push([a4, m6]);
      for (const [worker, master] of bindings) {
        await fx.market(worker, "registerWorker", [master.address]);
        await fx.market(master, "confirmWorker", [worker.address]);
        masters.push({ worker: worker.address, master: master.address });
      }
      const levels: { address: Address; level: IdentityLevel }[] = [];
      for (const actor of actors) {
        const level = pick([0, 0, 1, 2, 3] as const);
        if (level === 0) continue;
        await fx.send(deployer, {
          address: fx.addresses.profiles,
          abi: profileRegistryAbi,
          functionName: "setLevel",
          args: [actor.address, level],
        });
        levels.push({ address: actor.address, level });
      }
      const blacklists: { owner: Address; listed: Address }[] = [];
      for (let i = 0; i < 3; i++) {
        const owner = pick([...actors, l7]);
        const listed = pick(actors);
        await fx.send(owner, {
          address: fx.addresses.blacklist,
          abi: blacklistAbi,
          functionName: "add",
          args: [listed.address],
        });
        blacklists.push({ owner: owner.address, listed: listed.address });
      }
      const views = createMarketViews({ masters, levels, blacklists });

      // The orders: asks from a1..a3, bids from a2..a4, small value domains.
      const flags = (pTrue: number) =>
        Array.from({ length: pick([0, 1, 2, 3]) }, () => chance(pTrue));
      const benches = (values: readonly bigint[]) =>
        Array.from({ length: pick([0, 1, 2, 4]) }, () => pick(values));
      const common = (): Omit<OrderInput, "orderType"> => ({
        counterparty: chance(0.8) ? ZERO : pick(actors).address,
        duration: pick([0n, 3_600n, 7_200n]),
        price: pick([10n, 20n, 30n]),
        identityLevel: pick([0, 0, 0, 1, 2, 3]),
        blacklist: chance(0.8) ? ZERO : pick([l7, m5]).address,
      });
      const ids: bigint[] = [];
      for (let i = 0; i < 6; i++) {
        ids.push(
          await placeOrder(fx, pick([a1, a2, a3]), {
            orderType: 2,
            ...common(),
            netflags: flags(0.8),
            benchmarks: benches([0n, 5n, 10n, 2n ** 63n - 1n]),
          }),
        );
        ids.push(
          await placeOrder(fx, pick([a2, a3, a4]), {
            orderType: 1,
            ...common(),
            netflags: flags(0.3),
            benchmarks: benches([0n, 0n, 5n, 10n]),
          }),
        );
      }
      // One cancelled order per round (rule 1).
      const cancelled = pick(ids);
      const author = (await fx.read<ChainOrder>("getOrder", [cancelled])).author;
      const owner = fx.accounts.find((a) => a.address === author);
      assert.ok(owner !== undefined);
      await fx.market(owner, "cancelOrder", [cancelled]);

      const orders = new Map<bigint, MarketOrder>();
      for (const id of ids) {
        orders.set(id, toMarketOrder(id, await fx.read<ChainOrder>("getOrder", [id])));
      }
      for (const x of ids) {
        for (const y of ids) {
          if (x === y) continue;
          const why = explainMatch({ ask: orders.get(x)!, bid: orders.get(y)! }, views);
          const got = await contractVerdict(fx, x, y);
          const label = `round ${round}: ask ${x}, bid ${y}: matcher says ${
            why.matched ? "match" : why.contractError
          }`;
          if (why.matched) {
            assert.ok(got.ok, `${label}, contract says ${got.ok ? "" : got.errorName}`);
            matched++;
            seen.add("match");
          } else {
            assert.ok(!got.ok, `${label}, contract says match`);
            assert.equal(got.errorName, why.contractError, label);
            if (why.contractError === "Blacklisted") {
              assert.deepEqual(
                got.args.map((a) => String(a).toLowerCase()),
                Object.values(why.values).map((v) => v.toLowerCase()),
                label,
              );
            }
            seen.add(why.contractError);
          }
          compared++;
        }
      }
    });
  }
  // The random market must have exercised matches and most rules.
  assert.ok(compared >= ROUNDS * 100, `compared ${compared} pairs`);
  assert.ok(matched > 0, "no pair matched");
  for (
    const name of [
      "match",
      "OrderNotActive",
      "OrderTypeMismatch",
      "CounterpartyMismatch",
      "Blacklisted",
      "PriceTooHigh",
      "DurationTooShort",
      "IdentityTooLow",
      "NetflagMissing",
      "BenchmarkTooLow",
    ]
  ) {
    assert.ok(seen.has(name), `no pair exercised ${name}; seen: ${[...seen].join(", ")}`);
  }
});

Deno.test("marketAbi declares every custom error the matcher reports", () => {
  const errors = new Set(
    (marketAbi as unknown as Abi).filter((x) => x.type === "error").map((x) =>
      "name" in x ? x.name : ""
    ),
  );
  for (const rule of MARKET_RULES) {
    for (const name of rule.contractErrors) assert.ok(errors.has(name), name);
  }
});
