/**
 * The rig's config file: a YAML document validated by a strict zod schema.
 * Keys are snake_case in YAML and camelCase in the typed result. Unknown keys
 * are errors, so a typo never silently falls back to a default.
 *
 * @module
 */
import { z } from "zod";
import { DECIMAL_PATTERN, parseDurationSeconds, parseSize } from "./_units.ts";

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

const address = z.string().regex(ADDRESS, "must be a 0x-prefixed 20-byte hex address");

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

const port = z.number().int("must be a whole number").min(0, "must be 0-65535").max(
  65535,
  "must be 0-65535",
);

const logLevel = z.enum(["debug", "info", "warn", "error"]);

const devnetChain = z.literal("devnet");
const rpcChain = z.strictObject({
  /** JSON-RPC endpoint over http(s). */
  rpc_url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
  /** Optional websocket endpoint for event subscriptions. */
  ws_url: z.url({ protocol: /^wss?$/, error: "must be a ws(s) URL" }).optional(),
  chain_id: z.number().int().positive("must be a positive chain id"),
  /** First block the indexer reads (the market's deployment block); 0 reads the whole chain. */
  from_block: z.number().int("must be a whole number").min(0, "must not be negative").default(0),
  contracts: z.strictObject({
    market: address,
    token: address,
    oracle: address,
    blacklist: address,
    profiles: address,
  }),
});

const keystore = z.strictObject({
  path: z.string().min(1, "must not be empty"),
  passphrase_env: z.string().regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    "must be an environment variable name",
  )
    .optional(),
  passphrase_file: z.string().min(1, "must not be empty").optional(),
}).superRefine((value, ctx) => {
  const sources = [value.passphrase_env, value.passphrase_file].filter((s) => s !== undefined);
  if (sources.length !== 1) {
    ctx.addIssue({
      code: "custom",
      message: "must name exactly one passphrase source: passphrase_env or passphrase_file",
    });
  }
});

const netflags = z.strictObject({
  overlay: z.boolean().default(false),
  outbound: z.boolean().default(true),
  incoming: z.boolean().default(false),
});

const plan = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "must be 1-63 of a-z, 0-9, - and _"),
  price_usd_per_hour: decimal,
  duration: z.union([z.literal("spot"), seconds]).default("spot"),
  resources: z.strictObject({
    cpu_cores: z.number().positive("must be positive").max(1024, "must be at most 1024"),
    ram: size,
    storage: size.default(0),
    gpus: z.array(z.number().int("must be a whole number").min(0, "must not be negative"))
      .default([]),
    net: netflags.default({ overlay: false, outbound: true, incoming: false }),
  }),
  identity_level: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)], {
    error: "must be 0 (anonymous), 1 (registered), 2 (identified) or 3 (professional)",
  }).default(0),
  counterparty: address.optional(),
  blacklist: address.optional(),
  tag: z.string().refine(
    (t) => new TextEncoder().encode(t).length <= 32,
    "must be at most 32 bytes",
  )
    .default(""),
});

const limits = z.strictObject({
  cpus: z.number().positive("must be positive").default(1),
  memory: size.default(1024 ** 3),
  pids: z.number().int().min(16, "must be at least 16").max(1_000_000).default(256),
});

const docker = z.strictObject({
  socket: z.string().min(1).default("/var/run/docker.sock"),
  allowed_images: z.array(
    z.string().min(1, "must not be empty"),
  ).default([]),
  default_limits: limits.default({ cpus: 1, memory: 1024 ** 3, pids: 256 }),
});

const nat = z.strictObject({
  relays: z.array(z.string().regex(/^\/(ip4|ip6|dns4|dns6|dns)\//, "must be a multiaddr"))
    .default([]),
  listen_ports: z.strictObject({ tcp: port.default(0), quic: port.default(0) }).default({
    tcp: 0,
    quic: 0,
  }),
});

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "::1", "localhost"]);

/** Whether a bind address only accepts connections from this machine. */
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
}, { when: (payload) => typeof payload.value === "object" && payload.value !== null });

const power = z.strictObject({
  idle_watts: z.number().min(0, "must not be negative").default(0),
  load_watts: z.number().min(0, "must not be negative").default(0),
  price_per_kwh: decimal.default("0"),
});

const logging = z.strictObject({
  level: logLevel.default("info"),
  format: z.enum(["text", "json"]).default("text"),
});

/** The YAML schema (snake_case, as written in rig.yaml). */
export const rawConfigSchema = z.strictObject({
  data_dir: z.string().min(1).default("./.data"),
  chain: z.union([devnetChain, rpcChain], {
    error: 'must be "devnet" or a mapping with rpc_url, chain_id and contracts',
  }),
  keystore: keystore,
  master: address.optional(),
  /** Addresses allowed to send the task protocol's admin actions (status, pause/resume, price, stop). */
  admins: z.array(address).default([]),
  plans: z.array(plan).default([]),
  docker: docker.default({
    socket: "/var/run/docker.sock",
    allowed_images: [],
    default_limits: { cpus: 1, memory: 1024 ** 3, pids: 256 },
  }),
  nat: nat.default({ relays: [], listen_ports: { tcp: 0, quic: 0 } }),
  dashboard: dashboard.default({
    enabled: true,
    bind: "127.0.0.1",
    port: 9337,
    allow_remote: false,
  }),
  power: power.default({ idle_watts: 0, load_watts: 0, price_per_kwh: "0" }),
  logging: logging.default({ level: "info", format: "text" }),
});

/** The config as written in YAML, after defaults and unit parsing. */
export type RawConfig = z.output<typeof rawConfigSchema>;

/** A validated ask plan. */
export type PlanConfig = {
  name: string;
  /** Exact decimal string, USD per hour. */
  priceUsdPerHour: string;
  /** Whole seconds, or "spot" for an open-ended deal billed hourly. */
  duration: number | "spot";
  resources: {
    cpuCores: number;
    ramBytes: number;
    storageBytes: number;
    gpus: number[];
    net: { overlay: boolean; outbound: boolean; incoming: boolean };
  };
  identityLevel: 0 | 1 | 2 | 3;
  counterparty: `0x${string}` | undefined;
  blacklist: `0x${string}` | undefined;
  tag: string;
};

/** Where the chain is: an embedded devnet, or a configured RPC. */
export type ChainConfig =
  | { kind: "devnet" }
  | {
    kind: "rpc";
    rpcUrl: string;
    wsUrl: string | undefined;
    chainId: number;
    /** First block to index when the state has none. */
    fromBlock: bigint;
    contracts: Record<"market" | "token" | "oracle" | "blacklist" | "profiles", `0x${string}`>;
  };

/** The validated, typed config the agent runs on. */
export type AgentConfig = {
  dataDir: string;
  chain: ChainConfig;
  keystore: {
    path: string;
    passphrase: { from: "env"; name: string } | { from: "file"; path: string };
  };
  master: `0x${string}` | undefined;
  /** Administrators of the task protocol (checksummed addresses as written). */
  admins: `0x${string}`[];
  plans: PlanConfig[];
  docker: {
    socket: string;
    allowedImages: string[];
    defaultLimits: { cpus: number; memoryBytes: number; pids: number };
  };
  nat: { relays: string[]; listenPorts: { tcp: number; quic: number } };
  dashboard: { enabled: boolean; bind: string; port: number; allowRemote: boolean };
  power: { idleWatts: number; loadWatts: number; pricePerKwh: string };
  logging: { level: "debug" | "info" | "warn" | "error"; format: "text" | "json" };
};
