/**
 * The rig's config file: a YAML document validated by a strict zod schema.
 * The schema is the only definition: keys are snake_case in YAML, each object
 * transforms itself to camelCase, every default is written once (on the field,
 * with `prefault({})` on the objects so their fields' defaults apply), and the
 * types below are derived from the schema's output. Unknown keys are errors,
 * so a typo never silently falls back to a default; a known setting the agent
 * does not act on yet is refused as "not supported yet".
 *
 * @module
 */
import { z } from "zod";
import { imageRuleProblem } from "../../docker/mod.ts";
import { DECIMAL_PATTERN, parseDurationSeconds, parseSize } from "./units.ts";

type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

/** An object's keys in camelCase (shallow), as the transforms below produce. */
type Camelized<T> = { [K in keyof T as K extends string ? CamelCase<K> : K]: T[K] };

/** Renames snake_case keys to camelCase, one level deep; values are kept. */
function camelize<T extends Record<string, unknown>>(value: T): Camelized<T> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())] = v;
  }
  return out as Camelized<T>;
}

/** A setting with a place in the file but no reader in the agent yet. */
function notSupportedYet(why: string) {
  return z.unknown().superRefine((_value, ctx) => {
    ctx.addIssue({ code: "custom", message: `is not supported yet: ${why}` });
  }).transform(() => undefined).optional();
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** A 20-byte hex address, normalised to lower case at this edge. */
const address = z.string().regex(ADDRESS, "must be a 0x-prefixed 20-byte hex address")
  .transform((a) => a.toLowerCase() as `0x${string}`);

/** A decimal amount of money, kept as an exact string ("0.25"); never a float. */
const decimal = z.union([z.string(), z.number()]).transform((input, ctx) => {
  const text = typeof input === "number" ? String(input) : input.trim();
  if (text.startsWith("-")) {
    ctx.addIssue({ code: "custom", message: "must not be negative" });
    return z.NEVER;
  }
  if (!DECIMAL_PATTERN.test(text)) {
    ctx.addIssue({
      code: "custom",
      message: "must be a decimal number with at most 18 decimals, like 0.25",
    });
    return z.NEVER;
  }
  return text;
});

const size = z.union([z.string(), z.number()]).transform((input, ctx) => {
  const bytes = parseSize(input);
  if (bytes === undefined) {
    ctx.addIssue({
      code: "custom",
      message: "must be a size like 512MiB, 4GiB or a number of bytes",
    });
    return z.NEVER;
  }
  return bytes;
});

const seconds = z.union([z.string(), z.number()]).transform((input, ctx) => {
  const value = parseDurationSeconds(input);
  if (value === undefined) {
    ctx.addIssue({
      code: "custom",
      message: "must be a duration like 90s, 30m, 8h, 2d or a number of seconds",
    });
    return z.NEVER;
  }
  return value;
});

const wholeNumber = z.number().int("must be a whole number");

const port = wholeNumber.min(0, "must be 0-65535").max(65535, "must be 0-65535");

const devnetChain = z.literal("devnet").transform(() => ({ kind: "devnet" as const }));

const rpcChain = z.strictObject({
  /** JSON-RPC endpoint over http(s). */
  rpc_url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
  /** Event subscriptions over websocket: the indexer polls rpc_url instead. */
  ws_url: notSupportedYet("events are read over rpc_url; remove ws_url"),
  chain_id: wholeNumber.positive("must be a positive chain id"),
  /** First block the indexer reads (the market's deployment block); 0 reads the whole chain. */
  from_block: wholeNumber.min(0, "must not be negative").default(0).transform(BigInt),
  contracts: z.strictObject({
    market: address,
    token: address,
    oracle: address,
    blacklist: address,
    profiles: address,
  }),
}).transform(({ ws_url: _unsupported, ...chain }) => ({
  kind: "rpc" as const,
  ...camelize(chain),
}));

const keystore = z.strictObject({
  path: z.string().min(1, "must not be empty"),
  passphrase_env: z.string().regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    "must be an environment variable name",
  ).optional(),
  passphrase_file: z.string().min(1, "must not be empty").optional(),
}).superRefine((value, ctx) => {
  const sources = [value.passphrase_env, value.passphrase_file].filter((s) => s !== undefined);
  if (sources.length !== 1) {
    ctx.addIssue({
      code: "custom",
      message: "must name exactly one passphrase source: passphrase_env or passphrase_file",
    });
  }
}).transform(({ path, passphrase_env, passphrase_file }) => ({
  path,
  passphrase: passphrase_env !== undefined
    ? { from: "env" as const, name: passphrase_env }
    : { from: "file" as const, path: passphrase_file ?? "" },
}));

