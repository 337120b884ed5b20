/**
 * The one chain fixture of the integration tests: a real anvil with the real
 * compiled contracts, funded accounts, viem clients, snapshots, and helpers to
 * send market transactions and decode custom-error reverts.
 *
 * ```ts ignore
 * Deno.test("Market.openDeal() ...", async (t) => {
 *   await using fx = await startChainFixture();
 *   await fx.step(t, "a case", async () => { ... }); // runs between evm_snapshot/evm_revert
 * });
 * ```
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type Abi,
  type Account,
  type Address,
  BaseError,
  type Chain,
  type ContractFunctionReturnType,
  ContractFunctionRevertedError,
  createPublicClient,
  createTestClient,
  createWalletClient,
  type Hex,
  http,
  maxUint256,
  parseEventLogs,
  type PublicClient,
  type TestClient,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { marketAbi, tokenAbi } from "../../src/chain/contracts.ts";
import { deployContracts, type MarketAddresses } from "../../src/chain/deploy_contracts.ts";
import { type AnvilInstance, startAnvil } from "../../src/chain/start_anvil.ts";

/** Market ABI plus the token's custom errors (a transferFrom inside the market can revert). */
export const marketWithTokenErrorsAbi = [
  ...marketAbi,
  ...tokenAbi.filter((item) => item.type === "error"),
] as const;

/** A funded test account with its own wallet client. */
export type FixtureAccount = {
  address: Address;
  privateKey: Hex;
  wallet: WalletClient<Transport, Chain, Account>;
};

/** Options of {@linkcode startChainFixture}. */
export type ChainFixtureOptions = {
  /** Oracle rate, token wei per USD. @default {10n ** 18n} */
  initialRate?: bigint | undefined;
  /** Tokens minted to each of accounts 1..9, in wei. @default {10n ** 24n} (1M SNMT) */
  tokensPerAccount?: bigint | undefined;
  /** Pass `--prune-history 8 --transaction-block-keeper 8` to anvil. @default {false} */
  pruneHistory?: boolean | undefined;
  /** With pruneHistory, also drop old blocks' transactions and logs. @default {true} */
  pruneTransactions?: boolean | undefined;
  /** Pass `--disable-block-gas-limit` to anvil (bulk seeding). @default {false} */
  disableBlockGasLimit?: boolean | undefined;
};

