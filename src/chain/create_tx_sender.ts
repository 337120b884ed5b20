import {
  type Abi,
  type Address,
  BaseError,
  type Chain,
  type ContractFunctionArgs,
  type ContractFunctionName,
  encodeFunctionData,
  type EncodeFunctionDataParameters,
  type EstimateContractGasParameters,
  type Hex,
  keccak256,
  type LocalAccount,
  NonceTooLowError,
  type SimulateContractParameters,
  type TransactionReceipt,
  WaitForTransactionReceiptTimeoutError,
} from "viem";
import type { ChainClient } from "./connect_chain.ts";
import {
  ChainError,
  type ChainErrorType,
  ChainRevertError,
  type ChainRevertErrorType,
  ChainRpcError,
  type ChainRpcErrorType,
  ChainTxTimeoutError,
  type ChainTxTimeoutErrorType,
  type MarketRefs,
} from "./errors.ts";
import { asWorldFailure, isTransient, shortText, sleep, withRetry } from "./_retry.ts";
import { toRevertError } from "./_revert.ts";
import { classifyRpcError } from "./rpc_dialects.ts";

/** A transaction the node accepted into its pool, before its receipt. */
export type SentTransaction = { hash: Hex; nonce: bigint };

/** The last nonce an account used, as persisted by a {@linkcode NonceStore}. */
export type NonceEntry = { nonce: bigint; txHash: Hex };

/** Where a sender keeps the last nonce it used, so a restart continues safely. */
export interface NonceStore {
  loadNonce(address: Address): NonceEntry | undefined;
  saveNonce(address: Address, entry: NonceEntry): void;
}

/** A plain transaction (an ETH transfer, or raw calldata). */
export type SendTransactionParameters = {
  to: Address;
  data?: Hex | undefined;
  value?: bigint | undefined;
  /** Name for error messages (default `"send transaction"`). */
  description?: string | undefined;
  /** Called once the node accepted the transaction (its nonce is stored), before its receipt. */
  onSent?: ((tx: SentTransaction) => void) | undefined;
  signal?: AbortSignal | undefined;
};

/** Names of the functions of `abi` that a transaction calls. */
export type WriteFunctionName<abi extends Abi> = ContractFunctionName<
  abi,
  "nonpayable" | "payable"
>;

/**
 * A contract call, typed by the const ABI (viem's function names and args);
 * reverts are decoded with `abi`.
 */
export type WriteContractParameters<
  abi extends Abi = Abi,
  functionName extends WriteFunctionName<abi> = WriteFunctionName<abi>,
  args extends ContractFunctionArgs<abi, "nonpayable" | "payable", functionName> =
    ContractFunctionArgs<abi, "nonpayable" | "payable", functionName>,
> = {
  address: Address;
  abi: abi;
  functionName: functionName;
  args: args;
  value?: bigint | undefined;
  /** The ids the call is about, carried by its errors. */
  refs?: MarketRefs | undefined;
  /** Called once the node accepted the transaction (its nonce is stored), before its receipt. */
  onSent?: ((tx: SentTransaction) => void) | undefined;
  signal?: AbortSignal | undefined;
};

/** Serialized, nonce-managed sending for one account. */
export type TxSender = {
  readonly address: Address;
  readonly client: ChainClient;
  sendTransaction(params: SendTransactionParameters): Promise<TransactionReceipt>;
  writeContract<
    const abi extends Abi,
    functionName extends WriteFunctionName<abi>,
    const args extends ContractFunctionArgs<abi, "nonpayable" | "payable", functionName>,
  >(params: WriteContractParameters<abi, functionName, args>): Promise<TransactionReceipt>;
};

/** Options of {@linkcode createTxSender}. */
export type CreateTxSenderOptions = {
  account: LocalAccount;
  nonceStore?: NonceStore | undefined;
  /** How long to wait for a receipt, ms (default 120000). */
  receiptTimeoutMs?: number | undefined;
  /**
   * Gas limit = estimate x (100 + gasMarginPercent) / 100 + gasHeadroom.
   * The headroom covers paths that depend on the block's time (a bill one
   * second later pays and so transfers, where the estimate did not).
   * Default 25 % and 60000; unused gas is not paid for.
   */
  gasMarginPercent?: number | undefined;
  gasHeadroom?: bigint | undefined;
};

