/**
 * sonm-agent: the supplier agent of a decentralized compute market.
 *
 * This file is the CLI only: it parses flags, calls one src/agent function
 * per subcommand, renders tables or JSON, and maps errors to exit codes:
 * 0 ok, 1 runtime failure, 2 bad input (config, flags, files given,
 * a state recorded on another chain).
 *
 * It loads src/agent/cli.ts only (light); each subcommand's modules load when
 * it runs (`commands.x()`), so `--help` and `config check` start fast.
 * Adding a subcommand: a loader in src/agent/cli.ts and an add...Command()
 * function below, called from buildProgram().
 *
 * @module
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import {
  AgentError,
  ChainIdentityError,
  type ClientAdminRequest,
  commands,
  ConfigError,
  createLogger,
  formatConfigProblem,
  type Logger,
  type LogLevel,
  VERSION,
} from "./src/agent/cli.ts";

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_BAD_INPUT = 2;
/** `client verify`: nothing inside the deal could be measured (the probe image refused). */
const EXIT_INCONCLUSIVE = 3;

/** The exit code of a command that finished without an error (`client verify` sets it). */
let resultCode = EXIT_OK;

const encoder = new TextEncoder();

/** Writes all of `text` (a pipe may take less per write); a closed pipe (`| head`) ends quietly. */
function writeAll(stream: typeof Deno.stdout, text: string): void {
  const bytes = encoder.encode(text + "\n");
  try {
    for (let at = 0; at < bytes.length;) at += stream.writeSync(bytes.subarray(at));
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe) Deno.exit(EXIT_OK);
    throw error;
  }
}

function print(text: string): void {
  writeAll(Deno.stdout, text);
}

function printError(text: string): void {
  writeAll(Deno.stderr, text);
}

function printJson(value: unknown): void {
  print(JSON.stringify(value, (_k, v) => typeof v === "bigint" ? v.toString() : v, 2));
}

/** Options of {@linkcode renderTable}. */
export type RenderTableOptions = {
  /** Columns whose values line up on the right (numbers). @default {none} */
  alignRight?: readonly number[] | undefined;
  /** Put before each line, e.g. an indent. @default {""} */
  indent?: string | undefined;
};

/**
 * The CLI's one table renderer: a header (none when empty) and rows, each
 * column as wide as its widest cell, so a long plan name widens its column
 * instead of pushing the others out of line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderTable } from "./main.ts";
 * assert.deepEqual(renderTable(["PLAN", "USD/H"], [["gpu-a", "1.5"], ["a-very-long-plan", "2"]]), [
 *   "PLAN              USD/H",
 *   "gpu-a             1.5",
 *   "a-very-long-plan  2",
 * ]);
 * ```
 */
export function renderTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  options: RenderTableOptions = {},
): string[] {
  const { alignRight = [], indent = "" } = options;
  const all = header.length === 0 ? rows : [header, ...rows];
  const columns = [...Array(Math.max(0, ...all.map((r) => r.length))).keys()];
  const widths = columns.map((c) => Math.max(...all.map((r) => [...(r[c] ?? "")].length)));
  return all.map((r) =>
    indent + columns.map((c) => {
      const cell = r[c] ?? "";
      const pad = " ".repeat((widths[c] ?? 0) - [...cell].length);
      return alignRight.includes(c) ? pad + cell : cell + pad;
    }).join("  ").trimEnd()
  );
}

function printTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  options?: RenderTableOptions,
): void {
  for (const line of renderTable(header, rows, options)) print(line);
}

type GlobalOptions = { logLevel: LogLevel; logFormat: "text" | "json"; verbose: boolean };

function loggerFrom(command: Command): Logger {
  const opts = command.optsWithGlobals<GlobalOptions>();
  return createLogger({ level: opts.verbose ? "debug" : opts.logLevel, format: opts.logFormat });
}

/** Log settings given explicitly on the command line (they win over the config's). */
function logFlags(command: Command): { level?: LogLevel; format?: "text" | "json" } {
  const opts = command.optsWithGlobals<GlobalOptions>();
  const root = command.parent ?? command;
  const explicit = (name: string) => root.getOptionValueSource(name) === "cli";
  return {
    ...(opts.verbose
      ? { level: "debug" as const }
      : explicit("logLevel")
      ? { level: opts.logLevel }
      : {}),
    ...(explicit("logFormat") ? { format: opts.logFormat } : {}),
  };
}

/** Aborts when the process gets SIGINT or SIGTERM (Ctrl-C, systemd stop). */
function shutdownSignal(): AbortSignal {
  const controller = new AbortController();
  const stop = () => controller.abort(new Error("stopped by signal"));
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  return controller.signal;
}

/** A bad flag found inside an action: printed, then exit code 2 (commander prints its own). */
function badInput(message: string): CommanderError {
  printError(`error: ${message}`);
  return new CommanderError(EXIT_BAD_INPUT, "sonm.badInput", message);
}

function positiveInteger(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new InvalidArgumentError("must be a positive integer");
  }
  return n;
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError("must be a whole number");
  return n;
}

function buildProgram(): Command {
  const program = new Command()
    .name("sonm-agent")
    .description(
      "Supplier agent of a decentralized compute market: offers this rig as ASK orders, opens deals, runs the consumers' containers and bills them.",
    )
    .version(VERSION, "-V, --version")
    .addOption(
      new Option("--log-level <level>", "lowest level to log")
        .choices(["debug", "info", "warn", "error"]).default("info"),
    )
    .addOption(
      new Option("--log-format <format>", "text for people, json for log shippers")
        .choices(["text", "json"]).default("text"),
    )
    .option("-v, --verbose", "debug logs, and the cause chain of errors", false)
    .showHelpAfterError()
    .exitOverride();

  addRunCommand(program);
  addClientCommands(program);
  addRelayCommand(program);
  addDevnetCommands(program);
  addConfigCommands(program);
  addHardwareCommand(program);
  addMatchCommand(program);
  addStateCommands(program);
  addSelftestCommand(program);
  addBenchCommand(program);
  return program;
}

