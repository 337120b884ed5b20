/**
 * How Ethereum nodes word the errors the agent must tell apart, as data: one
 * row per node and kind, matched on the JSON-RPC error's code and message
 * anywhere in an error's cause chain. The recorded answers the rows are
 * tested against are in `_rpc_dialect_fixtures.ts` (geth, Nethermind,
 * Erigon, Besu, Hardhat, Ganache, anvil, hosted RPCs), taken from each
 * node's source and documentation.
 *
 * An error no row names is not a bug: callers treat it as a failure of the
 * world for the step (back off, log once), never as a reason to stop.
 *
 * @module
 */
import { BaseError, type Hex } from "viem";

/** What a node's error means to the agent. */
export type RpcErrorKind =
  /** The call or transaction reverted (with or without revert data). */
  | "reverted"
  /** A transaction with this nonce was already mined. */
  | "nonce-too-low"
  /** This very transaction is already in the node's pool. */
  | "already-known"
  /** Another transaction with this nonce waits in the pool and pays as much or more. */
  | "underpriced"
  /** The sender cannot pay gas x price + value. */
  | "insufficient-funds"
  /** An eth_getLogs span or answer the node will not serve: ask for less. */
  | "range-too-large"
  /** The node lacks the header or state asked for (pruned, or not synced yet). */
  | "state-unavailable";

/** One way a node says one {@linkcode RpcErrorKind}. */
export type RpcDialectRow = {
  kind: RpcErrorKind;
  /** Who answers so (a node, or "hosted" for RPC providers in front of nodes). */
  node: string;
  /** The JSON-RPC error code, when the row needs it to match. */
  code?: number | undefined;
  /** Matched against the error's message. */
  message: RegExp;
};

/**
 * The rows, most specific first: a node whose nonce error mentions the
 * word "revert" (Ganache prefixes everything with "VM Exception while
 * processing transaction") is still a nonce error.
 */
