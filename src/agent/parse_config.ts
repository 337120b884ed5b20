import { dirname, isAbsolute, join } from "node:path";
import { parseDocument, visit } from "yaml";
import type { z } from "zod";
import {
  type AgentConfig,
  type ChainConfig,
  type PlanConfig,
  type RawConfig,
  rawConfigSchema,
} from "./config.ts";
import { ConfigError, type ConfigProblem } from "./errors.ts";

/** Options of {@linkcode parseConfig}. */
export type ParseConfigOptions = {
  /** The file the text came from: named in errors; relative paths resolve from its folder. */
  file?: string | undefined;
  /**
   * GPU indexes the rig has (from hardware discovery). Plans naming another
   * index are refused. Undefined skips the check (no discovery available).
   */
  gpuIndexes?: readonly number[] | undefined;
};

/**
 * Parses and validates a rig config (YAML text). Every problem is collected,
 * not just the first, so a rig owner fixes the file in one pass.
 *
 * @throws {ConfigError} with one {@linkcode ConfigProblem} per bad field
 * @example
 * ```ts
 * import { parseConfig } from "./parse_config.ts";
 * const config = parseConfig(
 *   "chain: devnet\nkeystore: { path: k.json, passphrase_env: PASS }\n",
 *   { file: "/etc/sonm/rig.yaml" },
 * );
 * console.assert(config.dataDir === "/etc/sonm/.data");
 * ```
 */
export function parseConfig(text: string, options: ParseConfigOptions = {}): AgentConfig {
  const { file } = options;
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ConfigError({
      file,
      problems: document.errors.map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : "(yaml)",
        message: `is not valid YAML: ${
          (e.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "")
        }`,
        value: undefined,
      })),
    });
  }
  // YAML reads an unquoted 0x... as a hex integer, which would turn an
  // address into a (rounded) number: keep hex literals as the text written.
  visit(document, {
    Scalar(_key, node) {
      if (node.type === "PLAIN" && typeof node.source === "string" && /^0x/i.test(node.source)) {
        node.value = node.source;
      }
    },
  });
  const raw: unknown = document.toJS() ?? {};
  const parsed = rawConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError({ file, problems: problemsFromIssues(parsed.error.issues, raw) });
  }
  const problems = crossFieldProblems(parsed.data, options.gpuIndexes);
  if (problems.length > 0) throw new ConfigError({ file, problems });
  return toAgentConfig(parsed.data, file === undefined ? Deno.cwd() : dirname(file));
}

/** Formats a problem as `path.to.field: what is wrong (got VALUE)`. */
export function formatConfigProblem(problem: ConfigProblem): string {
  const got = problem.value === undefined ? "" : ` (got ${describeValue(problem.value)})`;
  return `${problem.path}: ${problem.message}${got}`;
}

function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}`;
  const json = JSON.stringify(value);
  if (json === undefined) return String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

type Path = readonly PropertyKey[];

function formatPath(path: Path): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(top level)" : out;
}

function valueAt(root: unknown, path: Path): unknown {
  let current = root;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function problemsFromIssues(issues: readonly z.core.$ZodIssue[], raw: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        problems.push({
          path: formatPath(path),
          message: "is not a known setting (check the spelling against config.example.yaml)",
          value: valueAt(raw, path),
        });
      }
      continue;
    }
    const value = valueAt(raw, issue.path);
    problems.push({
      path: formatPath(issue.path),
      message: value === undefined && issue.code !== "custom" ? "is required" : humanMessage(issue),
      value,
    });
  }
  return problems;
}

function humanMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type") return `must be ${article(issue.expected)}`;
  if (issue.code === "invalid_value") {
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
  }
  return issue.message.replace(/^Invalid input: /, "");
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function crossFieldProblems(
  config: RawConfig,
  gpuIndexes: readonly number[] | undefined,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  config.plans.forEach((plan, i) => {
    if (seen.has(plan.name)) {
      problems.push({
        path: `plans[${i}].name`,
        message: "is used by another plan",
        value: plan.name,
      });
    }
    seen.add(plan.name);
    if (gpuIndexes !== undefined) {
      plan.resources.gpus.forEach((gpu, j) => {
        if (!gpuIndexes.includes(gpu)) {
          const has = gpuIndexes.length === 0
            ? "the rig has no GPU"
            : `the rig has GPU indexes ${gpuIndexes.join(", ")}`;
          problems.push({
            path: `plans[${i}].resources.gpus[${j}]`,
            message: `is not a GPU of this rig: ${has}`,
            value: gpu,
          });
        }
      });
    }
  });
  return problems;
}

function resolvePath(base: string, path: string): string {
  return isAbsolute(path) ? path : join(base, path);
}

function toAgentConfig(raw: RawConfig, baseDir: string): AgentConfig {
  const chain: ChainConfig = raw.chain === "devnet" ? { kind: "devnet" } : {
    kind: "rpc",
    rpcUrl: raw.chain.rpc_url,
    wsUrl: raw.chain.ws_url,
    chainId: raw.chain.chain_id,
    fromBlock: BigInt(raw.chain.from_block),
    contracts: {
      market: raw.chain.contracts.market as `0x${string}`,
      token: raw.chain.contracts.token as `0x${string}`,
      oracle: raw.chain.contracts.oracle as `0x${string}`,
      blacklist: raw.chain.contracts.blacklist as `0x${string}`,
      profiles: raw.chain.contracts.profiles as `0x${string}`,
    },
  };
  const plans: PlanConfig[] = raw.plans.map((p) => ({
    name: p.name,
    priceUsdPerHour: p.price_usd_per_hour,
    duration: p.duration,
    resources: {
      cpuCores: p.resources.cpu_cores,
      ramBytes: p.resources.ram,
      storageBytes: p.resources.storage,
      gpus: p.resources.gpus,
      net: p.resources.net,
    },
    identityLevel: p.identity_level,
    counterparty: p.counterparty as `0x${string}` | undefined,
    blacklist: p.blacklist as `0x${string}` | undefined,
    tag: p.tag,
  }));
  const ks = raw.keystore;
  return {
    dataDir: resolvePath(baseDir, raw.data_dir),
    chain,
    keystore: {
      path: resolvePath(baseDir, ks.path),
      passphrase: ks.passphrase_env !== undefined
        ? { from: "env", name: ks.passphrase_env }
        : { from: "file", path: resolvePath(baseDir, ks.passphrase_file ?? "") },
    },
    master: raw.master as `0x${string}` | undefined,
    admins: raw.admins as `0x${string}`[],
    plans,
    docker: {
      socket: raw.docker.socket,
      allowedImages: raw.docker.allowed_images,
      defaultLimits: {
        cpus: raw.docker.default_limits.cpus,
        memoryBytes: raw.docker.default_limits.memory,
        pids: raw.docker.default_limits.pids,
      },
    },
    nat: { relays: raw.nat.relays, listenPorts: raw.nat.listen_ports },
    dashboard: {
      enabled: raw.dashboard.enabled,
      bind: raw.dashboard.bind,
      port: raw.dashboard.port,
      allowRemote: raw.dashboard.allow_remote,
    },
    power: {
      idleWatts: raw.power.idle_watts,
      loadWatts: raw.power.load_watts,
      pricePerKwh: raw.power.price_per_kwh,
    },
    logging: raw.logging,
  };
}
