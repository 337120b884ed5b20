import {
  formatTokenAmount,
  getChainIdentity,
  getHeadBlock,
  type MarketClient,
  tokenBalance,
} from "../../chain/mod.ts";
import {
  checkImagePolicy,
  containerLogs,
  type DockerClient,
  DockerError,
  getInfo,
  type GetInfoReturnType,
  getVersion,
  type ImageSummary,
  listImages,
  parseImagePolicy,
  removeContainer,
  removeNetwork,
  removeVolume,
  startTask,
  waitContainer,
} from "../../docker/mod.ts";
import type { NatStatus } from "../../nat/mod.ts";
import type { SelftestReport, SelftestResult, SelftestStatus } from "../base/mod.ts";
import type { AgentConfig, PlanConfig } from "../config/mod.ts";
import { imagePolicyOf, taskSpecForDeal } from "./task_limits.ts";

/** A chain identity as the state recorded it (what the agent traded on last). */
export type RecordedChain = { chainId: number; genesisHash: string; market: string };

/** What the checks work with; any part left out makes its checks skip with the reason. */
export type SelftestComponents = {
  docker: DockerClient;
  /** The market's chain and this rig's address; undefined: the chain checks skip with `chainSkip`. */
  chain?: {
    market: MarketClient;
    address: `0x${string}`;
    /** The chain id the config names. */
    chainId: number;
    /** The identity the state recorded, if any. */
    recorded?: RecordedChain | undefined;
    /** The devnet mines only on transactions: its head time says nothing of the clock. */
    devnet: boolean;
  } | undefined;
  /** Why there is no `chain`: the chain check skips (no chain to check) or fails (unreachable). */
  noChain?: { status: "skipped" | "failed"; detail: string } | undefined;
  /** The NAT host's status (the agent's own, or the file it writes); undefined: not running. */
  natStatus: () => NatStatus | undefined | Promise<NatStatus | undefined>;
  /** Free bytes of the filesystem holding `path` (Docker's root). @default {df} */
  freeBytes?: ((path: string) => Promise<number>) | undefined;
  /** The wall clock, ms. @default {Date.now} */
  now?: (() => number) | undefined;
};

/** Options of {@linkcode runSelftest}. */
export type RunSelftestOptions = {
  config: Pick<AgentConfig, "plans" | "docker" | "nat" | "dataDir">;
  /** The rig's GPUs (index and vendor). */
  rigGpus: readonly { index: number; vendor: string }[];
  /** `sonm.agent` of the test containers (kept apart from the agent's tasks). */
  agentId: string;
  /** Longest wait for one check, ms. @default {30000} */
  checkTimeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
};

/** What a check's run gives: a result without its id, time and gating (the table adds those). */
type Outcome = Omit<SelftestResult, "check" | "ms" | "gates">;

/** What a check's run sees: the components, the options, and what earlier checks found. */
type CheckContext = {
  components: SelftestComponents;
  options: RunSelftestOptions;
  /** `docker info`, once the docker check got it. */
  info?: GetInfoReturnType | undefined;
  /** The image the container checks run, once picked. */
  image?: Promise<LocalImage | undefined> | undefined;
};

/** One check of the table. */
export type SelftestCheck = {
  id: string;
  /** What it needs and looks at, for people (`--help`, README). */
  needs: string;
  /** Whether a failure withholds plans: every plan (a rig-wide check) or the plan it ran for. */
  gates: boolean;
  /** Checks that must pass first; otherwise this one skips. */
  after: readonly string[];
  /** Its own time limit, ms (the chain's: a hanging RPC must not hold the agent's scheduler). */
  timeoutMs?: number | undefined;
  run(ctx: CheckContext, signal: AbortSignal): Promise<Outcome | Outcome[]>;
};

const ok = (detail: string, plan?: string): Outcome => ({ status: "ok", detail, plan });
const skip = (detail: string, plan?: string): Outcome => ({ status: "skipped", detail, plan });
const fail = (detail: string, fix: string, plan?: string): Outcome => ({
  status: "failed",
  detail,
  fix,
  plan,
});
const warn = (detail: string, fix: string): Outcome => ({ status: "warn", detail, fix });

