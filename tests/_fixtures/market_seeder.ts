/**
 * Builds a big market fast with the test-only MarketSeeder contract: a few
 * seeders (one order author each) place pseudo-random orders in bulk, a few
 * thousand per transaction (anvil must run with `--disable-block-gas-limit`).
 *
 * ```ts ignore
 * const fx = await startChainFixture({ disableBlockGasLimit: true, pruneHistory: true });
 * const seeded = await seedMarket(fx.accounts[0]!.wallet, fx.publicClient, fx.addresses, { orders: 100_000 });
 * ```
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Account, Address, Chain, PublicClient, Transport, WalletClient } from "viem";
import { marketSeederAbi, marketSeederBytecode } from "../../contracts/artifacts/MarketSeeder.ts";
import { tokenAbi } from "../../src/chain/contracts.ts";
import type { MarketAddresses } from "../../src/chain/deploy_contracts.ts";

/** Options of {@linkcode seedMarket}. */
export type SeedMarketOptions = {
  /** Orders to place in all. */
  orders: number;
  /** Orders per transaction. @default {2000} */
  perTx?: number | undefined;
  /** Seeder contracts, i.e. distinct order authors. @default {4} */
  seeders?: number | undefined;
  /** Seed of the pseudo-random fields. @default {1n} */
  seed?: bigint | undefined;
  /** Most benchmarks per order. @default {13} */
  maxBenchmarks?: number | undefined;
  /** Prices are 1..maxPrice. @default {1_000_000n} */
  maxPrice?: bigint | undefined;
  /** Called after each transaction with the orders placed so far. */
  onProgress?: ((placed: number) => void) | undefined;
};

/** Deploys the seeders (funded, market approved) and places `orders` orders. */
export async function seedMarket(
  wallet: WalletClient<Transport, Chain, Account>,
  publicClient: PublicClient<Transport, Chain>,
  addresses: MarketAddresses,
  options: SeedMarketOptions,
): Promise<{ seeders: Address[] }> {
  const { orders, perTx = 2000, seeders: count = 4, seed = 1n, maxBenchmarks = 13 } = options;
  const maxPrice = options.maxPrice ?? 1_000_000n;
  const seeders: Address[] = [];
  for (let i = 0; i < count; i++) {
    const hash = await wallet.deployContract({
      abi: marketSeederAbi,
      bytecode: marketSeederBytecode,
      args: [addresses.market, addresses.token],
    });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    assert.ok(receipt.contractAddress, "MarketSeeder deployment has no address");
    seeders.push(receipt.contractAddress);
    await publicClient.waitForTransactionReceipt({
      hash: await wallet.writeContract({
        address: addresses.token,
        abi: tokenAbi,
        functionName: "mint",
        args: [receipt.contractAddress, 10n ** 30n],
      }),
    });
  }
  let placed = 0;
  for (let tx = 0; placed < orders; tx++) {
    const n = Math.min(perTx, orders - placed);
    const hash = await wallet.writeContract({
      address: seeders[tx % count]!,
      abi: marketSeederAbi,
      functionName: "seed",
      args: [BigInt(n), seed * 1_000_000n + BigInt(tx), maxPrice, BigInt(maxBenchmarks)],
      gas: BigInt(n) * 450_000n + 100_000n,
    });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, "success", `MarketSeeder.seed reverted in transaction ${tx}`);
    placed += n;
    options.onProgress?.(placed);
  }
  return { seeders };
}
