/**
 * The errors of the chain layer: one base, {@linkcode ChainError}, and a
 * small class per failure a rig owner (or the agent) can act on. Each keeps
 * the offending values as fields.
 *
 * @module
 */
import { AgentError, type AgentErrorOptions } from "../errors.ts";

/** Base class of every error of src/chain. */
/** ChainError with its literal name, so that a union of error types narrows on `name`. */
export type ChainErrorType = ChainError & { name: "ChainError" };

export class ChainError extends AgentError {
  override name = "ChainError";
}

/** The RPC endpoint serves another chain than the configured one. */
/** ChainIdMismatchError with its literal name, so that a union of error types narrows on `name`. */
export type ChainIdMismatchErrorType = ChainIdMismatchError & { name: "ChainIdMismatchError" };

export class ChainIdMismatchError extends ChainError {
  override name = "ChainIdMismatchError";
  readonly expected: number;
  readonly actual: number;
  readonly url: string;
  constructor(a: { expected: number; actual: number; url: string }) {
    super(
      `Cannot use RPC "${a.url}": chain id is ${a.actual}, expected ${a.expected}`,
      { hints: ["Check chain.rpc_url and chain.chain_id in the config"], badInput: true },
    );
    this.expected = a.expected;
    this.actual = a.actual;
    this.url = a.url;
  }
}

/**
 * None of the blocks the indexer kept is on the node's chain any more: the
 * node was reset to a new chain (a devnet restarted, a test net wiped) or
 * points at another network. Not a reorg; the index cannot follow it.
 */
/** ChainChangedError with its literal name, so that a union of error types narrows on `name`. */
export type ChainChangedErrorType = ChainChangedError & { name: "ChainChangedError" };

export class ChainChangedError extends ChainError {
  override name = "ChainChangedError";
  /** The last indexed block, which the node no longer has. */
  readonly block: bigint;
  readonly hash: string;
  constructor(a: { block: bigint; hash: string; depth: number }) {
    super(
      `Cannot follow the chain: chain changed under the agent: block ${a.block} (${a.hash}) and the ${a.depth} blocks below it are not on the node's chain`,
      {
        hints: [
          "If the node was reset on purpose, stop the agent and start it with a fresh data_dir",
          "Otherwise check chain.rpc_url: it may point at another network",
        ],
      },
    );
    this.block = a.block;
    this.hash = a.hash;
  }
}

/** The node or the configured contracts lack something the agent needs (a config problem). */
/** ChainNeedsError with its literal name, so that a union of error types narrows on `name`. */
export type ChainNeedsErrorType = ChainNeedsError & { name: "ChainNeedsError" };

export class ChainNeedsError extends ChainError {
  override name = "ChainNeedsError";
  /** The config field at fault, when one is. */
  readonly field: string | undefined;
  readonly need: string;
  readonly found: string;
  constructor(a: { field?: string | undefined; need: string; found: string; hints?: string[] }) {
    super(
      a.field === undefined
        ? `Cannot use this node: the agent needs ${a.need}; found ${a.found}`
        : `Cannot use ${a.field}: the agent needs ${a.need} there; found ${a.found}`,
      { hints: a.hints ?? [], badInput: true },
    );
    this.field = a.field;
    this.need = a.need;
    this.found = a.found;
  }
}

/** A value given to the chain layer is invalid (an amount, an address, a url). */
/** ChainInputError with its literal name, so that a union of error types narrows on `name`. */
export type ChainInputErrorType = ChainInputError & { name: "ChainInputError" };

export class ChainInputError extends ChainError {
  override name = "ChainInputError";
  readonly field: string;
  readonly value: unknown;
  constructor(a: { action: string; field: string; value: unknown; detail: string }) {
    super(`Cannot ${a.action}: ${a.field} ${a.detail}: current value is ${show(a.value)}`);
    this.field = a.field;
    this.value = a.value;
  }
}

/** The keystore file is not a valid Web3 Secret Storage v3 document. */
/** KeystoreFormatError with its literal name, so that a union of error types narrows on `name`. */
export type KeystoreFormatErrorType = KeystoreFormatError & { name: "KeystoreFormatError" };

export class KeystoreFormatError extends ChainError {
  override name = "KeystoreFormatError";
  readonly path: string;
  constructor(a: { path: string; detail: string }, options: AgentErrorOptions = {}) {
    // a keystore that is not one is a malformed input file: exit 2, as every such file
    super(`Cannot read keystore "${a.path}": ${a.detail}`, { badInput: true, ...options });
    this.path = a.path;
  }
}

/**
 * The keystore's MAC does not match: the passphrase is wrong or the file was
 * altered (the two cannot be told apart, by design of the format).
 */
/** KeystorePassphraseError with its literal name, so that a union of error types narrows on `name`. */
export type KeystorePassphraseErrorType = KeystorePassphraseError & {
  name: "KeystorePassphraseError";
};

export class KeystorePassphraseError extends ChainError {
  override name = "KeystorePassphraseError";
  readonly path: string;
  constructor(a: { path: string }) {
    super(
      `Cannot unlock keystore "${a.path}": wrong passphrase or altered file: MAC does not match`,
      { hints: ["Check the passphrase; if it is right, restore the keystore from a backup"] },
    );
    this.path = a.path;
  }
}

