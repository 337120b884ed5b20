/**
 * The zero address: "anyone" as an order's counterparty, "none" as a
 * blacklist or a master. Lower case, as every address inside the agent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ZERO_ADDRESS } from "./zero_address.ts";
 * assert.equal(ZERO_ADDRESS, "0x" + "0".repeat(40));
 * ```
 */
export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000" as const;