export const RPC_DIALECTS: readonly RpcDialectRow[] = [
  // nonce too low
  { kind: "nonce-too-low", node: "geth, Erigon, anvil", message: /nonce too low/i },
  { kind: "nonce-too-low", node: "Nethermind", message: /\bOldNonce\b/ },
  { kind: "nonce-too-low", node: "Ganache", message: /doesn't have the correct nonce/i },
  { kind: "nonce-too-low", node: "hosted", message: /nonce (is )?too low|invalid nonce/i },
  // already known
  {
    kind: "already-known",
    node: "geth, Erigon",
    message: /already known|known transaction|already imported|already in the (pool|mempool)/i,
  },
  { kind: "already-known", node: "Nethermind", message: /\b(AlreadyKnown|OwnNonceAlreadyUsed)\b/ },
  { kind: "already-known", node: "Besu, Hardhat", message: /^Known transaction/i },
  // replacement underpriced
  {
    kind: "underpriced",
    node: "geth, Erigon, Besu, anvil, Ganache",
    message: /replacement (transaction )?underpriced|transaction replacement underpriced/i,
  },
  { kind: "underpriced", node: "Nethermind", message: /\bReplacementNotAllowed\b/ },
  // insufficient funds
  {
    kind: "insufficient-funds",
    node: "geth, Erigon, anvil",
    message: /insufficient funds|insufficient balance/i,
  },
  { kind: "insufficient-funds", node: "Nethermind", message: /\bInsufficientFunds\b/ },
  { kind: "insufficient-funds", node: "Besu", message: /upfront cost exceeds account balance/i },
  {
    kind: "insufficient-funds",
    node: "Hardhat, Ganache",
    message: /doesn't have enough funds to send tx/i,
  },
  // eth_getLogs range or answer too large
  {
    kind: "range-too-large",
    node: "Besu",
    message: /range exceeds maximum|exceeds max(imum)? (rpc |log )?(block )?range/i,
  },
  {
    kind: "range-too-large",
    node: "geth, Erigon, Nethermind, hosted",
    message:
      /block range|range (is )?too (large|wide|big)|too many (blocks|results|logs)|more than \d+ (results|logs|blocks)|query returned more than|response size|limited to a? ?[\d,]+ (block )?range|exceed.*(block range|results)|log response size/i,
  },
  { kind: "range-too-large", node: "Besu", code: -38004, message: /too large request/i },
  // header or state not there
  {
    kind: "state-unavailable",
    node: "geth, Erigon",
    message:
      /header not found|missing trie node|historical state .* is not available|state (is )?not available|state histories haven't been fully indexed/i,
  },
  {
    kind: "state-unavailable",
    node: "Nethermind",
    message:
      /state (root )?.*(not found|missing)|(block|header) .* (could not be found|not found)/i,
  },
  { kind: "state-unavailable", node: "Besu", message: /world state unavailable|unknown block/i },
  {
    kind: "state-unavailable",
    node: "anvil",
    message:
      /BlockOutOfRange|block height is \d+ but requested was \d+|state (for block )?.*pruned/i,
  },
  // reverted
  { kind: "reverted", node: "geth, Erigon, anvil, Hardhat 3", message: /execution reverted/i },
  { kind: "reverted", node: "Besu", message: /^Execution reverted/i },
  { kind: "reverted", node: "Nethermind", message: /VM execution error|^Reverted\b/i },
  {
    kind: "reverted",
    node: "Ganache, Hardhat 2",
    message: /VM Exception while processing transaction: (revert|reverted)/i,
  },
  { kind: "reverted", node: "geth (code 3)", code: 3, message: /./ },
];

/** A JSON-RPC error as a node sends it, found somewhere in an error's cause chain. */
export type RpcErrorAnswer = { code?: number | undefined; message: string; data?: unknown };

/**
 * The node's answers in `error`'s cause chain: viem's RpcRequestError and
 * RpcError keep the code and data; viem's own errors without a code (a block
 * viem found missing, a decoding failure) are not the node's words and are
 * passed over.
 */
export function rpcAnswers(error: unknown): RpcErrorAnswer[] {
  const out: RpcErrorAnswer[] = [];
  let current: unknown = error;
  for (let i = 0; i < 12 && current !== null && typeof current === "object"; i++) {
    const e = current as {
      code?: unknown;
      message?: unknown;
      details?: unknown;
      data?: unknown;
      cause?: unknown;
    };
    const code = typeof e.code === "number" ? e.code : undefined;
    if (current instanceof BaseError && code === undefined) {
      current = e.cause;
      continue;
    }
    for (const text of [e.details, e.message]) {
      if (typeof text === "string" && text !== "") out.push({ code, message: text, data: e.data });
    }
    current = e.cause;
  }
  return out;
}

/**
 * The kind of a node's error, from {@linkcode RPC_DIALECTS}; undefined when
 * no row names it (treat it as a failure of the world for the step).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classifyRpcError } from "./rpc_dialects.ts";
 * const ganache = Object.assign(new Error("VM Exception while processing transaction: revert"), {
 *   code: -32000,
 * });
 * assert.equal(classifyRpcError(ganache), "reverted");
 * assert.equal(classifyRpcError(new Error("OldNonce, Current nonce: 5, nonce of rejected tx: 3")), "nonce-too-low");
 * assert.equal(classifyRpcError(new Error("socket hang up")), undefined);
 * ```
 */
export function classifyRpcError(error: unknown): RpcErrorKind | undefined {
  const answers = rpcAnswers(error);
  // EIP-1474's code 3 is an execution error, whatever a revert reason's words say
  if (answers.some((a) => a.code === 3)) return "reverted";
  for (const row of RPC_DIALECTS) {
    for (const a of answers) {
      if (row.code !== undefined && a.code !== row.code) continue;
      if (row.message.test(a.message)) return row.kind;
    }
  }
  return undefined;
}

const HEX_DATA = /^0x(?:[0-9a-fA-F]{2})*$/;
const HEX_IN_TEXT = /\b0x((?:[0-9a-fA-F]{2}){4,})\b/;

/**
 * Revert data as a node gives it: a hex string in `data` (geth, Erigon,
 * Besu, anvil, Ganache 7, Hardhat 3), `"Reverted 0x..."` in `data`
 * (Nethermind), `{ data: "0x..." }` (Hardhat 2), `{ [txHash]: { return:
 * "0x..." } }` (Ganache 6); undefined when there is none (a node that
 * reverts without data).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { revertDataOf } from "./rpc_dialects.ts";
 * assert.equal(revertDataOf({ message: "VM execution error.", data: "Reverted 0x0a0b0c0d" }), "0x0a0b0c0d");
 * assert.equal(revertDataOf({ message: "execution reverted", code: 3, data: "0x0a0b0c0d" }), "0x0a0b0c0d");
 * assert.equal(revertDataOf({ message: "execution reverted", code: -32000 }), undefined);
 * ```
 */
export function revertDataOf(error: unknown): Hex | undefined {
  for (const a of rpcAnswers(error)) {
    const found = dataIn(a.data, 0);
    if (found !== undefined) return found;
  }
  return undefined;
}

function dataIn(value: unknown, depth: number): Hex | undefined {
  if (typeof value === "string") {
    if (value.length >= 10 && HEX_DATA.test(value)) return value as Hex;
    const m = HEX_IN_TEXT.exec(value);
    return m === null || !/revert/i.test(value) ? undefined : `0x${m[1]}` as Hex;
  }
  if (depth > 2 || value === null || typeof value !== "object") return undefined;
  const o = value as Record<string, unknown>;
  for (const key of ["data", "return", "result"]) {
    const found = dataIn(o[key], depth + 1);
    if (found !== undefined) return found;
  }
  for (const [key, v] of Object.entries(o)) {
    if (/^0x[0-9a-fA-F]{64}$/.test(key)) return dataIn(v, depth + 1); // Ganache 6: by tx hash
  }
  return undefined;
}