/** A signed transaction: its nonce, raw bytes and hash. */
type Signed = { nonce: bigint; raw: Hex; hash: Hex };

/** Errors of a send. */
export type TxSenderErrorType =
  | ChainRevertErrorType
  | ChainRpcErrorType
  | ChainTxTimeoutErrorType
  | ChainErrorType;

/**
 * Creates a transaction sender for one account. Only the broadcasts are
 * serialized, through a queue, so that concurrent callers get distinct,
 * gapless nonces: estimates and receipts run side by side, and k concurrent
 * sends are pipelined into the pool one after the other, ready for one
 * block (`onSent` tells each caller when its transaction is in);
 * the first send takes the chain's pending nonce (and the store's last
 * nonce when the node still knows that transaction), each send persists
 * the nonce it used. Gas is estimated first (a revert at estimation throws
 * the decoded {@linkcode ChainRevertError} and uses no nonce); transient RPC
 * failures are retried with backoff; the receipt is awaited with a timeout,
 * and a transaction reverted on chain throws too: a send that returns has
 * succeeded. A send whose fate is unknown (the RPC failed after the node may
 * have taken it, or while waiting for its receipt) is kept: the next send of
 * the same call sends that very transaction again, so a retried call after
 * an outage never spends twice.
 *
 * @example
 * ```ts ignore
 * import { createTxSender } from "./create_tx_sender.ts";
 * const sender = createTxSender(client, { account });
 * const receipt = await sender.sendTransaction({ to: "0x...", value: 1n });
 * ```
 */
