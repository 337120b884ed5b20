import {
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  ExecutionRevertedError,
  type Hex,
} from "viem";
import { ChainRevertError, type MarketRefs } from "./errors.ts";
import { shortText } from "./_retry.ts";
import { classifyRpcError, revertDataOf } from "./rpc_dialects.ts";
import { marketAbi, tokenAbi } from "./contracts.ts";

/** Every custom error a Market call can revert with (the token's surface through it). */
const errorsAbi = [
  ...marketAbi.filter((x) => x.type === "error"),
  ...tokenAbi.filter((x) => x.type === "error"),
];

type Who = {
  functionName: string;
  refs?: MarketRefs | undefined;
  txHash?: `0x${string}` | undefined;
};

/** A ChainRevertError from raw revert data, decoded against the market's and token's errors. */
function fromData(data: Hex, a: Who, cause: unknown): ChainRevertError {
  try {
    const decoded = decodeErrorResult({ abi: errorsAbi, data });
    return new ChainRevertError({
      functionName: a.functionName,
      errorName: decoded.errorName,
      errorArgs: [...(decoded.args ?? [])],
      refs: a.refs,
      txHash: a.txHash,
    }, { cause });
  } catch {
    return new ChainRevertError({
      functionName: a.functionName,
      detail: `unknown error ${data.slice(0, 10)}`,
      refs: a.refs,
      txHash: a.txHash,
    }, { cause });
  }
}

/**
 * Turns a revert (at simulation, estimation or replay) into a
 * {@linkcode ChainRevertError} with the decoded custom error; undefined when
 * `error` is not a revert. viem's own decoding comes first; an answer viem
 * does not see as a revert (Ganache's -32000 "VM Exception ...", Nethermind's
 * "Reverted 0x..." data, Hardhat 2's nested data) is recognised by the
 * dialect table ({@linkcode classifyRpcError}) and its data decoded here.
 */
export function toRevertError(error: unknown, a: Who): ChainRevertError | undefined {
  if (error instanceof ChainRevertError) return error;
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError) {
    const data = reverted.data;
    if (data !== undefined) {
      return new ChainRevertError({
        functionName: a.functionName,
        errorName: data.errorName,
        errorArgs: data.args ?? [],
        refs: a.refs,
        txHash: a.txHash,
      }, { cause: error });
    }
    if (reverted.reason !== undefined) {
      return new ChainRevertError({
        functionName: a.functionName,
        errorName: "Error",
        errorArgs: [reverted.reason],
        refs: a.refs,
        txHash: a.txHash,
      }, { cause: error });
    }
    const raw = revertDataOf(error);
    if (reverted.signature === undefined && raw !== undefined) return fromData(raw, a, error);
    return new ChainRevertError({
      functionName: a.functionName,
      detail: reverted.signature !== undefined
        ? `unknown error ${reverted.signature}`
        : shortText(reverted),
      refs: a.refs,
      txHash: a.txHash,
    }, { cause: error });
  }
  const exec = error.walk((e) => e instanceof ExecutionRevertedError);
  if (exec === null && classifyRpcError(error) !== "reverted") return undefined;
  const raw = revertDataOf(error);
  if (raw !== undefined) return fromData(raw, a, error);
  // reverted without data (a node or provider that drops it): still a revert, reason unknown
  return new ChainRevertError({
    functionName: a.functionName,
    detail: `reverted without data: ${shortText(exec ?? error)}`,
    refs: a.refs,
    txHash: a.txHash,
  }, { cause: error });
}