/** `run`: the agent itself. */
function addRunCommand(program: Command): void {
  program.command("run")
    .description("run the agent until Ctrl-C or SIGTERM")
    .requiredOption("-c, --config <file>", "the rig's config file")
    .action(async (opts: { config: string }, command: Command) => {
      const { runAgentFromFile } = await commands.run();
      await runAgentFromFile(opts.config, { log: logFlags(command), signal: shutdownSignal() });
    });
}

/**
 * The flags every `client` task subcommand shares: the client's config, the
 * deal, how to find the rig, and overrides of what the config says (who signs,
 * which chain and market).
 */
function withTargetOptions(command: Command, dealDefault?: string): Command {
  return (dealDefault === undefined
    ? command.requiredOption("--deal <id>", "the deal id")
    : command.option("--deal <id>", "the deal id (0: none)", dealDefault))
    .option("-c, --config <file>", "the client's config", "client.yaml")
    .option("--rpc <url>", "override: the chain's JSON-RPC URL, to read the deal's supplier")
    .option("--relay <multiaddr...>", "a relay of the market to look the rig up through")
    .option(
      "--rig <multiaddr>",
      "the rig's address, instead of looking it up (its record is checked all the same)",
    )
    .option("--supplier <address>", "the rig's address on chain, instead of the deal's supplier")
    .option(
      "--rig-record <file...>",
      "a record file of a rig on this machine (its data_dir/rig-record.json), before the relays",
    )
    .option(
      "--keystore <file>",
      "override: the signer's keystore (the deal's consumer, or an admin)",
    )
    .option("--passphrase-env <name>", "override: environment variable holding the passphrase")
    .option("--passphrase-file <file>", "override: file holding the keystore passphrase")
    .option("--chain-id <n>", "override: chain id the requests are signed for", wholeNumber)
    .option("--market <address>", "override: market contract the requests are signed for")
    .option("--relay-only", "stay on the relay (no direct path)", false)
    .option("--json", "print JSON", false);
}

type TargetOptions = {
  config: string;
  rpc?: string;
  relay?: string[];
  rig?: string;
  supplier?: string;
  rigRecord?: string[];
  deal: string;
  keystore?: string;
  passphraseEnv?: string;
  passphraseFile?: string;
  chainId?: number;
  market?: string;
  relayOnly: boolean;
  json: boolean;
};

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** The target of a client request, from client.yaml and its flags (bad ones exit with code 2). */
async function clientTarget(opts: TargetOptions, command: Command) {
  if (!/^\d{1,78}$/.test(opts.deal)) {
    throw badInput(`--deal "${opts.deal}": must be a decimal deal id`);
  }
  if (opts.market !== undefined && !ADDRESS.test(opts.market)) {
    throw badInput(`--market "${opts.market}": must be a 0x address`);
  }
  if (opts.supplier !== undefined && !ADDRESS.test(opts.supplier)) {
    throw badInput(`--supplier "${opts.supplier}": must be a 0x address`);
  }
  const passphrase = opts.passphraseFile !== undefined
    ? { from: "file" as const, path: opts.passphraseFile }
    : opts.passphraseEnv !== undefined
    ? { from: "env" as const, name: opts.passphraseEnv }
    : undefined;
  const { resolveClientTarget } = await commands.clientTarget();
  return await resolveClientTarget({
    configPath: opts.config,
    configGiven: command.getOptionValueSource("config") === "cli",
    dealId: BigInt(opts.deal),
    rig: opts.rig,
    keystore: opts.keystore,
    passphrase,
    chainId: opts.chainId,
    market: opts.market as `0x${string}` | undefined,
    rpc: opts.rpc,
    supplier: opts.supplier as `0x${string}` | undefined,
    relays: opts.relay,
    recordFiles: opts.rigRecord,
    relayOnly: opts.relayOnly,
    // every command says which way it went, on stderr: stdout stays the answer alone
    onConnected: (info) =>
      printError(
        `path: ${info.path} ${info.remoteAddr} (rig ${info.supplier}, ${
          info.found === "--rig"
            ? "address from --rig"
            : info.found === "file"
            ? "from its record file"
            : "found in the relays' directory"
        })`,
      ),
    // --verbose: where the command's time goes, step by step
    ...(Deno.args.includes("--verbose") || Deno.args.includes("-v")
      ? {
        onStep: (step: string, atMs: number) =>
          printError(`timing: ${Math.round(atMs)} ms ${step}`),
      }
      : {}),
  });
}

function printAnswer(opts: TargetOptions, answer: { path: string; result: unknown }): void {
  if (opts.json) printJson(answer);
  else printJson({ path: answer.path, ...(answer.result as object) });
}

/** `client`: the consumer's side, reaching a rig through its relay address. */
function addClientCommands(program: Command): void {
  const client = program.command("client")
    .description("the consumer's commands: run a task on a rig you have a deal with, and reach it");
  addClientInitCommand(client);
  addClientMarketCommands(client);
  addClientDealCommands(client);
  addClientTaskCommands(client);
  addClientAdminCommand(client);
  addClientStreamCommands(client);
  addClientVerifyCommand(client);
  addClientExecCommands(client);
}