const netflags = z.strictObject({
  overlay: z.boolean().default(false),
  outbound: z.boolean().default(true),
  incoming: z.boolean().default(false),
});

const resources = z.strictObject({
  cpu_cores: z.number().positive("must be positive").max(1024, "must be at most 1024"),
  ram: size,
  storage: size.default(0),
  gpus: z.array(wholeNumber.min(0, "must not be negative")).default([]),
  net: netflags.prefault({}),
}).transform(({ ram, storage, ...rest }) => ({
  ...camelize(rest),
  ramBytes: ram,
  storageBytes: storage,
}));

/** How an `auto`-priced plan follows the market (see src/agent/auto_price.ts). */
const autoPrice = z.strictObject({
  /** Which quantile of the fitting BIDs' prices to aim at (0.5 = the median). */
  target_quantile: z.number().gt(0, "must be above 0").max(1, "must be at most 1").default(0.5),
  /** Least time between two re-pricings. */
  min_interval: seconds.default(600),
  /** Largest change of one re-pricing, in percent of the current price. */
  max_step_percent: z.number().gt(0, "must be above 0").max(100, "must be at most 100")
    .default(10),
}).transform(({ min_interval, ...rest }) => ({
  ...camelize(rest),
  minIntervalSeconds: min_interval,
}));

/** The identity level an order requires of the other side. */
const identityLevel = z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)], {
  error: "must be 0 (anonymous), 1 (registered), 2 (identified) or 3 (professional)",
});

/** An order's tag as text: utf-8, at most the 32 bytes of its bytes32. */
const tag = z.string().refine(
  (t) => new TextEncoder().encode(t).length <= 32,
  "must be at most 32 bytes",
);

const plan = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "must be 1-63 of a-z, 0-9, - and _"),
  /** Exact decimal string, USD per hour; or "auto": priced from the market (auto_price). */
  price_usd_per_hour: z.union([z.literal("auto"), decimal]),
  /** Settings of an "auto" price; defaults apply when absent. */
  auto_price: autoPrice.optional(),
  /** Whole seconds, or "spot" for an open-ended deal billed hourly. */
  duration: z.union([z.literal("spot"), seconds]).default("spot"),
  resources,
  identity_level: identityLevel.default(0),
  counterparty: address.optional(),
  blacklist: address.optional(),
  tag: tag.default(""),
}).superRefine((value, ctx) => {
  if (value.auto_price !== undefined && value.price_usd_per_hour !== "auto") {
    ctx.addIssue({
      code: "custom",
      path: ["auto_price"],
      message: 'applies only to price_usd_per_hour: auto; remove it or set the price to "auto"',
    });
  }
}).transform(camelize);

const limits = z.strictObject({
  cpus: z.number().positive("must be positive").default(1),
  memory: size.default(1024 ** 3),
  pids: wholeNumber.min(16, "must be at least 16").max(1_000_000).default(256),
}).transform(({ memory, ...rest }) => ({ ...rest, memoryBytes: memory }));

/** How often a task the rig lost (dockerd restart, container removed, reboot) is started again. */
const taskRestarts = z.strictObject({
  /** Restarts allowed within `window`; one more loss and the rig gives the deal up. */
  max: wholeNumber.min(0, "must not be negative").max(100, "must be at most 100").default(3),
  window: seconds.default(3600),
}).transform(({ max, window }) => ({ max, windowSeconds: window }));

