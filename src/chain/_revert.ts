import { BaseError, ContractFunctionRevertedError, ExecutionRevertedError } from "viem";
import { ChainRevertError, type MarketRefs } from "./errors.ts";
import { shortText } from "./_retry.ts";

/**
 * Turns a viem revert (at simulation, estimation or replay) into a
 * {@linkcode ChainRevertError} with the decoded custom error; undefined when
 * `error` is not a revert.
 */
export function toRevertError(
  error: unknown,
  a: { functionName: string; refs?: MarketRefs | undefined; txHash?: `0x${string}` | undefined },
): ChainRevertError | undefined {
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
  if (exec !== null) {
    return new ChainRevertError(
      { functionName: a.functionName, detail: shortText(exec), refs: a.refs, txHash: a.txHash },
      { cause: error },
    );
  }
  return undefined;
}