/** What {@linkcode startChainFixture} returns. */
export type ChainFixture = {
  anvil: AnvilInstance;
  publicClient: PublicClient<Transport, Chain>;
  testClient: TestClient<"anvil", Transport, Chain>;
  addresses: MarketAddresses;
  /** accounts[0] deployed and owns the contracts; 1..9 hold tokens and approved the market. */
  accounts: readonly FixtureAccount[];
  /** Sends a market transaction from `from` and returns its successful receipt. */
  market(
    from: FixtureAccount,
    functionName: string,
    args: readonly unknown[],
  ): Promise<TransactionReceipt>;
  /** Sends a transaction to any contract and returns its successful receipt. */
  send(
    from: FixtureAccount,
    call: { address: Address; abi: Abi; functionName: string; args?: readonly unknown[] },
  ): Promise<TransactionReceipt>;
  /** Reads a market view. */
  read<T = unknown>(functionName: string, args?: readonly unknown[]): Promise<T>;
  /** Token balance of `who`, in wei. */
  balance(who: Address): Promise<bigint>;
  /** Mines the next block at exactly `timestamp` (by sending nothing: use before a transaction). */
  setNextTimestamp(timestamp: bigint): Promise<void>;
  /** Timestamp of the latest block. */
  now(): Promise<bigint>;
  /** Runs `fn` as a test step between evm_snapshot and evm_revert. */
  step(t: Deno.TestContext, name: string, fn: () => Promise<void>): Promise<boolean>;
  /** Stops anvil. */
  cleanup(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
};

/**
 * Starts anvil, deploys the market contracts, mints tokens to accounts 1-9
 * and approves the market for each of them.
 */
export async function startChainFixture(options: ChainFixtureOptions = {}): Promise<ChainFixture> {
  const {
    initialRate = 10n ** 18n,
    tokensPerAccount = 10n ** 24n,
    pruneHistory = false,
    disableBlockGasLimit = false,
    pruneTransactions = true,
  } = options;
  const anvil = await startAnvil({
    port: 0,
    pruneHistory,
    disableBlockGasLimit,
    pruneTransactions,
  });
  try {
    const transport = http(anvil.rpcUrl);
    const publicClient = createPublicClient({ chain: foundry, transport, pollingInterval: 20 });
    const testClient = createTestClient({
      chain: foundry,
      mode: "anvil",
      transport,
      pollingInterval: 20,
    });
    const accounts: FixtureAccount[] = anvil.accounts.map((a) => ({
      address: a.address,
      privateKey: a.privateKey,
      wallet: createWalletClient({
        account: privateKeyToAccount(a.privateKey),
        chain: foundry,
        transport,
        pollingInterval: 20,
      }),
    }));
    const deployer = accounts[0];
    assert.ok(deployer !== undefined);
    const addresses = await deployContracts(deployer.wallet, { initialRate });

    const send: ChainFixture["send"] = async (from, call) => {
      const hash = await from.wallet.writeContract({
        address: call.address,
        abi: call.abi,
        functionName: call.functionName,
        args: call.args ?? [],
      } as never);
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      assert.equal(receipt.status, "success", `${call.functionName} reverted on chain`);
      return receipt;
    };
    const market: ChainFixture["market"] = (from, functionName, args) =>
      send(from, {
        address: addresses.market,
        abi: marketWithTokenErrorsAbi as unknown as Abi,
        functionName,
        args,
      });

    for (const account of accounts.slice(1)) {
      await send(deployer, {
        address: addresses.token,
        abi: tokenAbi,
        functionName: "mint",
        args: [account.address, tokensPerAccount],
      });
      await send(account, {
        address: addresses.token,
        abi: tokenAbi,
        functionName: "approve",
        args: [addresses.market, maxUint256],
      });
    }

    const cleanup = () => anvil.stop();
    return {
      anvil,
      publicClient,
      testClient,
      addresses,
      accounts,
      send,
      market,
      read: async <T>(functionName: string, args: readonly unknown[] = []) =>
        await publicClient.readContract({
          address: addresses.market,
          abi: marketAbi as unknown as Abi,
          functionName,
          args,
        }) as T,
      balance: (who) =>
        publicClient.readContract({
          address: addresses.token,
          abi: tokenAbi,
          functionName: "balanceOf",
          args: [who],
        }),
      setNextTimestamp: (timestamp) => testClient.setNextBlockTimestamp({ timestamp }),
      now: async () => (await publicClient.getBlock({ blockTag: "latest" })).timestamp,
      step: (t, name, fn) =>
        t.step(name, async () => {
          const id = await testClient.snapshot();
          try {
            await fn();
          } finally {
            await testClient.revert({ id });
          }
        }),
      cleanup,
      [Symbol.asyncDispose]: cleanup,
    };
  } catch (error) {
    await anvil.stop();
    throw error;
  }
}

/**
 * Awaits `action`, expects it to revert with the custom error `errorName`
 * (decoded from the ABI it was called with), and returns the error's args;
 * when `args` is given, they must equal them (addresses compared
 * case-insensitively).
 */
export async function expectRevert(
  action: Promise<unknown>,
  errorName: string,
  args?: readonly unknown[],
): Promise<readonly unknown[]> {
  let caught: unknown;
  try {
    await action;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, `expected a revert with ${errorName}, but the call succeeded`);
  assert.ok(caught instanceof BaseError, `expected a viem error, got ${String(caught)}`);
  const reverted = caught.walk((e) => e instanceof ContractFunctionRevertedError);
  assert.ok(
    reverted instanceof ContractFunctionRevertedError,
    `expected a contract revert with ${errorName}, got: ${caught.shortMessage}`,
  );
  assert.equal(reverted.data?.errorName, errorName, reverted.shortMessage);
  const actual = reverted.data?.args ?? [];
  if (args !== undefined) {
    assert.deepEqual(normalize(actual), normalize(args));
  }
  return actual;
}

function normalize(values: readonly unknown[]): unknown[] {
  return values.map((v) =>
    typeof v === "string" && /^0x[0-9a-fA-F]{40}$/.test(v) ? v.toLowerCase() : v
  );
}

/** Order fields with defaults, as `placeOrder` takes them. */
export type OrderInput = {
  orderType: 1 | 2;
  counterparty?: Address;
  duration?: bigint;
  price?: bigint;
  netflags?: readonly boolean[];
  identityLevel?: number;
  blacklist?: Address;
  tag?: Hex;
  benchmarks?: readonly bigint[];
};

/** The Market's Order struct as viem decodes it (derived from the ABI). */
export type OrderStruct = ContractFunctionReturnType<typeof marketAbi, "view", "getOrder">;

/** The Market's Deal struct as viem decodes it (derived from the ABI). */
export type DealStruct = ContractFunctionReturnType<typeof marketAbi, "view", "getDeal">;

/** The zero address. */
export const ZERO: Address = "0x0000000000000000000000000000000000000000";

/** `placeOrder` args from an {@linkcode OrderInput} (price 1e12 USD x 1e18 per second by default). */
export function orderArgs(o: OrderInput): readonly unknown[] {
  return [
    o.orderType,
    o.counterparty ?? ZERO,
    o.duration ?? 3600n,
    o.price ?? 10n ** 12n,
    o.netflags ?? [],
    o.identityLevel ?? 0,
    o.blacklist ?? ZERO,
    o.tag ?? `0x${"00".repeat(32)}`,
    o.benchmarks ?? [],
  ];
}

/** Places an order from `from` and returns its id (from the OrderPlaced event). */
export async function placeOrder(
  fx: ChainFixture,
  from: FixtureAccount,
  order: OrderInput,
): Promise<bigint> {
  const receipt = await fx.market(from, "placeOrder", orderArgs(order));
  const [placed] = parseEventLogs({ abi: marketAbi, logs: receipt.logs, eventName: "OrderPlaced" });
  assert.ok(placed !== undefined, "placeOrder emitted no OrderPlaced");
  return placed.args.orderId;
}

/** Opens a deal from `from` and returns its id (from the DealOpened event). */
export async function openDeal(
  fx: ChainFixture,
  from: FixtureAccount,
  askId: bigint,
  bidId: bigint,
): Promise<bigint> {
  const receipt = await fx.market(from, "openDeal", [askId, bidId]);
  const [opened] = parseEventLogs({ abi: marketAbi, logs: receipt.logs, eventName: "DealOpened" });
  assert.ok(opened !== undefined, "openDeal emitted no DealOpened");
  return opened.args.dealId;
}

/** `price * secs * rate / 1e18`, as the market computes payments. */
export function cost(price: bigint, secs: bigint, rate: bigint): bigint {
  return price * secs * rate / 10n ** 18n;
}
