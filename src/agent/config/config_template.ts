/** What {@linkcode renderConfigTemplate} fills in. */
export type ConfigTemplateOptions = {
  /** The keystore path as written in the config. @default {"./.data/keystore.json"} */
  keystorePath?: string | undefined;
  /** Where the passphrase comes from. @default {{ from: "file", path: "./.data/keystore.pass" }} */
  passphrase?: { from: "env"; name: string } | { from: "file"; path: string } | undefined;
};

/**
 * The commented config that `sonm-agent init` writes. config.example.yaml is
 * this template with its defaults (a test keeps the two identical), so the
 * documentation of every field lives in one place.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderConfigTemplate } from "./config_template.ts";
 * const text = renderConfigTemplate({ passphrase: { from: "env", name: "RIG_PASS" } });
 * assert.ok(text.includes("passphrase_env: RIG_PASS"));
 * ```
 */
export function renderConfigTemplate(options: ConfigTemplateOptions = {}): string {
  const o = {
    keystorePath: options.keystorePath ?? "./.data/keystore.json",
    passphraseLines: passphraseLines(
      options.passphrase ?? { from: "file", path: "./.data/keystore.pass" },
    ),
  };
  return `# sonm-agent rig config. Every field is listed here with its default or an
# example value. Check a config with: sonm-agent config check --config rig.yaml
# Sizes: 512MiB, 4GiB, 1TB or bytes. Durations: 90s, 30m, 8h, 2d, 1w or seconds.
# Relative paths are relative to this file's folder.
# Reload without a restart: SIGHUP (systemctl reload sonm-agent) applies plans,
# logging.level, admins, docker.allowed_images and docker.allow_probe_images;
# other changes need a restart.

# Where the agent keeps its state (sqlite), caches and devnet files.
data_dir: ./.data

# The chain to trade on. "devnet" starts a local anvil chain with the market
# contracts deployed and demo accounts funded: for trying the agent out.
chain: devnet
# For a real market, a mapping instead:
# chain:
#   rpc_url: https://rpc.example.org     # JSON-RPC over http(s)
#   chain_id: 444
#   from_block: 0                        # first block to index: the market's deployment block
#                                        # (default 0 reads the whole chain once)
#   contracts:                           # addresses of the deployed market contracts
#     market: "0x0000000000000000000000000000000000000001"
#     token: "0x0000000000000000000000000000000000000002"
#     oracle: "0x0000000000000000000000000000000000000003"
#     blacklist: "0x0000000000000000000000000000000000000004"
#     profiles: "0x0000000000000000000000000000000000000005"

# The agent's key, in an encrypted Web3 Secret Storage (v3) keystore file.
# The passphrase never goes in this file: name exactly one source.
keystore:
  path: ${o.keystorePath}
${o.passphraseLines}
  # On devnet, a missing keystore and passphrase file are created for you.

# The master address this rig works for (optional). Deals on this rig's
# orders pay the master once it has confirmed this agent as its worker.
# At start the agent asks to join it and prints what the master must confirm.
# master: "0x0000000000000000000000000000000000000000"

# Addresses allowed to administer the rig over the task protocol (signed
# requests): status, pause/resume a plan, set its price, stop a deal's task.
# admins: ["0x0000000000000000000000000000000000000000"]

# Ask plans: what this rig offers. Each becomes one ASK order on the market.
plans:
  - name: cpu-small              # 1-63 of a-z, 0-9, - and _; unique
    price_usd_per_hour: "0.05"   # exact decimal, USD per hour; or auto: follow the market
    # auto_price:                # with auto: aim at this quantile of the fitting BIDs' prices,
    #   target_quantile: 0.5     # re-price at most this often, by at most this step, and never
    #   min_interval: 10m        # below the power cost of the plan's share (power section)
    #   max_step_percent: 10
    duration: spot               # spot (open-ended, billed hourly) or a duration like 8h
    resources:
      cpu_cores: 1               # may be fractional, e.g. 0.5
      ram: 1GiB
      storage: 2GiB              # default 0
      gpus: []                   # GPU indexes of this rig (sonm-agent hardware lists them)
      net:
        overlay: false           # default false
        outbound: true           # default true
        incoming: false          # default false: consumers cannot reach the task from outside
    identity_level: 0            # the consumer must have at least: 0 anonymous, 1 registered,
                                 # 2 identified, 3 professional
    # counterparty: "0x..."      # only this consumer (its master address) may take the order
    # blacklist: "0x..."         # also refuse those listed by this blacklist owner
    tag: "demo"                  # free text, at most 32 bytes, shown on the market

# Docker, where consumers' workloads run.
docker:
  socket: /var/run/docker.sock
  # Images a consumer may run: a local image's id or a registry digest
  # (sha256:...), or a pattern that starts with its registry
  # (registry.example.org/team/*, docker.io/library/busybox, ** for any public
  # registry). Empty means no image is allowed. A registry on this rig's own
  # network (localhost, 10.x, 192.168.x, ...) is allowed only by a pattern
  # that names it.
  allowed_images: []
  # Let the consumers of this rig's deals run its probe images (sonm-probe/*,
  # built by scripts/build_probes.sh images), allowed by their local image ids:
  # what \`sonm-agent client verify\` runs to measure a deal. Default: true on
  # the devnet, false elsewhere.
  # allow_probe_images: true
  default_limits:                # used where a deal does not say
    cpus: 1                      # CPU share, may be fractional
    memory: 1GiB                 # hard limit, no swap
    pids: 256                    # stops fork bombs
  # A task the rig loses (dockerd restart, its container removed, a reboot) is
  # started again, at most \`max\` times within \`window\`; one more loss and the
  # rig gives the deal up: no further bill, closed where the contract allows.
  # A task that exits by itself or runs out of its memory is the consumer's.
  task_restarts: { max: 3, window: 1h }
  # Shells and commands the deal's consumer may run at once in its task
  # (client shell, client exec); 0 turns them off.
  max_shells_per_deal: 4

# Reachability behind NAT: the libp2p host consumers reach their tasks through.
nat:
  relays: []                     # relay multiaddrs with /p2p/<id>, as "sonm-agent relay" prints them
  listen_ports:
    tcp: 0                       # 0 = pick a free port
    quic: 0

# The local dashboard: earnings, deals, tasks, plan controls, /metrics for
# Prometheus. Its controls need the token the agent writes to
# DATA_DIR/dashboard.token at each start. A busy port is logged; the agent runs on.
dashboard:
  enabled: true
  bind: 127.0.0.1                # a non-loopback address also needs allow_remote: true
  port: 9337
  allow_remote: false

# Power, to show profit after electricity, and the floor of auto prices.
power:
  idle_watts: 60
  load_watts: 250
  price_per_kwh: "0.12"          # in USD

logging:
  level: info                    # debug, info, warn, error
  format: text                   # text for people, json for log shippers
`;
}

function passphraseLines(
  source: { from: "env"; name: string } | { from: "file"; path: string },
): string {
  return source.from === "env"
    ? `  passphrase_env: ${source.name}             # read it from this environment variable
  # passphrase_file: ./keystore.pass       # or from this file (keep it mode 0600)`
    : `  # passphrase_env: SONM_KEYSTORE_PASSPHRASE   # read it from this environment variable
  passphrase_file: ${source.path}       # or from this file (keep it mode 0600)`;
}
