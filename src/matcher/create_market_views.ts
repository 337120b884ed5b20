import { parseWith } from "./_schema.ts";
import { marketViewDataSchema } from "./_view_schema.ts";
import {
  type Address,
  type IdentityLevel,
  type MarketViewData,
  type MarketViews,
  ZERO_ADDRESS,
} from "./types.ts";

/**
 * Builds {@linkcode MarketViews} over plain view data (worker bindings,
 * profile levels, blacklist entries). The data is validated (addresses,
 * levels 0-3) and copied, so later changes to `data` do not leak in.
 *
 * @param data The views as records.
 * @returns Views that answer `masterOf`, `levelOf` and `listed`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createMarketViews } from "./mod.ts";
 * const w = "0x00000000000000000000000000000000000000a1";
 * const m = "0x00000000000000000000000000000000000000b2";
 * const views = createMarketViews({ masters: [{ worker: w, master: m }] });
 * assert.ok(views.masterOf(w) === m && views.masterOf(m) === m);
 * ```
 */
export function createMarketViews(data: MarketViewData): MarketViews {
  const parsed = parseWith(marketViewDataSchema, data, "market views");
  const masters = new Map<string, Address>();
  for (const { worker, master } of parsed.masters ?? []) {
    // A binding to the zero address (or to itself) is a removed binding.
    if (master === ZERO_ADDRESS || master === worker) masters.delete(worker);
    else masters.set(worker, master);
  }
  const levels = new Map<string, IdentityLevel>();
  for (const { address, level } of parsed.levels ?? []) levels.set(address, level);
  const lists = new Set<string>();
  for (const { owner, listed } of parsed.blacklists ?? []) lists.add(`${owner}:${listed}`);
  return {
    masterOf: (who) => masters.get(who.toLowerCase()) ?? (who.toLowerCase() as Address),
    levelOf: (who) => levels.get(who.toLowerCase()) ?? 0,
    listed: (owner, who) => lists.has(`${owner.toLowerCase()}:${who.toLowerCase()}`),
  };
}