/** The key decrypted fine but its address differs from the file's `address` field. */
/** KeystoreAddressMismatchError with its literal name, so that a union of error types narrows on `name`. */
export type KeystoreAddressMismatchErrorType = KeystoreAddressMismatchError & {
  name: "KeystoreAddressMismatchError";
};

export class KeystoreAddressMismatchError extends ChainError {
  override name = "KeystoreAddressMismatchError";
  readonly path: string;
  readonly expected: string;
  readonly actual: string;
  constructor(a: { path: string; expected: string; actual: string }) {
    super(
      `Cannot unlock keystore "${a.path}": key belongs to "${a.actual}", file says "${a.expected}"`,
    );
    this.path = a.path;
    this.expected = a.expected;
    this.actual = a.actual;
  }
}

/** The RPC endpoint did not answer (network error, timeout, 5xx) after every retry. */
/** ChainRpcError with its literal name, so that a union of error types narrows on `name`. */
export type ChainRpcErrorType = ChainRpcError & { name: "ChainRpcError" };

export class ChainRpcError extends ChainError {
  override name = "ChainRpcError";
  readonly url: string;
  readonly attempts: number;
  constructor(
    a: { action: string; url: string; attempts: number; detail: string },
    options: AgentErrorOptions = {},
  ) {
    super(
      `Cannot ${a.action}: RPC "${a.url}" failed after ${a.attempts} attempt(s): ${a.detail}`,
      {
        ...options,
        hints: [
          "Check that the node at chain.rpc_url is running and reachable",
          ...(options.hints ?? []),
        ],
      },
    );
    this.url = a.url;
    this.attempts = a.attempts;
  }
}

/** Ids of the market objects a failed call was about. */
export type MarketRefs = {
  orderId?: bigint | undefined;
  dealId?: bigint | undefined;
  changeRequestId?: bigint | undefined;
};

/**
 * A contract call reverted. Carries the decoded custom error (name + args)
 * when the ABI knows it, and the ids of the order/deal it was about.
 */
/** ChainRevertError with its literal name, so that a union of error types narrows on `name`. */
export type ChainRevertErrorType = ChainRevertError & { name: "ChainRevertError" };

export class ChainRevertError extends ChainError {
  override name = "ChainRevertError";
  readonly functionName: string;
  /** Decoded custom error name (`"OrderNotActive"`), `"Error"` for a reason string, or undefined. */
  readonly errorName: string | undefined;
  readonly errorArgs: readonly unknown[];
  readonly orderId: bigint | undefined;
  readonly dealId: bigint | undefined;
  readonly changeRequestId: bigint | undefined;
  /** Hash of the mined transaction when the revert happened on chain (not at estimation). */
  readonly txHash: `0x${string}` | undefined;
  constructor(
    a: {
      functionName: string;
      errorName?: string | undefined;
      errorArgs?: readonly unknown[] | undefined;
      txHash?: `0x${string}` | undefined;
      refs?: MarketRefs | undefined;
      detail?: string | undefined;
    },
    options: AgentErrorOptions = {},
  ) {
    const refs = a.refs ?? {};
    const about = [
      refs.orderId !== undefined ? `order ${refs.orderId}` : "",
      refs.dealId !== undefined ? `deal ${refs.dealId}` : "",
      refs.changeRequestId !== undefined ? `change request ${refs.changeRequestId}` : "",
    ].filter((s) => s !== "").join(", ");
    const reason = a.errorName !== undefined
      ? `${a.errorName}(${(a.errorArgs ?? []).map(show).join(", ")})`
      : (a.detail ?? "unknown reason");
    super(
      `Cannot ${a.functionName}${
        about === "" ? "" : ` for ${about}`
      }: contract reverted: ${reason}`,
      options,
    );
    this.functionName = a.functionName;
    this.errorName = a.errorName;
    this.errorArgs = a.errorArgs ?? [];
    this.orderId = refs.orderId;
    this.dealId = refs.dealId;
    this.changeRequestId = refs.changeRequestId;
    this.txHash = a.txHash;
  }
}

/** A sent transaction got no receipt in time. It may still be mined later. */
/** ChainTxTimeoutError with its literal name, so that a union of error types narrows on `name`. */
export type ChainTxTimeoutErrorType = ChainTxTimeoutError & { name: "ChainTxTimeoutError" };

export class ChainTxTimeoutError extends ChainError {
  override name = "ChainTxTimeoutError";
  readonly txHash: `0x${string}`;
  readonly timeoutMs: number;
  constructor(a: { functionName: string; txHash: `0x${string}`; timeoutMs: number }) {
    super(
      `Cannot confirm ${a.functionName}: no receipt for "${a.txHash}" within ${a.timeoutMs} ms`,
      { hints: ["The transaction may still be mined; the indexer will pick it up"] },
    );
    this.txHash = a.txHash;
    this.timeoutMs = a.timeoutMs;
  }
}

/** A receipt or a log did not contain what the action expected. */
/** ChainUnexpectedError with its literal name, so that a union of error types narrows on `name`. */
export type ChainUnexpectedErrorType = ChainUnexpectedError & { name: "ChainUnexpectedError" };

export class ChainUnexpectedError extends ChainError {
  override name = "ChainUnexpectedError";
}

function show(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string") return `"${value}"`;
  try {
    return JSON.stringify(value, (_k, v) => typeof v === "bigint" ? v.toString() : v) ??
      String(value);
  } catch {
    return String(value);
  }
}