const MAX_CLOCK_SKEW_S = 60;
/** A chain read that takes longer fails the check (the RPC is as good as down for the rig). */
const CHAIN_TIMEOUT_MS = 8_000;
const CHAIN_FIX = "check that chain.rpc_url answers (curl it) and the node is synced";

/**
 * The self-test's checks, as data, run in this order (a check waits for the
 * ones it is `after`, the others run at once):
 *
 * | id | needs | a failure withholds |
 * | --- | --- | --- |
 * | docker | the daemon on `docker.socket`: version, storage driver | every plan |
 * | storage-limits | a driver that enforces a plan's `storage` (overlay2 on xfs+pquota, btrfs, zfs) | nothing (warn) |
 * | live-restore | dockerd's live-restore (without it a dockerd restart kills every task) | nothing (warn) |
 * | container | a local image with `sh` that `docker.allowed_images` allows; the plan's exact limits read back inside (CPU quota, memory, pids, no network without `outbound`) | its plan |
 * | gpu | the plan's GPUs visible inside a container | its plan |
 * | disk | free space under Docker's root for the plan's `storage` | its plan |
 * | chain | the RPC: chain id as configured, genesis and market as recorded | nothing (the market backs off by itself) |
 * | gas | gas coin on the rig's address | nothing |
 * | allowance | the token balance and allowance (a supplier's ASKs need none) | nothing |
 * | clock | the wall clock against the chain head's time (60 s; real chains only) | nothing |
 * | relay | a relay reservation (or a public address) and the connectivity class | every plan, when every relay failed |
 */