/** `client verify`: the deal measured against its ASK, inside the deal. */
function addClientVerifyCommand(client: Command): void {
  withTargetOptions(
    client.command("verify").description(
      "measure the deal's container against its ASK (probes inside the deal) and check the rig's signed report",
    ),
    "0",
  )
    .option("--history", "print the results kept in the client's data folder", false)
    .option("--bench-seconds <n>", "seconds per sysbench run inside the deal", positiveInteger, 2)
    .action(async (
      opts: TargetOptions & { history: boolean; benchSeconds: number },
      command: Command,
    ) => {
      const { runClientVerify, readVerifyHistory } = await commands.clientVerify();
      if (opts.history) {
        const deal = opts.deal === "0" ? undefined : decimalId(opts.deal, "--deal");
        const kept = await readVerifyHistory({ configPath: opts.config, dealId: deal });
        if (opts.json) return printJson(kept);
        if (kept.length === 0) return print("no verify results kept yet");
        return printTable(
          ["AT", "DEAL", "RESULT", "SHORT", "NOT MEASURABLE", "REPORT", "SUPPLIER"],
          kept.map((v) => [
            v.at,
            v.dealId,
            v.result,
            v.lines.filter((l) => l.verdict === "short").map((l) => l.key).join(",") || "-",
            String(v.lines.filter((l) => l.verdict === "not measurable").length),
            v.report.status,
            v.supplier,
          ]),
        );
      }
      if (opts.deal === "0") throw badInput("client verify needs --deal <id> (or --history)");
      const { target, config } = await clientTarget(opts, command);
      const v = await runClientVerify(target, {
        config,
        benchSeconds: opts.benchSeconds,
        signal: shutdownSignal(),
      });
      resultCode = v.result === "pass"
        ? EXIT_OK
        : v.result === "fail"
        ? EXIT_FAILURE
        : EXIT_INCONCLUSIVE;
      if (opts.json) return printJson(v);
      print(`deal ${v.dealId} (ASK ${v.askId}, supplier ${v.supplier}): ${v.result.toUpperCase()}`);
      const r = v.report;
      print(
        `signed report: ${r.status}${r.createdAt === undefined ? "" : ` (signed ${r.createdAt})`}${
          r.reason === "" ? "" : `: ${r.reason}`
        }`,
      );
      if (r.beyond.length > 0) print(`  the ASK claims beyond the report: ${r.beyond.join(", ")}`);
      printTable(
        ["BENCHMARK", "PROMISED", "EXPECTED", "MEASURED", "RATIO", "VERDICT", "WHY"],
        v.lines.map((l) => [
          l.key,
          l.promised,
          l.expected,
          l.measured ?? "-",
          l.ratio === null ? "-" : l.ratio.toFixed(2),
          l.verdict,
          l.reason,
        ]),
        { alignRight: [1, 2, 3, 4] },
      );
      print(
        `timings: ${Object.entries(v.timings).map(([k, ms]) => `${k} ${ms} ms`).join(", ")}`,
      );
      for (const step of v.next) print(`next: ${step}`);
    });
}

/** `client init`: the consumer's config and key. */
function addClientInitCommand(client: Command): void {
  client.command("init")
    .description("write a commented client.yaml and a new (or imported) encrypted keystore")
    .option("-c, --config <file>", "where to write the client config", "client.yaml")
    .option("--devnet <dir>", "buy on the devnet of a local rig: its data_dir (default ./.data)")
    .option("--rpc-url <url>", "buy on this chain: its JSON-RPC URL (with --chain-id, --market)")
    .option("--chain-id <n>", "the chain's id", wholeNumber)
    .option("--market <address>", "the market contract's address")
    .option("--from-block <n>", "the market's deployment block", wholeNumber)
    .option("--relay <multiaddr...>", "relays this client may use (/.../p2p/<relay id>)")
    .option("--import-key <file>", "import this key: a hex private key or a keystore file")
    .option("--passphrase-file <file>", "file holding the passphrase (made, random, when missing)")
    .option("--passphrase-prompt", "ask for the passphrase (each command asks again)", false)
    .option("--force", "overwrite an existing config (the keystore is kept)", false)
    .option("--json", "print JSON", false)
    .action(async (opts: {
      config: string;
      devnet?: string;
      rpcUrl?: string;
      chainId?: number;
      market?: string;
      fromBlock?: number;
      relay?: string[];
      importKey?: string;
      passphraseFile?: string;
      passphrasePrompt: boolean;
      force: boolean;
      json: boolean;
    }, command: Command) => {
      const rpc = [opts.rpcUrl, opts.chainId, opts.market];
      if (opts.devnet !== undefined && rpc.some((v) => v !== undefined)) {
        throw badInput("give either --devnet or --rpc-url with --chain-id and --market, not both");
      }
      if (rpc.some((v) => v !== undefined) && rpc.some((v) => v === undefined)) {
        throw badInput("--rpc-url, --chain-id and --market go together: give all three");
      }
      if (opts.market !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(opts.market)) {
        throw badInput(`--market "${opts.market}": must be a 0x address`);
      }
      const { initClient } = await commands.clientInit();
      const result = await initClient({
        configPath: opts.config,
        chain: opts.rpcUrl !== undefined
          ? {
            rpcUrl: opts.rpcUrl,
            chainId: opts.chainId!,
            market: opts.market as `0x${string}`,
            fromBlock: BigInt(opts.fromBlock ?? 0),
          }
          : { devnet: opts.devnet ?? "./.data" },
        relays: opts.relay ?? [],
        importKey: opts.importKey,
        passphraseFile: opts.passphraseFile,
        passphrasePrompt: opts.passphrasePrompt,
        force: opts.force,
        logger: loggerFrom(command),
      });
      if (opts.json) return printJson(result);
      print(`wrote ${result.configPath}`);
      print(`keystore ${result.keystorePath} (${result.keystore}, address ${result.address})`);
      if (opts.rpcUrl === undefined) {
        print("on the devnet, get test tokens: sonm-agent devnet fund");
      }
      print(
        "next: write a BID file (README: Buy compute), then: sonm-agent client market BID_FILE",
      );
    });
}

/** The one option of the client's market commands: which `client.yaml`. */
function withClientConfig(command: Command): Command {
  return command
    .option("-c, --config <file>", "the client's config", "client.yaml")
    .option("--json", "print JSON", false);
}

/** A decimal id given on the command line (bad ones exit with code 2). */
function decimalId(value: string, flag: string): bigint {
  if (!/^\d{1,78}$/.test(value)) throw badInput(`${flag} "${value}": must be a decimal id`);
  return BigInt(value);
}

