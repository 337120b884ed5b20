import { z } from "zod";
import { quoteValue } from "../internal/mod.ts";
import { InvalidOrderError, MarketFileError } from "./errors.ts";
import type { OrderLimits } from "./limits.ts";
import { parseOrder } from "./parse_order.ts";
import { parseWith } from "./_schema.ts";
import { blacklistRecordSchema, levelRecordSchema, masterRecordSchema } from "./_view_schema.ts";
import type { Address, IdentityLevel, MarketOrder, MarketViewData } from "./types.ts";

/** Options of {@linkcode parseMarketFile}. */
export type ParseMarketFileOptions = {
  /** Bounds that override the defaults (the Market contract's). */
  limits?: Partial<OrderLimits> | undefined;
};

/** The orders and views of a market file. */
export type MarketFile = {
  orders: MarketOrder[];
  views: Required<MarketViewData>;
};

const kindSchema = z.object({
  kind: z.enum(["order", "master", "level", "blacklist"], {
    error: 'must be "order", "master", "level" or "blacklist"',
  }),
});

/**
 * Parses a market file: JSON lines, one record per line, each with a `kind`:
 *
 * - `{"kind":"order", "id":"1", "type":"BID"|"ASK", "author":"0x..", "duration":"3600",
 *   "price":"1000", "netflags":[true], "identityLevel":0, "counterparty":"0x..",
 *   "blacklist":"0x..", "tag":"0x..", "benchmarks":["1","2"], "active":true}`
 *   (the fields of the Market contract; integers as decimal strings);
 * - `{"kind":"master", "worker":"0x..", "master":"0x.."}` (a confirmed binding);
 * - `{"kind":"level", "address":"0x..", "level":2}` (profile registry);
 * - `{"kind":"blacklist", "owner":"0x..", "listed":"0x.."}` (a blacklist entry).
 *
 * Blank lines are skipped. A bad line throws a {@linkcode MarketFileError}
 * with its line number (the {@linkcode InvalidOrderError} is its cause).
 *
 * @param text The file's text.
 * @param options Bounds of orders.
 * @returns The orders (in file order) and the views.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMarketFile } from "./mod.ts";
 * const a = "0x00000000000000000000000000000000000000a1";
 * const file = parseMarketFile([
 *   `{"kind":"order","id":"1","type":"BID","author":"${a}","duration":"0","price":"5"}`,
 *   `{"kind":"level","address":"${a}","level":2}`,
 * ].join("\n"));
 * assert.ok(file.orders.length === 1 && file.views.levels[0]?.level === 2);
 * ```
 */
export function parseMarketFile(text: string, options: ParseMarketFileOptions = {}): MarketFile {
  const orders: MarketOrder[] = [];
  const masters: { worker: Address; master: Address }[] = [];
  const levels: { address: Address; level: IdentityLevel }[] = [];
  const blacklists: { owner: Address; listed: Address }[] = [];
  const seen = new Map<bigint, number>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === "") continue;
    const at = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new MarketFileError({
        line: at,
        detail: `not valid JSON: ${(error as Error).message}`,
        cause: error,
      });
    }
    const kind = kindSchema.safeParse(value);
    if (!kind.success) {
      const got = typeof value === "object" && value !== null
        ? quoteValue((value as { kind?: unknown }).kind ?? null)
        : quoteValue(value);
      throw new MarketFileError({
        line: at,
        detail: `kind must be "order", "master", "level" or "blacklist": current value is ${got}`,
      });
    }
    const { kind: _kind, ...record } = value as Record<string, unknown>;
    try {
      switch (kind.data.kind) {
        case "order": {
          const order = parseOrder(record, { limits: options.limits });
          const earlier = seen.get(order.id);
          if (earlier !== undefined) {
            throw new MarketFileError({
              line: at,
              detail: `order "${order.id}" is already defined at line ${earlier}`,
            });
          }
          seen.set(order.id, at);
          orders.push(order);
          break;
        }
        case "master":
          masters.push(parseWith(masterRecordSchema, record, "master record"));
          break;
        case "level":
          levels.push(parseWith(levelRecordSchema, record, "level record"));
          break;
        case "blacklist":
          blacklists.push(parseWith(blacklistRecordSchema, record, "blacklist record"));
          break;
      }
    } catch (error) {
      if (error instanceof InvalidOrderError) {
        throw new MarketFileError({ line: at, detail: error.message, cause: error });
      }
      throw error;
    }
  }
  return { orders, views: { masters, levels, blacklists } };
}
