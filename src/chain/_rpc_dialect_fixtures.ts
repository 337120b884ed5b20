/**
 * Recorded error answers of Ethereum nodes, one per node and kind, as each
 * sends them over JSON-RPC (`error` of the response). Taken from the nodes'
 * sources and documentation (the texts are the nodes'; addresses, numbers
 * and hashes are examples). `REVERT_SAMPLE` stands for the revert data where
 * a node sends it; a test proxy swaps in the real data. Private to
 * src/chain's tests and tests/_fixtures/rpc_proxy.ts.
 *
 * @module
 */
import { encodeErrorResult, type Hex } from "viem";
import { marketAbi } from "./contracts.ts";
import type { RpcErrorKind } from "./rpc_dialects.ts";

/** `OrderNotActive(7)`: the data of a lost race, as the Market reverts it. */
export const REVERT_SAMPLE: Hex = encodeErrorResult({
  abi: marketAbi,
  errorName: "OrderNotActive",
  args: [7n],
});

/** A JSON-RPC error object as a node sends it. */
export type RecordedAnswer = { code: number; message: string; data?: unknown };

/** One node's answer for one kind. */
export type DialectFixture = {
  node: "geth" | "Nethermind" | "Erigon" | "Besu" | "Hardhat" | "Ganache" | "anvil" | "hosted";
  kind: RpcErrorKind;
  /** Where the text comes from. */
  source: string;
  answer: RecordedAnswer;
};

const ADDR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const d = REVERT_SAMPLE;