/** `client bid|market|orders`: buying on the chain. */
function addClientMarketCommands(client: Command): void {
  withClientConfig(
    client.command("bid").description("place a BID from a YAML file (what to buy, at what price)")
      .argument("<file>", "the BID file: price_usd_per_hour, duration, resources, ..."),
  )
    .option(
      "--cover-hours <n>",
      "hours of bills to approve (default: a forward BID's duration, 24 for spot)",
      positiveInteger,
    )
    .action(async (file: string, opts: { config: string; json: boolean; coverHours?: number }) => {
      const { runClientBid } = await commands.clientBid();
      const placed = await runClientBid({
        configPath: opts.config,
        bidPath: file,
        ...(opts.coverHours === undefined ? {} : { coverSeconds: BigInt(opts.coverHours * 3600) }),
        signal: shutdownSignal(),
      });
      if (opts.json) return printJson(placed);
      const duration = placed.duration === "0" ? "spot" : `${placed.duration}s`;
      print(`placed BID ${placed.orderId}: up to ${placed.usdPerHour} USD/h, ${duration}`);
      print(`  blocks ${placed.blocked} tokens now (its first period; a deal returns the excess)`);
      print(
        `  the market may take ${placed.allowance} tokens${
          placed.approved ? " (approved now" : " (approved before"
        }: ${Number(placed.coverSeconds) / 3600} h of bills)`,
      );
      print(
        `  balance ${placed.balance} tokens; next: sonm-agent client deals --config ${opts.config}`,
      );
    });

  withClientConfig(
    client.command("market").description(
      "the ASKs a BID file would match now, best first, and the near misses' first failing rule",
    )
      .argument("<file>", "the BID file"),
  )
    .option("--near <n>", "show at most n near misses", wholeNumber, 5)
    .action(async (file: string, opts: { config: string; json: boolean; near: number }) => {
      const { runClientMarket } = await commands.clientMarket();
      const found = await runClientMarket({
        configPath: opts.config,
        bidPath: file,
        nearMisses: opts.near,
        signal: shutdownSignal(),
      });
      if (opts.json) return printJson(found);
      print(
        `${found.asks} ASKs on the market; ${found.matches.length} would match, cheapest first`,
      );
      const duration = (d: string) => (d === "0" ? "spot" : `${d}s`);
      const flags = (f: boolean[]) =>
        ["overlay", "outbound", "incoming"].filter((_n, i) => f[i] === true).join(",") || "-";
      if (found.matches.length > 0) {
        printTable(
          ["ASK", "USD/H", "DURATION", "NET", "TAG", "SUPPLIER"],
          found.matches.map((
            a,
          ) => [a.askId, a.usdPerHour, duration(a.duration), flags(a.netflags), a.tag, a.supplier]),
          { indent: "  " },
        );
      }
      if (found.nearMisses.length === 0) return;
      print("near misses: the first market rule each fails");
      printTable(
        ["ASK", "USD/H", "RULE", "WHY"],
        found.nearMisses.map((m) => [
          m.askId,
          m.usdPerHour,
          `${m.rule} ${m.name}`,
          `${m.condition}: ${Object.entries(m.values).map(([k, x]) => `${k} = ${x}`).join(", ")}`,
        ]),
        { indent: "  " },
      );
    });

  withClientConfig(
    client.command("orders").description("your orders on the market (from the chain)"),
  )
    .action(async (opts: { config: string; json: boolean }) => {
      const { runClientOrders } = await commands.clientOrders();
      const { orders } = await runClientOrders({
        configPath: opts.config,
        signal: shutdownSignal(),
      });
      if (opts.json) return printJson(orders);
      if (orders.length === 0) return print("no orders yet");
      printTable(
        ["ORDER", "TYPE", "STATUS", "USD/H", "DURATION", "BLOCKED", "DEAL"],
        orders.map((o) => [
          o.orderId,
          o.type,
          o.status,
          o.usdPerHour,
          o.duration === "0" ? "spot" : `${o.duration}s`,
          o.blocked,
          o.dealId || "-",
        ]),
        { alignRight: [5] },
      );
    });
}

/** `client cancel|deals|close`: an order withdrawn, the deals and their bills, a deal ended. */
function addClientDealCommands(client: Command): void {
  withClientConfig(
    client.command("cancel").description(
      "cancel one of your standing orders (a BID's lock comes back)",
    ),
  )
    .requiredOption("--order <id>", "the order id")
    .action(async (opts: { config: string; json: boolean; order: string }) => {
      const { runClientCancel } = await commands.clientOrders();
      const done = await runClientCancel({
        configPath: opts.config,
        orderId: decimalId(opts.order, "--order"),
        signal: shutdownSignal(),
      });
      if (opts.json) return printJson(done);
      print(`cancelled order ${done.orderId}; ${done.refunded} tokens came back`);
    });

  withClientConfig(
    client.command("deals").description("your deals, with their bills so far, and your balance"),
  )
    .action(async (opts: { config: string; json: boolean }) => {
      const { runClientDeals } = await commands.clientDeals();
      const found = await runClientDeals({ configPath: opts.config, signal: shutdownSignal() });
      if (opts.json) return printJson(found);
      print(`${found.consumer}: ${found.balance} tokens`);
      if (found.deals.length === 0) return print("no deals yet");
      printTable(
        ["DEAL", "STATUS", "USD/H", "PAID", "BILLS", "BILLED UNTIL", "BLOCKED", "SUPPLIER"],
        found.deals.map((d) => [
          d.dealId,
          d.status,
          d.usdPerHour,
          d.paid,
          String(d.bills),
          d.billedUntil,
          d.blocked,
          d.supplier,
        ]),
        { alignRight: [3, 4, 6] },
      );
    });

  withClientConfig(
    client.command("close").description(
      "close one of your deals (a last bill; the lock comes back)",
    ),
  )
    .requiredOption("--deal <id>", "the deal id")
    .option("--blacklist", "also blacklist the supplier", false)
    .action(async (opts: { config: string; json: boolean; deal: string; blacklist: boolean }) => {
      const { runClientClose } = await commands.clientDeals();
      const done = await runClientClose({
        configPath: opts.config,
        dealId: decimalId(opts.deal, "--deal"),
        blacklist: opts.blacklist,
        signal: shutdownSignal(),
      });
      if (opts.json) return printJson(done);
      print(
        `closed deal ${done.dealId}: paid ${done.paid} tokens in all; balance ${done.balance} tokens`,
      );
    });
}