export function createTxSender(client: ChainClient, options: CreateTxSenderOptions): TxSender {
  const {
    account,
    nonceStore,
    receiptTimeoutMs = 120_000,
    gasMarginPercent = 25,
    gasHeadroom = 60_000n,
  } = options;
  const pub = client.public;
  let next: bigint | undefined; // next nonce to use; undefined = ask the chain
  let tail: Promise<unknown> = Promise.resolve();
  /**
   * Transactions whose fate is unknown (their send, or the wait for their
   * receipt, failed on the RPC: they may be mined). The next send of the same
   * call sends that one again (same nonce, same hash): a node that got it
   * answers "known", so a retried bill or openDeal never goes out twice.
   * A list, since pipelined sends can be in doubt together.
   */
  const inDoubt: {
    to: Address;
    data: Hex | undefined;
    value: bigint | undefined;
    signed: Signed;
  }[] = [];
  const sameCall = (
    a: { to: Address; data: Hex | undefined; value: bigint | undefined },
    b: { to: Address; data: Hex | undefined; value: bigint | undefined },
  ) =>
    a.to.toLowerCase() === b.to.toLowerCase() && a.data === b.data &&
    (a.value ?? 0n) === (b.value ?? 0n);

  function serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = tail.then(fn);
    tail = run.catch(() => {});
    return run;
  }

  async function resolveNonce(signal?: AbortSignal): Promise<bigint> {
    const pending = BigInt(
      await withRetry(client, {
        action: `read the nonce of ${account.address}`,
        signal,
        fn: () => pub.getTransactionCount({ address: account.address, blockTag: "pending" }),
      }),
    );
    const stored = nonceStore?.loadNonce(account.address);
    if (stored === undefined || stored.nonce < pending) return pending;
    // The store is ahead of the node: trust it only when the node knows our last tx.
    const known = await withRetry(client, {
      action: `look up transaction ${stored.txHash}`,
      signal,
      fn: () =>
        pub.getTransaction({ hash: stored.txHash }).then(() => true, (e) => {
          if (isTransient(e)) throw e;
          return false;
        }),
    });
    return known ? stored.nonce + 1n : pending;
  }

  async function broadcast(
    tx: { to: Address; data: Hex | undefined; value: bigint | undefined; gas: bigint },
    what: string,
    signal: AbortSignal | undefined,
  ): Promise<Signed> {
    return await serialized(async () => {
      const fees = await withRetry(client, {
        action: `${what}: estimate fees`,
        signal,
        fn: () => pub.estimateFeesPerGas(),
      }).catch((e: unknown) => {
        throw asWorldFailure(e, `${what}: estimate fees`);
      });
      const { attempts, backoffMs } = client.retry;
      const sign = async (nonce: bigint): Promise<Signed> => {
        const raw = await account.signTransaction({
          chainId: client.chain.id,
          type: "eip1559",
          to: tx.to,
          data: tx.data,
          value: tx.value,
          gas: tx.gas,
          nonce: Number(nonce),
          maxFeePerGas: fees.maxFeePerGas,
          maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
        });
        return { nonce, raw, hash: keccak256(raw) };
      };
      const doubtful = inDoubt.findIndex((d) => sameCall(d, tx));
      const again = doubtful < 0 ? undefined : inDoubt.splice(doubtful, 1)[0]!.signed;
      next ??= await resolveNonce(signal);
      let signed = again ?? await sign(next);
      let last: unknown;
      for (let i = 0; i < attempts; i++) {
        signal?.throwIfAborted();
        let sent = false;
        try {
          await pub.sendRawTransaction({ serializedTransaction: signed.raw });
          sent = true;
        } catch (e) {
          last = e;
          const kind = classifyRpcError(e);
          if (kind === "already-known") {
            sent = true; // an earlier attempt got through and waits in the pool
          } else if (
            kind === "nonce-too-low" || kind === "underpriced" ||
            (e instanceof BaseError && e.walk((x) => x instanceof NonceTooLowError) !== null)
          ) {
            // an earlier attempt got through (mined, or waiting with this nonce), or someone
            // else used the nonce: ours when the node knows our hash, else take the next one
            if (await isKnown(signed.hash, signal)) {
              sent = true;
            } else {
              next = await resolveNonce(signal);
              signed = await sign(next);
              continue;
            }
          } else if (isTransient(e)) {
            // resend the same signed transaction: same nonce, same hash, never a second spend
            if (i + 1 < attempts) await sleep(backoffMs * 2 ** i, signal);
            continue;
          } else {
            next = undefined;
            throw new ChainError(`Cannot ${what}: node refused the transaction: ${shortText(e)}`, {
              cause: e,
              hints: kind === "insufficient-funds"
                ? [`Fund ${account.address} with the chain's native coin for gas`]
                : [],
            });
          }
        }
        if (sent) {
          next = signed.nonce + 1n;
          nonceStore?.saveNonce(account.address, { nonce: signed.nonce, txHash: signed.hash });
          return signed;
        }
      }
      next = undefined; // it may have got through: ask the chain next time
      inDoubt.push({ to: tx.to, data: tx.data, value: tx.value, signed });
      throw new ChainRpcError(
        { action: what, url: client.url, attempts, detail: shortText(last) },
        {
          cause: last,
          hints: [`Transaction "${signed.hash}" may still be mined: check it before sending again`],
        },
      );
    });
  }

  async function isKnown(hash: Hex, signal: AbortSignal | undefined): Promise<boolean> {
    return await withRetry(client, {
      action: `look up transaction ${hash}`,
      signal,
      fn: () =>
        pub.getTransaction({ hash }).then(() => true, (e) => {
          if (isTransient(e)) throw e;
          return false;
        }),
    });
  }

  async function waitReceipt(
    hash: Hex,
    what: string,
    signal: AbortSignal | undefined,
  ): Promise<TransactionReceipt> {
    try {
      return await withRetry(client, {
        action: `${what}: wait for receipt of ${hash}`,
        signal,
        fn: () => pub.waitForTransactionReceipt({ hash, timeout: receiptTimeoutMs }),
      });
    } catch (e) {
      if (e instanceof WaitForTransactionReceiptTimeoutError) {
        // the tx may have been dropped (a reorg, a node restart): ask the chain next time
        next = undefined;
        throw new ChainTxTimeoutError({
          functionName: what,
          txHash: hash,
          timeoutMs: receiptTimeoutMs,
        });
      }
      throw asWorldFailure(e, `${what}: wait for receipt of ${hash}`);
    }
  }

  function withMargin(gas: bigint): bigint {
    return gas * BigInt(100 + gasMarginPercent) / 100n + gasHeadroom;
  }

  function failedDetail(receipt: TransactionReceipt, limit: bigint): string {
    return receipt.gasUsed >= limit
      ? `ran out of gas on chain: used all ${limit}`
      : "reverted on chain, and a replay at its block does not revert";
  }

  return {
    address: account.address,
    client,

    async sendTransaction({ to, data, value, description, onSent, signal }) {
      const what = description ?? "send transaction";
      let gas: bigint;
      try {
        gas = await withRetry(client, {
          action: `${what}: estimate gas`,
          signal,
          fn: () => pub.estimateGas({ account: account.address, to, data, value }),
        });
      } catch (e) {
        throw toRevertError(e, { functionName: what }) ??
          asWorldFailure(e, `${what}: estimate gas`);
      }
      const limit = withMargin(gas);
      const signed = await broadcast({ to, data, value, gas: limit }, what, signal);
      onSent?.({ hash: signed.hash, nonce: signed.nonce });
      const hash = signed.hash;
      const receipt = await waitReceipt(hash, what, signal).catch((e: unknown) => {
        inDoubt.push({ to, data, value, signed }); // mined or not: the same call sends it again
        throw e;
      });
      if (receipt.status !== "success") {
        throw new ChainRevertError({
          functionName: what,
          txHash: hash,
          detail: failedDetail(receipt, limit),
        });
      }
      return receipt;
    },

    async writeContract<
      const abi extends Abi,
      functionName extends WriteFunctionName<abi>,
      const args extends ContractFunctionArgs<abi, "nonpayable" | "payable", functionName>,
    >(params: WriteContractParameters<abi, functionName, args>) {
      const { address, abi, functionName, args, value, refs, onSent, signal } = params;
      const call = {
        address,
        abi,
        functionName,
        args,
        value,
        account: account.address,
      } as EstimateContractGasParameters<abi, functionName, args, Chain>;
      let gas: bigint;
      try {
        gas = await withRetry(client, {
          action: `${functionName}: estimate gas`,
          signal,
          fn: () => pub.estimateContractGas(call),
        });
      } catch (e) {
        throw toRevertError(e, { functionName, refs }) ??
          asWorldFailure(e, `${functionName}: estimate gas`);
      }
      const encode = { abi, functionName, args } as EncodeFunctionDataParameters<abi, functionName>;
      const data = encodeFunctionData<abi, functionName>(encode);
      const limit = withMargin(gas);
      const signed = await broadcast(
        { to: address, data, value, gas: limit },
        functionName,
        signal,
      );
      onSent?.({ hash: signed.hash, nonce: signed.nonce });
      const hash = signed.hash;
      const receipt = await waitReceipt(hash, functionName, signal).catch((e: unknown) => {
        inDoubt.push({ to: address, data, value, signed }); // mined or not: the same call sends it again
        throw e;
      });
      if (receipt.status === "success") return receipt;
      // Replay at the receipt's block to learn why it reverted.
      try {
        await pub.simulateContract({
          ...call,
          blockNumber: receipt.blockNumber,
        } as SimulateContractParameters<abi, functionName, args, Chain>);
      } catch (e) {
        const decoded = toRevertError(e, { functionName, refs, txHash: hash });
        if (decoded !== undefined) throw decoded;
      }
      throw new ChainRevertError({
        functionName,
        refs,
        txHash: hash,
        detail: failedDetail(receipt, limit),
      });
    },
  };
}