export const SELFTEST_CHECKS: readonly SelftestCheck[] = [
  {
    id: "docker",
    needs: "the Docker daemon on docker.socket",
    gates: true,
    after: [],
    async run(ctx, signal) {
      const { docker } = ctx.components;
      try {
        const [version, info] = await Promise.all([
          getVersion(docker, { signal }),
          getInfo(docker, { signal }),
        ]);
        ctx.info = info;
        return ok(
          `Docker ${version.version} (API ${version.apiVersion}), storage driver ${info.driver}, cgroup v${info.cgroupVersion}`,
        );
      } catch (error) {
        if (!(error instanceof DockerError)) throw error;
        return fail(
          `Docker is not reachable on ${ctx.options.config.docker.socket}: ${error.message}`,
          "start dockerd (systemctl start docker) or set docker.socket to its socket",
        );
      }
    },
  },
  {
    id: "storage-limits",
    needs: "a storage driver that enforces plans' storage",
    gates: false,
    after: ["docker"],
    run(ctx) {
      const info = ctx.info!;
      const storage = ctx.options.config.plans.filter((p) => p.resources.storageBytes > 0);
      if (storage.length === 0) return Promise.resolve(skip("no plan sells storage"));
      const backing = info.driverStatus.find(([k]) => k === "Backing Filesystem")?.[1] ?? "";
      if (info.driver === "btrfs" || info.driver === "zfs") {
        return Promise.resolve(ok(`${info.driver} enforces each container's storage limit`));
      }
      if (info.driver === "overlay2" && backing === "xfs") {
        return Promise.resolve(ok("overlay2 on xfs enforces storage limits (mounted with pquota)"));
      }
      return Promise.resolve(warn(
        `storage driver ${info.driver}${
          backing === "" ? "" : ` on ${backing}`
        } cannot cap a container's disk: plans ${
          storage.map((p) => `"${p.name}"`).join(", ")
        } get their scratch volume without a hard limit`,
        "run dockerd with overlay2 on xfs mounted with pquota (or btrfs/zfs) to enforce plans' storage",
      ));
    },
  },
  {
    id: "live-restore",
    needs: "dockerd's live-restore",
    gates: false,
    after: ["docker"],
    run(ctx) {
      return Promise.resolve(
        ctx.info!.liveRestoreEnabled
          ? ok("live-restore is on: tasks survive a dockerd restart")
          : warn(
            "live-restore is off: a dockerd restart kills every task (the agent restarts them within their deals)",
            'add "live-restore": true to /etc/docker/daemon.json, then systemctl reload docker',
          ),
      );
    },
  },
  {
    id: "container",
    needs: "a local image with sh allowed by docker.allowed_images; the plan's limits inside",
    gates: true,
    after: ["docker"],
    async run(ctx, signal) {
      const plans = ctx.options.config.plans;
      if (plans.length === 0) return skip("no plans in the config");
      const image = await pickImage(ctx, signal);
      if (image === undefined) {
        return skip(
          "no local image that docker.allowed_images allows: the limits could not be read back",
        );
      }
      // plans selling the same limits share one container
      const byLimits = new Map<string, Promise<Outcome>>();
      const out: Outcome[] = [];
      for (const [i, plan] of plans.entries()) {
        const r = plan.resources;
        const key = JSON.stringify([r.cpuCores, r.ramBytes, r.net.outbound, r.storageBytes > 0]);
        let run = byLimits.get(key);
        if (run === undefined) {
          run = checkLimits(ctx, { plan, image, index: i, signal });
          byLimits.set(key, run);
          await run;
        }
        out.push({ ...await run, plan: plan.name });
      }
      return out;
    },
  },
  {
    id: "gpu",
    needs: "for plans selling GPUs: the GPUs visible inside a container",
    gates: true,
    after: ["docker"],
    async run(ctx, signal) {
      const gpuPlans = ctx.options.config.plans.filter((p) => p.resources.gpus.length > 0);
      if (gpuPlans.length === 0) {
        return skip(
          ctx.options.rigGpus.length === 0
            ? "this rig has no GPU and no plan sells one"
            : "no plan sells GPUs",
        );
      }
      const image = await pickImage(ctx, signal);
      const out: Outcome[] = [];
      for (const plan of gpuPlans) {
        if (image === undefined) {
          out.push(skip("no local image that docker.allowed_images allows", plan.name));
          continue;
        }
        out.push(await checkGpus(ctx, { plan, image, signal }));
      }
      return out;
    },
  },
  {
    id: "disk",
    needs: "free disk under Docker's root for each plan's storage",
    gates: true,
    after: ["docker"],
    async run(ctx) {
      const storage = ctx.options.config.plans.filter((p) => p.resources.storageBytes > 0);
      if (storage.length === 0) return skip("no plan sells storage");
      const root = ctx.info!.dockerRootDir || ctx.options.config.dataDir;
      const free = await (ctx.components.freeBytes ?? dfFreeBytes)(root);
      return storage.map((p) =>
        p.resources.storageBytes <= free
          ? ok(
            `${gib(free)} free under ${root}, the plan sells ${gib(p.resources.storageBytes)}`,
            p.name,
          )
          : fail(
            `${gib(free)} free under ${root}, the plan sells ${gib(p.resources.storageBytes)}`,
            `free disk under ${root} or lower plans[].resources.storage of "${p.name}"`,
            p.name,
          )
      );
    },
  },
  {
    id: "chain",
    timeoutMs: CHAIN_TIMEOUT_MS,
    needs: "the chain's RPC: chain id as configured, genesis and market as recorded",
    gates: false,
    after: [],
    async run(ctx, signal) {
      const chain = ctx.components.chain;
      if (chain === undefined) {
        const why = ctx.components.noChain ?? { status: "skipped", detail: "no chain to reach" };
        return why.status === "skipped" ? skip(why.detail) : fail(why.detail, CHAIN_FIX);
      }
      const { chainId, genesisHash } = await getChainIdentity(chain.market.chain, { signal });
      const market = chain.market.addresses.market.toLowerCase();
      if (chainId !== chain.chainId) {
        return fail(
          `the RPC serves chain id ${chainId}, the config names ${chain.chainId}`,
          "point chain.rpc_url at a node of the configured chain (or fix chain.chain_id)",
        );
      }
      const r = chain.recorded;
      if (r !== undefined && !chain.devnet) {
        if (r.chainId !== chainId || r.genesisHash !== genesisHash) {
          return fail(
            `the state was recorded on chain ${r.chainId} (genesis ${
              r.genesisHash.slice(0, 10)
            }), the RPC serves ${chainId} (genesis ${genesisHash.slice(0, 10)})`,
            "point chain.rpc_url back at the recorded chain, or use a new data_dir",
          );
        }
        if (r.market.toLowerCase() !== market) {
          return fail(
            `the state was recorded for market ${r.market}, the config names ${market}`,
            "set chain.contracts.market back, or use a new data_dir",
          );
        }
      }
      return ok(
        `chain id ${chainId}, market ${market}${
          r === undefined ? " (nothing recorded yet)" : " as recorded"
        }`,
      );
    },
  },
  {
    id: "gas",
    timeoutMs: CHAIN_TIMEOUT_MS,
    needs: "gas coin on the rig's address (ASKs, cancels, deals and bills are transactions)",
    gates: false,
    after: ["chain"],
    async run(ctx, signal) {
      const { market, address } = ctx.components.chain!;
      const balance = await market.chain.public.getBalance({ address });
      signal.throwIfAborted();
      return balance > 0n
        ? ok(`${formatTokenAmount(balance)} on ${address}`)
        : fail(`no gas coin on ${address}`, `send the chain's gas coin to ${address}`);
    },
  },
  {
    id: "allowance",
    timeoutMs: CHAIN_TIMEOUT_MS,
    needs: "the token balance and the market's allowance",
    gates: false,
    after: ["chain"],
    async run(ctx, signal) {
      const { market, address } = ctx.components.chain!;
      const { balance, allowance } = await tokenBalance(market, { who: address, signal });
      return ok(
        `token balance ${formatTokenAmount(balance)}, allowance ${
          formatTokenAmount(allowance)
        } (a supplier's ASKs need none)`,
      );
    },
  },
  {
    id: "clock",
    timeoutMs: CHAIN_TIMEOUT_MS,
    needs: "the wall clock within 60 s of the chain head's time",
    gates: false,
    after: ["chain"],
    async run(ctx, signal) {
      const chain = ctx.components.chain!;
      if (chain.devnet) {
        return skip(
          "the devnet mines only on transactions: its head time says nothing of the clock",
        );
      }
      const head = await getHeadBlock(chain.market.chain, { signal });
      const now = (ctx.components.now ?? Date.now)();
      const skew = Math.round(now / 1000 - Number(head.timestamp));
      return Math.abs(skew) <= MAX_CLOCK_SKEW_S
        ? ok(`clock ${skew} s from head ${head.number}'s time`)
        : fail(
          `clock ${skew} s from head ${head.number}'s time (more than ${MAX_CLOCK_SKEW_S} s)`,
          "sync the clock (timedatectl set-ntp true) or check that the node follows the chain",
        );
    },
  },
  {
    id: "relay",
    needs: "a relay reservation (or a public address) from nat.relays",
    gates: true,
    after: [],
    async run(ctx) {
      const relays = ctx.options.config.nat.relays;
      const status = await ctx.components.natStatus();
      if (status === undefined) {
        return skip(
          "no NAT status: the agent is not running (its NAT host writes nat-status.json)",
        );
      }
      const reserved = status.relays.filter((r) => r.state === "reserved");
      const cls = `connectivity ${status.class}`;
      if (status.class === "public") return ok(`${cls}, reservations ${reserved.length}`);
      if (relays.length === 0) return skip(`${cls}; no relays in nat.relays`);
      if (reserved.length > 0) {
        return ok(`${cls}, reserved on ${reserved.length} of ${status.relays.length} relay(s)`);
      }
      const fix = "check that nat.relays are up and reachable from the rig (UDP and TCP)";
      if (status.relays.every((r) => r.state === "failed")) {
        return fail(`${cls}, no relay reservation: consumers cannot reach the rig`, fix);
      }
      return warn(`${cls}, reserving on ${status.relays.length} relay(s)`, fix);
    },
  },
];