/** `devnet advance|fund`: the local devnet's clock and test money. */
function addDevnetCommands(program: Command): void {
  const devnet = program.command("devnet")
    .description(
      "on the local devnet of a rig (chain: devnet): let chain time pass, get test tokens",
    );
  devnet.command("advance")
    .description("move the devnet's clock ahead and mine a block (deals come due for billing)")
    .option("--hours <n>", "hours to pass", positiveInteger)
    .option("--seconds <n>", "seconds to pass", positiveInteger)
    .option("-c, --config <file>", "a client config whose chain is the devnet", "client.yaml")
    .option("--data-dir <dir>", "or the rig's data_dir (where it writes devnet.json)")
    .option("--json", "print JSON", false)
    .action(
      async (
        opts: { hours?: number; seconds?: number; config: string; dataDir?: string; json: boolean },
      ) => {
        if ((opts.hours === undefined) === (opts.seconds === undefined)) {
          throw badInput("devnet advance needs one of --hours or --seconds");
        }
        const { runDevnetAdvance } = await commands.devnet();
        const done = await runDevnetAdvance({
          target: opts.dataDir === undefined
            ? { configPath: opts.config }
            : { dataDir: opts.dataDir },
          seconds: BigInt(opts.seconds ?? opts.hours! * 3600),
          signal: shutdownSignal(),
        });
        if (opts.json) return printJson(done);
        print(
          `chain time is now ${done.chainTime} (block ${done.blockNumber}): ${done.advancedSeconds} s passed`,
        );
      },
    );
  devnet.command("fund")
    .description("give the client's address ether for gas and 1000 test tokens")
    .option(
      "-c, --config <file>",
      "the client's config (its keystore's address is funded)",
      "client.yaml",
    )
    .option("--eth <n>", "ether for gas", "100")
    .option("--json", "print JSON", false)
    .action(async (opts: { config: string; eth: string; json: boolean }) => {
      if (!/^\d{1,9}(\.\d{1,18})?$/.test(opts.eth)) {
        throw badInput(`--eth "${opts.eth}": must be a decimal number`);
      }
      const { runDevnetFund } = await commands.devnet();
      const done = await runDevnetFund({
        configPath: opts.config,
        eth: opts.eth,
        signal: shutdownSignal(),
      });
      if (opts.json) return printJson(done);
      print(`${done.address} has ${done.eth} ETH and ${done.tokens} tokens`);
    });
}

/** `client submit|status|stop`: the deal's task. */
function addClientTaskCommands(client: Command): void {
  withTargetOptions(client.command("submit").description("run a task from a YAML task file"))
    .requiredOption("--task <file>", "the task file (image, command, env, ports)")
    .action(async (opts: TargetOptions & { task: string }, command: Command) => {
      const { readTaskFile, runClientRequest } = await commands.client();
      const spec = await readTaskFile(opts.task);
      const { target } = await clientTarget(opts, command);
      printAnswer(opts, await runClientRequest(target, { action: "submit", spec }));
    });
  for (const action of ["status", "stop"] as const) {
    const what = action === "status" ? "show the deal's task" : "stop the deal's task";
    withTargetOptions(client.command(action).description(what))
      .action(async (opts: TargetOptions, command: Command) => {
        const { runClientRequest } = await commands.client();
        const { target } = await clientTarget(opts, command);
        printAnswer(opts, await runClientRequest(target, { action }));
      });
  }
}

/** `client admin <action>`: an administrative account's request. */
function addClientAdminCommand(client: Command): void {
  withTargetOptions(
    client.command("admin")
      .description("an administrative account's request: status, pause/resume a plan, price, stop")
      .argument("<action>", "status | pause-plan | resume-plan | set-price | stop-task"),
    "0",
  )
    .option("--plan <name>", "the plan (pause-plan, resume-plan, set-price)")
    .option("--price <usd>", 'new price in USD per hour, e.g. "0.25" (set-price)')
    .option("--task-deal <id>", "the deal whose task to stop (stop-task)")
    .action(async (
      action: string,
      opts: TargetOptions & { plan?: string; price?: string; taskDeal?: string },
      command: Command,
    ) => {
      const need = (value: string | undefined, flag: string) => {
        if (value === undefined) throw badInput(`admin ${action} needs ${flag}`);
        return value;
      };
      const request: ClientAdminRequest = action === "status"
        ? { action: "admin.status" }
        : action === "pause-plan" || action === "resume-plan"
        ? { action: `admin.${action}`, plan: need(opts.plan, "--plan") }
        : action === "set-price"
        ? {
          action: "admin.set-price",
          plan: need(opts.plan, "--plan"),
          priceUsdPerHour: need(opts.price, "--price"),
        }
        : action === "stop-task"
        ? { action: "admin.stop-task", dealId: need(opts.taskDeal, "--task-deal") }
        : (() => {
          throw badInput(
            `admin action "${action}": want one of status, pause-plan, resume-plan, set-price, stop-task`,
          );
        })();
      const { runClientAdmin } = await commands.client();
      const { target } = await clientTarget(opts, command);
      printAnswer(opts, await runClientAdmin(target, request));
    });
}

/** `client logs|forward`: the task's output and ports. */
function addClientStreamCommands(client: Command): void {
  withTargetOptions(client.command("logs").description("print the task's output"))
    .option("-f, --follow", "keep following until the task ends", false)
    .option("--tail <n>", "only the last n lines", wholeNumber)
    .action(async (opts: TargetOptions & { follow: boolean; tail?: number }, command: Command) => {
      const { runClientLogs } = await commands.client();
      const { target } = await clientTarget(opts, command);
      await runClientLogs(target, {
        follow: opts.follow,
        ...(opts.tail === undefined ? {} : { tail: opts.tail }),
        write: (bytes) => Deno.stdout.writeSync(bytes),
      });
    });
  withTargetOptions(
    client.command("forward").description("open a local port that reaches the task's port"),
  )
    .requiredOption("--container-port <n>", "the task's published container port", wholeNumber)
    .option("--local-port <n>", "local port on 127.0.0.1 (0: any)", wholeNumber, 0)
    .action(async (
      opts: TargetOptions & { containerPort: number; localPort: number },
      command: Command,
    ) => {
      const { runClientForward, runClientRequest } = await commands.client();
      const { target, config } = await clientTarget(opts, command);
      // refused up front when no connection could get through, before a port opens
      const { checkForward } = await commands.clientForwardCheck();
      await checkForward({
        config,
        dealId: target.dealId,
        containerPort: opts.containerPort,
        status: async () => (await runClientRequest(target, { action: "status" })).result,
      });
      await runClientForward(target, {
        containerPort: opts.containerPort,
        localPort: opts.localPort,
        signal: shutdownSignal(),
        onReady: (info) => print(JSON.stringify({ event: "forwarding", ...info })),
        onError: (error) => printError(`forward: ${error.message}`),
      });
    });
}

