import vectors from "./probes/ethash-vectors.json" with { type: "json" };

/** One Ethash known-answer vector: header and nonce in, mix digest and final hash out. */
export type EthashVector = {
  blockNumber: number;
  /** 32 bytes, hex without 0x. */
  headerHash: string;
  /** 8 bytes, big-endian hex as written. */
  nonce: string;
  mixHash: string;
  finalHash: string;
};

/**
 * The Ethash known-answer vectors at real epoch sizes (src/bench/probes/
 * ethash-vectors.json, from the public ethash test suite). Every GPU run
 * checks its epoch's vectors before it is timed.
 */
export const ETHASH_VECTORS: readonly EthashVector[] = vectors.vectors.map((v) => ({
  blockNumber: v.block_number,
  headerHash: v.header_hash,
  nonce: v.nonce,
  mixHash: v.mix_hash,
  finalHash: v.final_hash,
}));