const docker = z.strictObject({
  socket: z.string().min(1).default("/var/run/docker.sock"),
  allowed_images: z.array(
    z.string().superRefine((entry, ctx) => {
      const problem = imageRuleProblem(entry);
      if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
    }),
  ).default([]),
  default_limits: limits.prefault({}),
  task_restarts: taskRestarts.prefault({}),
  /**
   * Let consumers run this rig's probe images (`sonm-probe/*`, built by
   * scripts/build_probes.sh images) as their task, by their local image ids:
   * what `client verify` submits. @default {true on the devnet, false elsewhere}
   */
  allow_probe_images: z.boolean().optional(),
  /** Exec and shell sessions a deal's consumer may hold open at once (`client exec|shell`). */
  max_shells_per_deal: wholeNumber.min(0, "must not be negative").max(64, "must be at most 64")
    .default(4),
}).transform(camelize);

/** A relay's multiaddr; its peer id authenticates it: `sonm-agent relay` prints the full address. */
const relayAddress = z.string().regex(/^\/(ip4|ip6|dns4|dns6|dns)\//, "must be a multiaddr")
  .regex(/\/p2p\/[1-9A-HJ-NP-Za-km-z]{40,}$/, "must end with /p2p/<relay peer id>");

const nat = z.strictObject({
  relays: z.array(relayAddress).default([]),
  listen_ports: z.strictObject({ tcp: port.default(0), quic: port.default(0) }).prefault({}),
}).transform(camelize);

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "::1", "localhost"]);

/**
 * Whether a bind address only accepts connections from this machine.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isLoopbackHost } from "./config.ts";
 * assert.equal(isLoopbackHost("127.0.0.2"), true);
 * assert.equal(isLoopbackHost("0.0.0.0"), false);
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const dashboard = z.strictObject({
  enabled: z.boolean().default(true),
  bind: z.string().default("127.0.0.1"),
  port: port.default(9337),
  allow_remote: z.boolean().default(false),
}).superRefine((value, ctx) => {
  const bind = (value as { bind?: unknown }).bind ?? "127.0.0.1";
  const allowRemote = (value as { allow_remote?: unknown }).allow_remote === true;
  if (typeof bind === "string" && !isLoopbackHost(bind) && !allowRemote) {
    ctx.addIssue({
      code: "custom",
      path: ["bind"],
      message:
        "is not a loopback address: the dashboard shows earnings and controls the rig; set dashboard.allow_remote: true to expose it",
    });
  }
  // Runs even when another dashboard field is wrong, so every problem is reported at once.
}, { when: (payload) => typeof payload.value === "object" && payload.value !== null })
  .transform(camelize);

const power = z.strictObject({
  idle_watts: z.number().min(0, "must not be negative").default(0),
  load_watts: z.number().min(0, "must not be negative").default(0),
  price_per_kwh: decimal.default("0"),
}).transform(camelize);

const logging = z.strictObject({
  level: z.enum(["debug", "info", "warn", "error"]).default("info"),
  format: z.enum(["text", "json"]).default("text"),
});

/**
 * The rig config schema: parses the YAML's snake_case document into the typed,
 * camelCase {@linkcode AgentConfig}. Paths stay as written; `parseConfig`
 * resolves relative ones against the config file's folder.
 */
export const configSchema = z.strictObject({
  data_dir: z.string().min(1).default("./.data"),
  chain: z.union([devnetChain, rpcChain], {
    error: 'must be "devnet" or a mapping with rpc_url, chain_id and contracts',
  }),
  keystore,
  master: address.optional(),
  /** Addresses allowed to send the task protocol's admin actions (status, pause/resume, price, stop). */
  admins: z.array(address).default([]),
  plans: z.array(plan).default([]),
  docker: docker.prefault({}),
  nat: nat.prefault({}),
  dashboard: dashboard.prefault({}),
  power: power.prefault({}),
  logging: logging.prefault({}),
}).transform(camelize);

/**
 * Field schemas the other YAML files share with the rig's config (the
 * client's config, a BID file), so each kind of value is checked one way.
 */
export const fieldSchemas = {
  address,
  decimal,
  size,
  seconds,
  relayAddress,
  netflags,
  identityLevel,
  tag,
  camelize,
} as const;

/** The validated, typed config the agent runs on. */
export type AgentConfig = z.output<typeof configSchema>;

/** A validated ask plan. */
export type PlanConfig = AgentConfig["plans"][number];

/** Where the chain is: an embedded devnet, or a configured RPC. */
export type ChainConfig = AgentConfig["chain"];