/** The remote command's exit code, to become this process's (after everything is cleaned up). */
class RemoteExit extends Error {
  override name = "RemoteExit";
  constructor(readonly code: number) {
    super(`remote exit code ${code}`);
  }
}

/** A remote exit code as ours: 0-255 as they are, anything else (killed, unknown) 1. */
function exitWith(code: number): void {
  if (code !== 0) throw new RemoteExit(Number.isInteger(code) && code > 0 && code < 256 ? code : 1);
}

/** `client exec|shell`: a command or an interactive shell in the deal's task. */
function addClientExecCommands(client: Command): void {
  withTargetOptions(
    client.command("exec")
      .description("run a command in the deal's task: its stdout, stderr and exit code as ours")
      .argument("<command...>", "the command and its arguments (after --)"),
  )
    .action(async (command: string[], opts: TargetOptions, cmd: Command) => {
      const { runClientExec } = await commands.clientExec();
      const { target } = await clientTarget(opts, cmd);
      exitWith(await runClientExec(target, { command }));
    });
  withTargetOptions(
    client.command("shell").description("an interactive shell in the deal's task"),
  )
    .option("--cmd <program>", "the shell to start", "/bin/sh")
    .action(async (opts: TargetOptions & { cmd: string }, cmd: Command) => {
      const { runClientShell } = await commands.clientExec();
      const { target } = await clientTarget(opts, cmd);
      exitWith(await runClientShell(target, { command: [opts.cmd] }));
    });
}

/** `relay`: a circuit relay for agents behind NAT. */
function addRelayCommand(program: Command): void {
  program.command("relay")
    .description("run a circuit relay (TCP + QUIC) and its UDP echo service for agents behind NAT")
    .option("--data-dir <dir>", "where the relay keeps its identity", "./.data/relay")
    .option("--host <ip>", "address to listen on", "0.0.0.0")
    .option("--port <n>", "TCP and UDP (QUIC) port", wholeNumber, 4001)
    .option("--echo-ports <a,b>", "the two UDP echo ports", "3478,3479")
    .option("--max-reservations <n>", "peers that may hold a reservation", wholeNumber)
    .option("--peer-mbps <n>", "what each peer may send through the relay, Mbit/s", wholeNumber)
    .option(
      "--peer <multiaddr...>",
      "another relay whose rig directory (DHT) this one joins (repeatable)",
    )
    .action(async (opts: {
      dataDir: string;
      host: string;
      port: number;
      echoPorts: string;
      maxReservations?: number;
      peerMbps?: number;
      peer?: string[];
    }, command: Command) => {
      const echoPorts = opts.echoPorts.split(",").map(Number);
      if (
        echoPorts.length !== 2 || echoPorts.some((p) => !Number.isInteger(p) || p < 0 || p > 65535)
      ) {
        throw badInput(`--echo-ports "${opts.echoPorts}": want two ports, e.g. 3478,3479`);
      }
      const { runRelayCommand } = await commands.relay();
      await runRelayCommand({
        dataDir: opts.dataDir,
        hostname: opts.host,
        port: opts.port,
        echoPorts,
        limits: {
          ...(opts.maxReservations === undefined ? {} : { maxReservations: opts.maxReservations }),
          ...(opts.peerMbps === undefined ? {} : { peerBytesPerSecond: opts.peerMbps * 125_000 }),
        },
        peers: opts.peer ?? [],
        logger: loggerFrom(command),
        signal: shutdownSignal(),
        onReady: (info) => print(JSON.stringify({ event: "relay-ready", ...info })),
        onPeerEvent: (event, fields) =>
          print(JSON.stringify({ event: event.replaceAll(" ", "-"), ...fields })),
      });
    });
}

/** `config check` and `init`: the rig's config file. */
function addConfigCommands(program: Command): void {
  const config = program.command("config").description("work with config files");
  config.command("check")
    .description("validate a config file and show what the agent would do with it")
    .requiredOption("-c, --config <file>", "the rig's config file")
    .option("--json", "print JSON", false)
    .action(async (opts: { config: string; json: boolean }) => {
      const { checkConfig } = await commands.configCheck();
      const summary = await checkConfig(opts.config);
      if (opts.json) return printJson({ ok: true, ...summary });
      print(`${summary.file}: ok`);
      printTable([], [
        ["chain", summary.chain],
        ["data dir", summary.dataDir],
        ["keystore", summary.keystore],
        ["dashboard", summary.dashboard],
        ["plans", String(summary.plans.length)],
      ], { indent: "  " });
      if (summary.plans.length === 0) return;
      printTable(
        ["PLAN", "USD/H", "DURATION", "GPUS"],
        summary.plans.map((p) => [p.name, p.priceUsdPerHour, p.duration, p.gpus.join(",")]),
        { indent: "    " },
      );
    });

  program.command("init")
    .description("write a commented config and a new encrypted keystore")
    .option("-c, --config <file>", "where to write the config", "rig.yaml")
    .option("--passphrase-env <name>", "environment variable holding the keystore passphrase")
    .option("--passphrase-file <file>", "file holding the keystore passphrase")
    .option("--force", "overwrite an existing config", false)
    .option("--json", "print JSON", false)
    .action(async (opts: {
      config: string;
      passphraseEnv?: string;
      passphraseFile?: string;
      force: boolean;
      json: boolean;
    }, command: Command) => {
      const { initRig } = await commands.init();
      const result = await initRig({
        configPath: opts.config,
        passphraseEnv: opts.passphraseEnv,
        passphraseFile: opts.passphraseFile,
        force: opts.force,
        logger: loggerFrom(command),
      });
      if (opts.json) return printJson(result);
      print(`wrote ${result.configPath}`);
      print(`keystore ${result.keystorePath} (address ${result.address})`);
      print(
        `next: edit the plans in ${result.configPath}, then run: sonm-agent --config ${result.configPath}`,
      );
    });
}