/**
 * Runs every check of {@linkcode SELFTEST_CHECKS}: those without `after` at
 * once, each other as soon as its prerequisites passed (skipped otherwise),
 * each within `checkTimeoutMs`. A check that throws (the RPC down, Docker
 * gone mid-run) fails with the error's message; nothing here throws but an
 * abort of `signal`.
 *
 * @example
 * ```ts ignore
 * const report = await runSelftest({ docker, natStatus: () => undefined }, {
 *   config, rigGpus: [], agentId: "rig-1",
 * });
 * console.log(report.results.filter((r) => r.status === "failed"));
 * ```
 */
export async function runSelftest(
  components: SelftestComponents,
  options: RunSelftestOptions,
): Promise<SelftestReport> {
  const now = components.now ?? Date.now;
  const started = performance.now();
  const ctx: CheckContext = { components, options };
  const timeoutMs = options.checkTimeoutMs ?? 30_000;
  const done = new Map<string, Promise<SelftestResult[]>>();
  const runOne = (check: SelftestCheck): Promise<SelftestResult[]> => {
    const existing = done.get(check.id);
    if (existing !== undefined) return existing;
    const promise = (async () => {
      const before = await Promise.all(
        check.after.map((id) => runOne(SELFTEST_CHECKS.find((c) => c.id === id)!)),
      );
      const t = performance.now();
      const blocker = before.flat().find((r) => r.status !== "ok" && r.status !== "warn");
      let outcomes: Outcome[];
      if (blocker !== undefined) {
        outcomes = [skip(`needs the "${blocker.check}" check to pass first`)];
      } else {
        const signal = AbortSignal.any([
          ...(options.signal === undefined ? [] : [options.signal]),
          AbortSignal.timeout(Math.min(timeoutMs, check.timeoutMs ?? timeoutMs)),
        ]);
        try {
          const got = await check.run(ctx, signal);
          outcomes = Array.isArray(got) ? got : [got];
        } catch (error) {
          options.signal?.throwIfAborted();
          outcomes = [fail(`${check.needs}: ${errorText(error)}`, fixOf(check))];
        }
      }
      const ms = Math.round(performance.now() - t);
      return outcomes.map((o): SelftestResult => ({
        check: check.id,
        ...(o.plan === undefined ? {} : { plan: o.plan }),
        status: o.status,
        detail: o.detail,
        ...(o.fix === undefined ? {} : { fix: o.fix }),
        gates: check.gates,
        ms,
      }));
    })();
    done.set(check.id, promise);
    return promise;
  };
  const all = await Promise.all(SELFTEST_CHECKS.map(runOne));
  return { at: now(), ms: Math.round(performance.now() - started), results: all.flat() };
}

