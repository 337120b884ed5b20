import {
  type Account,
  type Address,
  type Chain,
  type Client,
  getAddress,
  type Hash,
  type Transport,
} from "viem";
import {
  deployContract,
  getTransactionCount,
  waitForTransactionReceipt,
  writeContract,
} from "viem/actions";
import {
  blacklistAbi,
  blacklistBytecode,
  marketAbi,
  marketBytecode,
  oracleAbi,
  oracleBytecode,
  profileRegistryAbi,
  profileRegistryBytecode,
  tokenAbi,
  tokenBytecode,
} from "./contracts.ts";
import {
  ChainInputError,
  type ChainInputErrorType,
  ChainRevertError,
  type ChainRevertErrorType,
  ChainUnexpectedError,
  type ChainUnexpectedErrorType,
} from "./errors.ts";

/** Addresses of a deployed market (checksummed). */
export type MarketAddresses = {
  token: Address;
  oracle: Address;
  blacklist: Address;
  profiles: Address;
  market: Address;
};

/** Options of {@linkcode deployContracts}. */
export type DeployContractsOptions = {
  /**
   * Longest benchmarks array an order may carry (ids 0-12 in use, 13-14 reserved).
   *
   * @default {15}
   */
  benchmarksQuantity?: number | undefined;
  /**
   * Longest netflags array an order may carry (overlay, outbound, incoming).
   *
   * @default {3}
   */
  netflagsQuantity?: number | undefined;
  /**
   * Oracle rate at deployment: token wei per 1 USD (0 < rate <= 2^96).
   *
   * @default {10n ** 18n} (1 SNMT per USD)
   */
  initialRate?: bigint | undefined;
  /**
   * How often to poll for each receipt, in milliseconds (the client's own interval, 4 s
   * by default for HTTP, would make a local deployment take seconds).
   *
   * @default {100}
   */
  pollingInterval?: number | undefined;
  /** Checked between transactions (viem's actions take no signal). */
  signal?: AbortSignal | undefined;
};

/** What {@linkcode deployContracts} may throw. */
export type DeployContractsErrorType =
  | ChainInputErrorType
  | ChainRevertErrorType
  | ChainUnexpectedErrorType;

const MAX_RATE = 2n ** 96n;

/**
 * Deploys Token, Oracle, Blacklist, ProfileRegistry and Market from the
 * client's account, wires them (`Blacklist.setMarket(market)`) and waits for
 * every receipt. The deployer owns Token, Oracle, Blacklist and
 * ProfileRegistry (and is a ProfileRegistry admin).
 *
 * @param client A viem wallet client with an account (and chain) set.
 * @param options Market sizes and the oracle's initial rate.
 * @returns The contracts' addresses.
 *
 * @example
 * ```ts ignore
 * import { createWalletClient, http } from "viem";
 * import { privateKeyToAccount } from "viem/accounts";
 * import { foundry } from "viem/chains";
 * import { deployContracts } from "./deploy_contracts.ts";
 * import { startAnvil } from "./start_anvil.ts";
 *
 * const anvil = await startAnvil();
 * const client = createWalletClient({
 *   account: privateKeyToAccount(anvil.accounts[0]!.privateKey),
 *   chain: foundry,
 *   transport: http(anvil.rpcUrl),
 * });
 * const addresses = await deployContracts(client, { initialRate: 2n * 10n ** 18n });
 * console.log(addresses.market);
 * await anvil.stop();
 * ```
 */
export async function deployContracts(
  client: Client<Transport, Chain | undefined, Account>,
  options: DeployContractsOptions = {},
): Promise<MarketAddresses> {
  const {
    benchmarksQuantity = 15,
    netflagsQuantity = 3,
    initialRate = 10n ** 18n,
    pollingInterval = 100,
    signal,
  } = options;
  checkCount("benchmarksQuantity", benchmarksQuantity);
  checkCount("netflagsQuantity", netflagsQuantity);
  if (initialRate <= 0n || initialRate > MAX_RATE) {
    throw new ChainInputError({
      action: "deploy contracts",
      field: "initialRate",
      value: initialRate,
      detail: "must be in 1..2^96",
    });
  }
  signal?.throwIfAborted();

  const account = client.account;
  const chain = client.chain ?? null;
  const nonce = await getTransactionCount(client, {
    address: account.address,
    blockTag: "pending",
  });

  // The four independent contracts are mined in parallel, but each is sent
  // only after the previous send returned: anvil's automine can leave a
  // transaction in its pool forever when one sender's nonces arrive out of
  // order (foundry-rs/foundry#10122), which parallel sends cause under load.
  const sends: { name: string; hash: `0x${string}` }[] = [];
  sends.push({
    name: "Token",
    hash: await deployContract(client, {
      abi: tokenAbi,
      bytecode: tokenBytecode,
      account,
      chain,
      nonce,
    }),
  });
  sends.push({
    name: "Oracle",
    hash: await deployContract(client, {
      abi: oracleAbi,
      bytecode: oracleBytecode,
      args: [initialRate],
      account,
      chain,
      nonce: nonce + 1,
    }),
  });
  sends.push({
    name: "Blacklist",
    hash: await deployContract(client, {
      abi: blacklistAbi,
      bytecode: blacklistBytecode,
      account,
      chain,
      nonce: nonce + 2,
    }),
  });
  sends.push({
    name: "ProfileRegistry",
    hash: await deployContract(client, {
      abi: profileRegistryAbi,
      bytecode: profileRegistryBytecode,
      account,
      chain,
      nonce: nonce + 3,
    }),
  });
  const [token, oracle, blacklist, profiles] = await Promise.all(
    sends.map((sent) => deployOne(client, pollingInterval, sent.name, Promise.resolve(sent.hash))),
  ) as [Address, Address, Address, Address];
  signal?.throwIfAborted();

  const market = await deployOne(
    client,
    pollingInterval,
    "Market",
    deployContract(client, {
      abi: marketAbi,
      bytecode: marketBytecode,
      args: [
        token,
        blacklist,
        profiles,
        oracle,
        BigInt(benchmarksQuantity),
        BigInt(netflagsQuantity),
      ],
      account,
      chain,
      nonce: nonce + 4,
    }),
  );
  signal?.throwIfAborted();

  const wired = await writeContract(client, {
    address: blacklist,
    abi: blacklistAbi,
    functionName: "setMarket",
    args: [market],
    account,
    chain,
    nonce: nonce + 5,
  });
  const receipt = await waitForTransactionReceipt(client, { hash: wired, pollingInterval });
  if (receipt.status !== "success") {
    throw new ChainRevertError({ functionName: "setMarket", txHash: wired });
  }
  return { token, oracle, blacklist, profiles, market };
}

function checkCount(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 256) {
    throw new ChainInputError({
      action: "deploy contracts",
      field,
      value,
      detail: "must be an integer in 0..256",
    });
  }
}

async function deployOne(
  client: Client<Transport, Chain | undefined, Account>,
  pollingInterval: number,
  name: string,
  sent: Promise<Hash>,
): Promise<Address> {
  const hash = await sent;
  const receipt = await waitForTransactionReceipt(client, { hash, pollingInterval });
  if (receipt.status !== "success") {
    throw new ChainRevertError({ functionName: `deploy ${name}`, txHash: hash });
  }
  if (receipt.contractAddress === null || receipt.contractAddress === undefined) {
    throw new ChainUnexpectedError(
      `Cannot deploy ${name}: receipt of "${hash}" has no contract address`,
    );
  }
  return getAddress(receipt.contractAddress);
}