/** `hardware`: what the rig has. */
function addHardwareCommand(program: Command): void {
  program.command("hardware")
    .description("show the rig's hardware: CPU, RAM, storage, network, GPUs, OpenCL devices")
    .option("-c, --config <file>", "the rig's config file (for its data directory)")
    .option("--data-dir <dir>", "measure storage on this directory's filesystem")
    .option("--json", "print JSON", false)
    .action(async (opts: { config?: string; dataDir?: string; json: boolean }) => {
      const { runHardwareCommand } = await commands.hardware();
      const dataDir = opts.dataDir ??
        (opts.config === undefined
          ? "./.data"
          : (await (await commands.configCheck()).checkConfig(opts.config)).dataDir);
      const { hardware, hardwareHash, lines } = await runHardwareCommand({ dataDir });
      if (opts.json) return printJson({ ...hardware, hardwareHash });
      for (const line of lines) print(line);
    });
}

/** `match`: the matcher on a market file. */
function addMatchCommand(program: Command): void {
  program.command("match")
    .description("match orders from a JSON-lines market file, or explain why a pair does not match")
    .requiredOption("--orders <file>", "market file: one order or view record per line")
    .option("--ask <id>", "the BIDs this ASK satisfies")
    .option("--bid <id>", "the ASKs this BID fits (with --ask: explain that pair)")
    .option("--explain", "show each pair's first failing rule and its values", false)
    .option("--limit <n>", "at most n matches per order", positiveInteger)
    .option("--json", "print JSON", false)
    .action(async (opts: {
      orders: string;
      ask?: string;
      bid?: string;
      explain: boolean;
      limit?: number;
      json: boolean;
    }) => {
      const { runMatchCommand } = await commands.match();
      const result = await runMatchCommand({
        ordersPath: opts.orders,
        ask: opts.ask,
        bid: opts.bid,
        explain: opts.explain,
        limit: opts.limit,
      });
      if (opts.json) return printJson(result);
      print(`${result.file.path}: ${result.file.bids} BIDs, ${result.file.asks} ASKs`);
      for (const r of result.results) {
        const other = r.type === "ASK" ? "BID" : "ASK";
        if (r.matches.length === 0) {
          print(`${r.type} ${r.order}: no matching ${other}`);
          continue;
        }
        print(`${r.type} ${r.order}: ${r.matches.length} matching ${other}(s), best first`);
        printTable(
          [`${other} id`, "price", "author"],
          r.matches.map((m) => [m.id, `${m.usdPerHour} USD/h`, m.author]),
          { indent: "  " },
        );
      }
      if (result.verdicts === undefined || result.verdicts.length === 0) return;
      print("pairs (BID x ASK): first failing rule, as the Market contract checks them");
      printTable(
        ["BID", "ASK", "verdict", "why"],
        result.verdicts.map((v) =>
          v.matched ? [v.bid, v.ask, "match", ""] : [
            v.bid,
            v.ask,
            `rule ${v.rule} ${v.name} (${v.contractError})`,
            `${v.condition}: ${Object.entries(v.values).map(([k, x]) => `${k} = ${x}`).join(", ")}`,
          ]
        ),
        { indent: "  " },
      );
    });
}

/** `orders`, `deals`, `status`: what the agent's state holds. */
function addStateCommands(program: Command): void {
  program.command("orders")
    .description("show this agent's ASK orders (from its state; works while it runs)")
    .requiredOption("-c, --config <file>", "the rig's config file")
    .option("--json", "print JSON", false)
    .action(async (opts: { config: string; json: boolean }) => {
      const { runOrdersCommand } = await commands.orders();
      const { orders } = await runOrdersCommand({ configPath: opts.config });
      if (opts.json) return printJson(orders);
      if (orders.length === 0) return print("no orders yet");
      printTable(
        ["ORDER", "PLAN", "STATUS", "USD/H", "DURATION", "DEAL", "PLACED"],
        orders.map((o) => [
          o.orderId,
          o.plan,
          o.current ? o.status : `${o.status}*`,
          o.usdPerHour,
          o.duration === "0" ? "spot" : o.duration === "" ? "" : `${o.duration}s`,
          o.dealId || "-",
          o.placedAt,
        ]),
      );
      if (orders.some((o) => !o.current)) print("* no longer the plan's order");
    });

  program.command("deals")
    .description("show the deals on this agent's orders, with payments (from its state)")
    .requiredOption("-c, --config <file>", "the rig's config file")
    .option("--json", "print JSON", false)
    .action(async (opts: { config: string; json: boolean }) => {
      const { runDealsCommand } = await commands.deals();
      const { deals } = await runDealsCommand({ configPath: opts.config });
      if (opts.json) return printJson(deals);
      if (deals.length === 0) return print("no deals yet");
      printTable(
        ["DEAL", "PLAN", "STATUS", "USD/H", "PAID (SNMT)", "BILLS", "CONSUMER"],
        deals.map((d) => [
          d.dealId,
          d.plan,
          d.status,
          d.usdPerHour,
          d.paid,
          String(d.bills),
          d.consumer,
        ]),
        { alignRight: [4, 5] },
      );
    });

  program.command("status")
    .description("show the running agent's status: chain, plans, deals, earnings, tasks, errors")
    .option("-c, --config <file>", "the rig's config file (data directory, power)")
    .option("--data-dir <dir>", "state directory (default: the config's, or ./.data)")
    .option("--json", "print JSON (the dashboard's /api/status)", false)
    .action(async (opts: { config?: string; dataDir?: string; json: boolean }) => {
      const { runStatusCommand } = await commands.status();
      const { snapshot, lines } = await runStatusCommand({
        configPath: opts.config,
        dataDir: opts.dataDir,
      });
      if (opts.json) return printJson(snapshot);
      for (const line of lines) print(line);
    });
}