/** The recorded answers. */
export const DIALECT_FIXTURES: readonly DialectFixture[] = [
  // ---- reverted, with data ----
  {
    node: "geth",
    kind: "reverted",
    source: "internal/ethapi revertError: code 3, data = revert data",
    answer: { code: 3, message: "execution reverted", data: d },
  },
  {
    node: "Erigon",
    kind: "reverted",
    source: "rpc/ethapi (geth's revertError)",
    answer: { code: 3, message: "execution reverted", data: d },
  },
  {
    node: "Nethermind",
    kind: "reverted",
    source: 'ErrorCodes.ExecutionError -32015, data "Reverted 0x..."',
    answer: { code: -32015, message: "VM execution error.", data: `Reverted ${d}` },
  },
  {
    node: "Besu",
    kind: "reverted",
    source: 'RpcErrorType.REVERT_ERROR(-32000, "Execution reverted")',
    answer: { code: -32000, message: "Execution reverted", data: d },
  },
  {
    node: "Hardhat",
    kind: "reverted",
    source: "Hardhat 2 node: -32603 with { message, data }",
    answer: {
      code: -32603,
      message:
        "Error: VM Exception while processing transaction: reverted with custom error 'OrderNotActive(7)'",
      data: {
        message:
          "Error: VM Exception while processing transaction: reverted with custom error 'OrderNotActive(7)'",
        data: d,
      },
    },
  },
  {
    node: "Ganache",
    kind: "reverted",
    source: 'Ganache 7.9 (issue 24): -32000 "VM Exception ...: revert", data hex',
    answer: { code: -32000, message: "VM Exception while processing transaction: revert", data: d },
  },
  {
    node: "anvil",
    kind: "reverted",
    source: "anvil: code 3, message names the custom error",
    answer: {
      code: 3,
      message: "execution reverted: custom error 0x01d9ee31: 0000000000000000000000000007",
      data: d,
    },
  },
  // ---- reverted, without data ----
  {
    node: "geth",
    kind: "reverted",
    source: "geth before 1.9.15 / a revert with empty data",
    answer: { code: -32000, message: "execution reverted" },
  },
  {
    node: "hosted",
    kind: "reverted",
    source: "a hosted RPC that drops the data",
    answer: { code: -32603, message: "execution reverted" },
  },
  // ---- nonce too low ----
  {
    node: "geth",
    kind: "nonce-too-low",
    source: "core.ErrNonceTooLow with %w detail",
    answer: { code: -32000, message: `nonce too low: address ${ADDR}, tx: 3 state: 5` },
  },
  {
    node: "Erigon",
    kind: "nonce-too-low",
    source: "txpool NonceTooLow",
    answer: { code: -32000, message: "nonce too low" },
  },
  {
    node: "Nethermind",
    kind: "nonce-too-low",
    source: "AcceptTxResult.OldNonce with message",
    answer: { code: -32010, message: "OldNonce, Current nonce: 5, nonce of rejected tx: 3" },
  },
  {
    node: "Besu",
    kind: "nonce-too-low",
    source: "RpcErrorType.NONCE_TOO_LOW(-32001)",
    answer: { code: -32001, message: "Nonce too low" },
  },
  {
    node: "Hardhat",
    kind: "nonce-too-low",
    source: "Hardhat network InvalidInputError",
    answer: {
      code: -32000,
      message:
        "Nonce too low. Expected nonce to be 5 but got 3. Note that transactions can't be queued when automining.",
    },
  },
  {
    node: "Ganache",
    kind: "nonce-too-low",
    source: "Ganache TXRejectedError",
    answer: {
      code: -32000,
      message: "the tx doesn't have the correct nonce. account has nonce of: 5 tx has nonce of: 3",
    },
  },
  {
    node: "anvil",
    kind: "nonce-too-low",
    source: "anvil InvalidTransactionError::NonceTooLow",
    answer: { code: -32003, message: "nonce too low" },
  },
  // ---- already known ----
  {
    node: "geth",
    kind: "already-known",
    source: "txpool.ErrAlreadyKnown",
    answer: { code: -32000, message: "already known" },
  },
  {
    node: "Erigon",
    kind: "already-known",
    source: "txpool AlreadyKnown",
    answer: { code: -32000, message: "already known" },
  },
  {
    node: "Nethermind",
    kind: "already-known",
    source: "AcceptTxResult.AlreadyKnown",
    answer: { code: -32010, message: "AlreadyKnown" },
  },
  {
    node: "Besu",
    kind: "already-known",
    source: "RpcErrorType.ETH_SEND_TX_ALREADY_KNOWN(-32000)",
    answer: { code: -32000, message: "Known transaction" },
  },
  {
    node: "Hardhat",
    kind: "already-known",
    source: "Hardhat network: known transaction",
    answer: {
      code: -32000,
      message:
        "Known transaction: 0x1f5c1d2b8ad1e3d7a3f6c3e8f1d2b3a4c5d6e7f8091a2b3c4d5e6f708192a3b4",
    },
  },
  {
    node: "Ganache",
    kind: "already-known",
    source: "Ganache transaction pool",
    answer: { code: -32000, message: "Transaction already imported." },
  },
  {
    node: "anvil",
    kind: "already-known",
    source: "anvil PoolError::AlreadyImported",
    answer: { code: -32003, message: "transaction already imported" },
  },
  // ---- replacement underpriced ----
  {
    node: "geth",
    kind: "underpriced",
    source: "txpool.ErrReplaceUnderpriced",
    answer: { code: -32000, message: "replacement transaction underpriced" },
  },
  {
    node: "Erigon",
    kind: "underpriced",
    source: "txpool ReplaceUnderpriced",
    answer: { code: -32000, message: "replacement transaction underpriced" },
  },
  {
    node: "Nethermind",
    kind: "underpriced",
    source: "AcceptTxResult.ReplacementNotAllowed",
    answer: { code: -32010, message: "ReplacementNotAllowed" },
  },
  {
    node: "Besu",
    kind: "underpriced",
    source: "RpcErrorType.ETH_SEND_TX_REPLACEMENT_UNDERPRICED(-32000)",
    answer: { code: -32000, message: "Replacement transaction underpriced" },
  },
  {
    node: "Hardhat",
    kind: "underpriced",
    source: "Hardhat network: replacement",
    answer: {
      code: -32000,
      message:
        "Replacement transaction underpriced. A gasPrice/maxFeePerGas of at least 2000000000 is necessary to replace the existing transaction with nonce 3.",
    },
  },
  {
    node: "Ganache",
    kind: "underpriced",
    source: "Ganache transaction pool",
    answer: { code: -32003, message: "transaction replacement underpriced" },
  },
  {
    node: "anvil",
    kind: "underpriced",
    source: "anvil PoolError::ReplacementUnderpriced",
    answer: { code: -32003, message: "replacement transaction underpriced" },
  },
  // ---- insufficient funds ----
  {
    node: "geth",
    kind: "insufficient-funds",
    source: "core.ErrInsufficientFunds with detail",
    answer: {
      code: -32000,
      message:
        `insufficient funds for gas * price + value: address ${ADDR} have 0 want 2100000000000000`,
    },
  },
  {
    node: "Erigon",
    kind: "insufficient-funds",
    source: "core.ErrInsufficientFunds",
    answer: { code: -32000, message: "insufficient funds for gas * price + value" },
  },
  {
    node: "Nethermind",
    kind: "insufficient-funds",
    source: "AcceptTxResult.InsufficientFunds with message",
    answer: {
      code: -32010,
      message: "InsufficientFunds, Account balance: 0, cumulative cost: 2100000000000000",
    },
  },
  {
    node: "Besu",
    kind: "insufficient-funds",
    source: "RpcErrorType.TRANSACTION_UPFRONT_COST_EXCEEDS_BALANCE(-32004)",
    answer: { code: -32004, message: "Upfront cost exceeds account balance" },
  },
  {
    node: "Hardhat",
    kind: "insufficient-funds",
    source: "Hardhat network InvalidInputError",
    answer: {
      code: -32000,
      message:
        "Sender doesn't have enough funds to send tx. The max upfront cost is: 2100000000000000 and the sender's balance is: 0.",
    },
  },
  {
    node: "Ganache",
    kind: "insufficient-funds",
    source: "Ganache TXRejectedError",
    answer: {
      code: -32003,
      message:
        "sender doesn't have enough funds to send tx. The upfront cost is: 2100000000000000 and the sender's account only has: 0",
    },
  },
  {
    node: "anvil",
    kind: "insufficient-funds",
    source: "anvil InvalidTransactionError::InsufficientFunds",
    answer: { code: -32003, message: "Insufficient funds for gas * price + value" },
  },
  // ---- eth_getLogs: range or answer too large ----
  {
    node: "Besu",
    kind: "range-too-large",
    source: "RpcErrorType.EXCEEDS_RPC_MAX_BLOCK_RANGE(-32005)",
    answer: { code: -32005, message: "Requested range exceeds maximum RPC range limit" },
  },
  {
    node: "Erigon",
    kind: "range-too-large",
    source: "--rpc.maxlogs / block range limit",
    answer: { code: -32000, message: "block range too large: 20000, max 10000" },
  },
  {
    node: "Nethermind",
    kind: "range-too-large",
    source: "JsonRpc.MaxLogsPerResponse / range",
    answer: { code: -32005, message: "Too many logs requested. Max logs per response is 20000." },
  },
  {
    node: "geth",
    kind: "range-too-large",
    source: "geth behind a provider limit (Infura's wording)",
    answer: { code: -32005, message: "query returned more than 10000 results" },
  },
  {
    node: "hosted",
    kind: "range-too-large",
    source: "Alchemy eth_getLogs limits",
    answer: {
      code: -32602,
      message:
        "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response.",
    },
  },
  {
    node: "Hardhat",
    kind: "range-too-large",
    source: "a provider in front of Hardhat (QuickNode's wording)",
    answer: { code: -32614, message: "eth_getLogs is limited to a 10,000 range" },
  },
  // ---- header or state not available ----
  {
    node: "geth",
    kind: "state-unavailable",
    source: "ethapi: header not found",
    answer: { code: -32000, message: "header not found" },
  },
  {
    node: "geth",
    kind: "state-unavailable",
    source: "trie.MissingNodeError",
    answer: {
      code: -32000,
      message:
        "missing trie node 1f5c1d2b8ad1e3d7a3f6c3e8f1d2b3a4c5d6e7f8091a2b3c4d5e6f708192a3b4 (path ) <nil>",
    },
  },
  {
    node: "Erigon",
    kind: "state-unavailable",
    source: "history pruned",
    answer: { code: -32000, message: "header not found" },
  },
  {
    node: "Nethermind",
    kind: "state-unavailable",
    source: "ResourceNotFound",
    answer: { code: -32001, message: "Block 0x45 could not be found" },
  },
  {
    node: "Besu",
    kind: "state-unavailable",
    source: "RpcErrorType.WORLD_STATE_UNAVAILABLE(-32000)",
    answer: { code: -32000, message: "World state unavailable" },
  },
  {
    node: "anvil",
    kind: "state-unavailable",
    source: "anvil --prune-history (issue 24)",
    answer: {
      code: -32000,
      message: "BlockOutOfRangeError: block height is 120 but requested was 69",
    },
  },
];

/** The dialects a lost race is replayed through (each node's revert answer). */
export const REVERT_DIALECTS: readonly DialectFixture[] = DIALECT_FIXTURES.filter((f) =>
  f.kind === "reverted"
);
