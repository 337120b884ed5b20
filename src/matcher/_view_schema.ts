/**
 * Zod schemas of the view records (worker bindings, levels, blacklist entries).
 *
 * @module
 */
import { z } from "zod";
import { addressSchema, levelSchema } from "./_schema.ts";
import type { MarketViewData } from "./types.ts";

/** A confirmed worker -> master binding. */
export const masterRecordSchema = z.strictObject({ worker: addressSchema, master: addressSchema });
/** An identity level from the profile registry. */
export const levelRecordSchema = z.strictObject({ address: addressSchema, level: levelSchema });
/** A blacklist entry: `owner`'s list holds `listed`. */
export const blacklistRecordSchema = z.strictObject({
  owner: addressSchema,
  listed: addressSchema,
});

/** All views as records. */
export const marketViewDataSchema: z.ZodType<MarketViewData, unknown> = z.strictObject({
  masters: z.array(masterRecordSchema).optional(),
  levels: z.array(levelRecordSchema).optional(),
  blacklists: z.array(blacklistRecordSchema).optional(),
}) as unknown as z.ZodType<MarketViewData, unknown>;