/** `selftest`: can the rig deliver what its plans sell. */
function addSelftestCommand(program: Command): void {
  program.command("selftest")
    .description(
      "check that the rig can deliver its plans: Docker, each plan's limits in a real " +
        "container, GPUs, disk, chain and gas, clock, relay, live-restore (exit 1 if one fails)",
    )
    .requiredOption("-c, --config <file>", "the rig's config file")
    .option(
      "--json",
      "print JSON: {at, ms, results: [{check, plan?, status, detail, fix?, gates, ms}]}",
      false,
    )
    .addHelpText(
      "after",
      `
Checks: docker, storage-limits, live-restore, container (per plan), gpu (per GPU plan),
disk (per storage plan), chain, gas, allowance, clock, relay. Each is ok, warn, failed
(with a one-line fix) or skipped (with the reason). The running agent runs the same checks
and withholds a plan from the market while one it needs fails.
Exit status: 0 every check ok, warn or skipped; 1 a check failed; 2 bad config.`,
    )
    .action(async (opts: { config: string; json: boolean }) => {
      const { runSelftestCommand } = await commands.selftest();
      const { report, exitCode, lines } = await runSelftestCommand({ configPath: opts.config });
      if (opts.json) printJson(report);
      else for (const line of lines) print(line);
      if (exitCode !== 0) {
        const failed = report.results.filter((r) => r.status === "failed").map((r) => r.check);
        throw new AgentError(`Self-test failed: ${[...new Set(failed)].join(", ")}`);
      }
    });
}

/** `bench` and `bench verify FILE`. */
function addBenchCommand(program: Command): void {
  program.command("bench")
    .description("run the benchmark suite (or `bench verify FILE`: check a signed report)")
    .argument("[verify]", "verify a signed report instead of benchmarking")
    .argument("[file]", "the report to verify")
    .option("-c, --config <file>", "the rig's config file (data directory, keystore for --report)")
    .option("--data-dir <dir>", "state and storage directory (default: the config's, or ./.data)")
    .option("--only <ids...>", "benchmark ids or keys, e.g. --only 0,cpu-cores")
    .option("--force", "measure again, ignoring cached results", false)
    .option("--net-endpoint <url>", "network probe server for net-download/net-upload")
    .option("--report <file>", "write a report signed with the rig's key (needs --config)")
    .option("--json", "print JSON", false)
    .action(async (verb: string | undefined, file: string | undefined, opts: {
      config?: string;
      dataDir?: string;
      only?: string[];
      force: boolean;
      netEndpoint?: string;
      report?: string;
      json: boolean;
    }, command: Command) => {
      if (verb !== undefined) return await benchVerify(verb, file, opts.json);
      const { runBenchCommand } = await commands.bench();
      const isTerminal = Deno.stderr.isTerminal();
      const { suite, report, rows } = await runBenchCommand({
        logger: loggerFrom(command),
        progress: opts.json
          ? undefined
          : { isTerminal, write: (t) => Deno.stderr.writeSync(encoder.encode(t)) },
      }, {
        configPath: opts.config,
        dataDir: opts.dataDir,
        only: opts.only,
        force: opts.force,
        netEndpoint: opts.netEndpoint,
        reportPath: opts.report,
        signal: shutdownSignal(),
      });
      if (opts.json) return printJson({ ...suite, report });
      printTable(
        ["ID", "KEY", "VALUE", "UNIT", "STATUS", "NOTE"],
        rows.map((r) => [String(r.id), r.key, String(r.value), r.unit, r.status, r.note]),
        { alignRight: [0, 2] },
      );
      if (report !== undefined) print(`signed by ${report.report.agent}`);
    });
}

async function benchVerify(verb: string, file: string | undefined, json: boolean): Promise<void> {
  if (verb !== "verify" || file === undefined) {
    printError("error: usage: sonm-agent bench verify FILE");
    throw new CommanderError(EXIT_BAD_INPUT, "bench.usage", "usage: sonm-agent bench verify FILE");
  }
  const { runVerifyReportCommand } = await commands.benchVerify();
  const result = await runVerifyReportCommand({ path: file });
  if (json) printJson({ valid: result.valid, signer: result.signer, reason: result.reason });
  else {
    print(
      result.valid
        ? `${file}: valid, signed by ${result.signer}`
        : `${file}: INVALID: ${result.reason}`,
    );
  }
  if (!result.valid) {
    throw new AgentError(`Cannot accept benchmark report "${file}": ${result.reason}`);
  }
}

function reportError(error: unknown, verbose: boolean): number {
  if (error instanceof RemoteExit) return error.code;
  if (error instanceof CommanderError) {
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version") {
      return EXIT_OK;
    }
    return EXIT_BAD_INPUT; // commander already printed the message
  }
  if (error instanceof ConfigError) {
    printError(`error: ${error.message}`);
    for (const problem of error.problems) printError(`  ${formatConfigProblem(problem)}`);
    for (const hint of error.hints) printError(`hint: ${hint}`);
    return EXIT_BAD_INPUT;
  }
  if (error instanceof ChainIdentityError) {
    printError(`error: ${error.name}: ${error.message}`);
    for (const hint of error.hints) printError(`hint: ${hint}`);
    return EXIT_BAD_INPUT;
  }
  if (error instanceof AgentError) {
    printError(`error: ${error.name}: ${error.message}`);
    for (const hint of error.hints) printError(`hint: ${hint}`);
    if (verbose) {
      for (const cause of [...error.causes()].slice(1)) {
        printError(
          `  caused by: ${
            cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
          }`,
        );
      }
    }
    return error.badInput ? EXIT_BAD_INPUT : EXIT_FAILURE;
  }
  printError(`error: unexpected failure: ${error instanceof Error ? error.stack : String(error)}`);
  return EXIT_FAILURE;
}

/**
 * `sonm-agent --config rig.yaml` is short for `sonm-agent run --config rig.yaml`:
 * with no subcommand but a config, run is implied.
 */
function withImpliedRun(program: Command, args: readonly string[]): string[] {
  const names = new Set(program.commands.flatMap((c) => [c.name(), ...c.aliases()]));
  names.add("help");
  const hasCommand = args.some((a) => names.has(a));
  const hasConfig = args.some((a) => a === "-c" || a === "--config" || a.startsWith("--config="));
  return !hasCommand && hasConfig ? ["run", ...args] : [...args];
}

if (import.meta.main) {
  const program = buildProgram();
  let code = EXIT_OK;
  try {
    await program.parseAsync(withImpliedRun(program, Deno.args), { from: "user" });
    code = resultCode;
  } catch (error) {
    code = reportError(error, Deno.args.includes("--verbose") || Deno.args.includes("-v"));
  }
  Deno.exit(code);
}