/**
 * The self-test's exit status: 1 when a check failed, else 0 (warnings and
 * skips pass).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selftestExitCode } from "./selftest_checks.ts";
 * const r = (status: "ok" | "warn" | "failed" | "skipped") =>
 *   ({ check: "x", status, detail: "", gates: true, ms: 0 });
 * assert.equal(selftestExitCode([r("ok"), r("warn"), r("skipped")]), 0);
 * assert.equal(selftestExitCode([r("ok"), r("failed")]), 1);
 * ```
 */
export function selftestExitCode(results: readonly { status: SelftestStatus }[]): 0 | 1 {
  return results.some((r) => r.status === "failed") ? 1 : 0;
}

function fixOf(check: SelftestCheck): string {
  switch (check.id) {
    case "chain":
    case "gas":
    case "allowance":
    case "clock":
      return CHAIN_FIX;
    default:
      return "check that dockerd answers on docker.socket (docker info)";
  }
}

/** The image the container checks run: a local image the policy allows, busybox first. */
async function pickImage(ctx: CheckContext, signal: AbortSignal): Promise<LocalImage | undefined> {
  ctx.image ??= (async () => {
    const policy = parseImagePolicy(imagePolicyOf(ctx.options.config.docker.allowedImages));
    const images: ImageSummary[] = await listImages(ctx.components.docker, { signal });
    const candidates: LocalImage[] = [];
    for (const image of images) {
      for (const tag of image.repoTags) {
        if (tag === "<none>:<none>") continue;
        const digest = image.repoDigests[0]?.split("@")[1] ?? image.id;
        try {
          checkImagePolicy(policy, { reference: tag, digest, imageId: image.id });
          candidates.push({ reference: tag, imageId: image.id });
        } catch {
          // not allowed: the rig would never run it for a consumer either
        }
      }
    }
    return candidates.find((c) => /busybox/.test(c.reference)) ?? candidates[0];
  })();
  return await ctx.image;
}

type LocalImage = { reference: string; imageId: string };

