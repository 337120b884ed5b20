/**
 * A consumer's BID file (`client bid FILE`, `client market FILE`): what to
 * buy, shaped like a rig's plan (price, duration, resources with their
 * network flags, identity level, counterparty, blacklist, tag) plus optional
 * benchmark minimums. Validated like the configs: every problem with its
 * field and value.
 *
 * @module
 */
import { resolve } from "node:path";
import { z } from "zod";
import { ConfigError } from "../base/mod.ts";
import { fieldSchemas } from "./config.ts";
import { problemsFromIssues, readBoundedText, readYaml } from "./_read_yaml.ts";

/** A BID file is a page at most. */
const MAX_BID_FILE_BYTES = 64 * 1024;

const { address, decimal, size, seconds, identityLevel, tag, camelize } = fieldSchemas;

const wholeNumber = z.number().int("must be a whole number");

/** What the BID needs of the ASK's network: each flag true means "the ASK must offer it". */
const needs = z.strictObject({
  overlay: z.boolean().default(false),
  outbound: z.boolean().default(false),
  incoming: z.boolean().default(false),
});

const resources = z.strictObject({
  /** At least this CPU share; a fractional share asks no whole core (as a plan offers none). */
  cpu_cores: z.number().min(0, "must not be negative").max(1024, "must be at most 1024")
    .default(0),
  ram: size.default(0),
  storage: size.default(0),
  /** How many GPUs: a count, or a plan's list of indexes (its length is the count). */
  gpus: z.union([
    wholeNumber.min(0, "must not be negative").max(64, "must be at most 64"),
    z.array(wholeNumber.min(0)).max(64, "must list at most 64 GPUs"),
  ]).default(0).transform((g) => (typeof g === "number" ? g : g.length)),
  /** At least this much GPU memory in all. */
  gpu_mem: size.default(0),
  net: needs.prefault({}),
}).transform(({ ram, storage, gpus, gpu_mem, ...rest }) => ({
  ...camelize(rest),
  ramBytes: ram,
  storageBytes: storage,
  gpuCount: gpus,
  gpuMemBytes: gpu_mem,
}));

/** A benchmark minimum: a whole number below 2^63, as a number or a decimal string. */
const benchmarkValue = z.union([
  wholeNumber.min(0, "must not be negative"),
  z.string().regex(/^\d{1,19}$/, "must be a whole number"),
]).transform((v, ctx) => {
  const n = BigInt(v);
  if (n >= 2n ** 63n) {
    ctx.addIssue({ code: "custom", message: "must be below 2^63" });
    return z.NEVER;
  }
  return n;
});

const bidSchema = z.strictObject({
  /** The most this BID pays, USD per hour (a deal's price is its ASK's, never more). */
  price_usd_per_hour: decimal,
  /** Spot (open-ended, billed hourly, either side may close) or a fixed duration. */
  duration: z.union([z.literal("spot"), seconds]).default("spot"),
  resources: resources.prefault({}),
  /** Minimums of further benchmarks, by key (`cpu-sysbench-single`) or id. */
  benchmarks: z.record(
    z.string().regex(/^[a-z0-9-]+$/, "must be a benchmark key or id"),
    benchmarkValue,
  )
    .default({}),
  /** The identity level the supplier must have at least. */
  identity_level: identityLevel.default(0),
  /** Only this supplier (its master address) may take the BID. */
  counterparty: address.optional(),
  /** Also refuse suppliers that this blacklist owner lists. */
  blacklist: address.optional(),
  tag: tag.default(""),
}).transform(camelize);

/** A validated BID file (camelCase). */
export type BidSpec = z.output<typeof bidSchema>;

/**
 * Parses and validates the text of a BID file, every problem at once.
 *
 * @throws {ConfigError} with one problem per bad field
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseBidSpec } from "./bid_spec.ts";
 * const bid = parseBidSpec(
 *   'price_usd_per_hour: "0.50"\nresources: { cpu_cores: 1, ram: 1GiB, net: { incoming: true } }\n',
 * );
 * assert.equal(bid.duration, "spot");
 * assert.equal(bid.resources.ramBytes, 2 ** 30);
 * assert.equal(bid.resources.net.incoming, true);
 * ```
 */
export function parseBidSpec(text: string, options: { file?: string | undefined } = {}): BidSpec {
  const file = options.file === undefined ? undefined : resolve(options.file);
  const raw = readYaml(text, file, MAX_BID_FILE_BYTES);
  const parsed = bidSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError({
      file,
      problems: problemsFromIssues(parsed.error.issues, raw, {
        unknownKey: "is not a known field of a BID (see README, Buy compute)",
      }),
    });
  }
  return parsed.data;
}

/**
 * Reads a BID file (at most 64 KiB) and validates it.
 *
 * @throws {ConfigError} naming the field and value (exit 2)
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadBidSpec } from "./bid_spec.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/bid.yaml`, 'price_usd_per_hour: "0.1"\nduration: 2h\n');
 * assert.equal((await loadBidSpec(`${dir}/bid.yaml`)).duration, 7200);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadBidSpec(path: string): Promise<BidSpec> {
  const file = resolve(path);
  const text = await readBoundedText(file, { maxBytes: MAX_BID_FILE_BYTES, what: "BID file" });
  return parseBidSpec(text, { file });
}