/** Reads the limits from inside (cgroup v2 or v1) and the network interfaces. */
const LIMITS_SCRIPT = [
  "c=/sys/fs/cgroup",
  'if [ -f $c/cpu.max ]; then echo "cpu=$(cat $c/cpu.max)"; else echo "cpu=$(cat $c/cpu/cpu.cfs_quota_us 2>/dev/null) $(cat $c/cpu/cpu.cfs_period_us 2>/dev/null)"; fi',
  'if [ -f $c/memory.max ]; then echo "mem=$(cat $c/memory.max)"; else echo "mem=$(cat $c/memory/memory.limit_in_bytes 2>/dev/null)"; fi',
  'if [ -f $c/pids.max ]; then echo "pids=$(cat $c/pids.max)"; else echo "pids=$(cat $c/pids/pids.max 2>/dev/null)"; fi',
  'echo "net=$(ls /sys/class/net | tr "\\n" " ")"',
].join("\n");

/** Starts a container with the plan's exact limits (the deal's code path) and reads them back. */
async function checkLimits(
  ctx: CheckContext,
  args: { plan: PlanConfig; image: LocalImage; index: number; signal: AbortSignal },
): Promise<Outcome> {
  const { plan, image, signal } = args;
  const out = await runProbe(ctx, {
    plan,
    image,
    taskId: `limits-${args.index}`,
    command: ["sh", "-c", LIMITS_SCRIPT],
    gpus: false,
    signal,
  });
  if (out.kind === "no-shell") {
    return skip(`image ${image.reference} has no sh: the limits could not be read back`, plan.name);
  }
  if (out.kind === "error") {
    return fail(
      `a container with the plan's limits did not run: ${out.error}`,
      "check dockerd's log (journalctl -u docker) and that cgroups are enabled",
      plan.name,
    );
  }
  const seen = parseProbe(out.output);
  const r = plan.resources;
  const problems: string[] = [];
  const [quota, period] = (seen.cpu ?? "").split(" ").map((x) => Number(x));
  const cpus = quota !== undefined && period ? quota / period : NaN;
  if (!(Math.abs(cpus - r.cpuCores) < 0.01)) {
    problems.push(`CPU quota ${seen.cpu ?? "unreadable"} (want ${r.cpuCores} CPUs)`);
  }
  if (Number(seen.mem) !== r.ramBytes) {
    problems.push(`memory limit ${seen.mem ?? "unreadable"} (want ${r.ramBytes})`);
  }
  const pids = ctx.options.config.docker.defaultLimits.pids;
  if (Number(seen.pids) !== pids) {
    problems.push(`pids limit ${seen.pids ?? "unreadable"} (want ${pids})`);
  }
  const nets = (seen.net ?? "").trim().split(/\s+/).filter(Boolean);
  const outside = nets.filter((n) => n !== "lo");
  if (!r.net.outbound && outside.length > 0) {
    problems.push(`network interfaces ${outside.join(", ")} without outbound`);
  }
  if (r.net.outbound && outside.length === 0) problems.push("no network interface with outbound");
  if (problems.length > 0) {
    return fail(
      `the container does not get the plan's limits: ${problems.join("; ")}`,
      "enable the cgroup controllers (cpu, memory, pids) for dockerd and check its cgroup driver",
      plan.name,
    );
  }
  return ok(
    `${image.reference}: ${cpus} CPUs, ${gib(r.ramBytes)} memory, ${pids} pids, ${
      r.net.outbound ? "outbound network" : "no network"
    }${out.warnings.length === 0 ? "" : ` (${out.warnings.join("; ")})`}`,
    plan.name,
  );
}

/** Starts a container with the plan's GPUs and counts the GPUs it sees. */
async function checkGpus(
  ctx: CheckContext,
  args: { plan: PlanConfig; image: LocalImage; signal: AbortSignal },
): Promise<Outcome> {
  const { plan, image, signal } = args;
  const want = plan.resources.gpus.length;
  const out = await runProbe(ctx, {
    plan,
    image,
    taskId: "gpus",
    command: [
      "sh",
      "-c",
      "if command -v nvidia-smi >/dev/null; then nvidia-smi -L | grep -c '^GPU'; " +
      "else ls /dev/dri 2>/dev/null | grep -c '^renderD'; fi",
    ],
    gpus: true,
    signal,
  });
  if (out.kind === "no-shell") return skip(`image ${image.reference} has no sh`, plan.name);
  const fix = "install the NVIDIA container toolkit (nvidia-ctk runtime configure) or the ROCm " +
    "devices, then restart dockerd";
  if (out.kind === "error") {
    return fail(`a container with the plan's GPUs did not run: ${out.error}`, fix, plan.name);
  }
  const seen = Number(out.output.trim().split("\n").at(-1));
  return seen >= want
    ? ok(`${seen} GPU(s) visible in the container, the plan sells ${want}`, plan.name)
    : fail(`${seen || 0} GPU(s) visible in the container, the plan sells ${want}`, fix, plan.name);
}

type ProbeOutput =
  | { kind: "ran"; output: string; warnings: string[] }
  | { kind: "no-shell" }
  | { kind: "error"; error: string };

/** Runs `command` through startTask under the plan's limits, collects its output, removes it all. */
async function runProbe(
  ctx: CheckContext,
  args: {
    plan: PlanConfig;
    image: LocalImage;
    taskId: string;
    command: string[];
    gpus: boolean;
    signal: AbortSignal;
  },
): Promise<ProbeOutput> {
  const { docker } = ctx.components;
  const { plan, image, signal } = args;
  const plain = args.gpus ? plan : { ...plan, resources: { ...plan.resources, gpus: [] } };
  const spec = taskSpecForDeal(plain, { image: image.reference, command: args.command }, {
    defaultLimits: ctx.options.config.docker.defaultLimits,
    rigGpus: ctx.options.rigGpus,
  });
  const agentId = `${ctx.options.agentId}-selftest`.slice(0, 64);
  let started;
  try {
    started = await startTask(docker, {
      spec,
      // the image is on the rig and allowed: run it by its id, never ask a registry
      policy: { allowDigests: [image.imageId], pull: "missing" },
      agentId,
      dealId: "selftest",
      taskId: args.taskId,
      signal,
    });
  } catch (error) {
    const text = errorText(error);
    if (/executable file not found|no such file or directory.*sh/i.test(text)) {
      return { kind: "no-shell" };
    }
    return { kind: "error", error: text };
  }
  try {
    const { exitCode } = await waitContainer(docker, { id: started.containerId, signal });
    let output = "";
    const decoder = new TextDecoder();
    for await (const chunk of containerLogs(docker, { id: started.containerId, signal })) {
      if (chunk.stream === "stdout") output += decoder.decode(chunk.data, { stream: true });
      if (output.length > 16_384) break;
    }
    if (exitCode === 127) return { kind: "no-shell" };
    if (exitCode !== 0 && !args.gpus) {
      return { kind: "error", error: `the check exited ${exitCode}: ${output.slice(0, 200)}` };
    }
    return { kind: "ran", output, warnings: started.warnings };
  } finally {
    const cleanup = AbortSignal.timeout(10_000);
    await removeContainer(docker, { id: started.containerId, force: true, signal: cleanup })
      .catch(() => {});
    if (started.network !== undefined) {
      await removeNetwork(docker, { id: started.network, signal: cleanup }).catch(() => {});
    }
    if (started.volume !== undefined) {
      await removeVolume(docker, { name: started.volume, signal: cleanup }).catch(() => {});
    }
  }
}

function parseProbe(output: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of output.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1).trim();
  }
  return out;
}

/** Free bytes of the filesystem holding `path`, from `df` (Deno has no statfs). */
async function dfFreeBytes(path: string): Promise<number> {
  const out = await new Deno.Command("df", {
    args: ["-B1", "--output=avail", path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
  const free = Number(text.trim());
  if (!out.success || !Number.isFinite(free)) {
    throw new Error(`df ${path} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return free;
}

function gib(bytes: number): string {
  return bytes >= 2 ** 30
    ? `${(bytes / 2 ** 30).toFixed(1)} GiB`
    : `${Math.round(bytes / 2 ** 20)} MiB`;
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!.slice(0, 300);
}
